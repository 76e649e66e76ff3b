/*
 * pause: the process of a capsule's sandbox container (test image
 * registry.k8s.io/pause:3.10, built offline by tests/support/images.py).
 *
 * It follows what Kubernetes' build/pause/linux/pause.c does: sleep forever
 * holding the namespaces the members join, exit 0 at once on SIGINT/SIGTERM
 * (PID 1 ignores signals that have no handler, so without these handlers
 * `docker stop` would wait its whole kill timeout), and reap zombies on
 * SIGCHLD because with a shared PID namespace it is the members' init.
 * Built with `gcc -static -O2` so that it runs alone in an empty rootfs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "3.10-capsule-test"

static void sigdown(int signo) {
  psignal(signo, "Shutting down, got signal");
  exit(0);
}

static void sigreap(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "-v") == 0) {
      printf("pause.c %s\n", VERSION);
      return 0;
    }
  }

  if (getpid() != 1) {
    fprintf(stderr, "Warning: pause should be the first process\n");
  }

  struct sigaction down = {.sa_handler = sigdown};
  if (sigaction(SIGINT, &down, NULL) < 0) return 1;
  if (sigaction(SIGTERM, &down, NULL) < 0) return 2;

  struct sigaction reap = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGCHLD, &reap, NULL) < 0) return 3;

  for (;;) {
    pause();
  }
  fprintf(stderr, "Error: infinite loop terminated\n");
  return 42;
}
