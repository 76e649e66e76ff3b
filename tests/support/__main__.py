"""Command line for the test engines, run from the repository root:

    python -m tests.support up        # local engine running + test images (left running)
    python -m tests.support status    # what runs, and who started it
    python -m tests.support down      # stop the local engine, only if `up` started it
    python -m tests.support hosts -n 3   # extra hosts until Ctrl-C / SIGTERM, then clean up
    python -m tests.support cleanup   # remove a crashed run's namespaces, links, folders

Must not: stop an engine this tool did not start.
"""

from __future__ import annotations

import argparse
import signal
import sys

from . import engines


def _up() -> int:
    engine = engines.ensure_local_engine()
    changed = engines.ensure_test_images(engine.client)
    how = (f"started by us, pid {engine.pid}, log {engine.log_path}" if engine.started_by_us
           else "already running")
    print(f"local engine {engine.url}: {how}")
    print(f"test images: {'imported ' + ', '.join(changed) if changed else 'all present'}")
    return 0


def _status() -> int:
    url = f"unix://{engines.LOCAL_SOCKET}"
    answering = engines.ping(url)
    ours = engines.recorded_local_engine()
    print(f"local engine {url}: {'answering' if answering else 'not answering'}"
          + (f" (started by this tool, pid {ours.pid})" if ours else ""))
    for line in engines.describe_extra_hosts():
        print(line)
    return 0


def _down() -> int:
    pid = engines.stop_recorded_local_engine()
    print(f"stopped local dockerd pid {pid}" if pid else
          "no local engine started by this tool is running; nothing stopped")
    return 0


def _hosts(count: int) -> int:
    with engines.start_extra_hosts(count) as hosts:
        for host in hosts:
            env = " ".join(f"{k}={v}" for k, v in host.docker_env().items())
            print(f"{host.name}: {host.url} (pid {host.pid}, veth {host.veth}) {env}", flush=True)
        print("extra hosts up; Ctrl-C or SIGTERM stops and removes them", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass
    return 0


def _cleanup() -> int:
    done = engines.cleanup_leftovers()
    print("\n".join(done) if done else "nothing left over")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("up", "status", "down", "cleanup"):
        sub.add_parser(name)
    hosts = sub.add_parser("hosts")
    hosts.add_argument("-n", type=int, default=3, help="how many extra hosts (default 3)")
    args = parser.parse_args(argv)
    try:
        if args.command == "hosts":
            return _hosts(args.n)
        return {"up": _up, "status": _status, "down": _down, "cleanup": _cleanup}[args.command]()
    except engines.EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
