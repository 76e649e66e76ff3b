"""The manifest the fault suite creates: every kind of thing a create makes, so a fault finds each.

A Secret (its value must never show), a ConfigMap volume (uploaded by a helper
container), an emptyDir, an init container that takes `init_seconds`, and a member
that becomes ready by its readiness probe two seconds after it starts.
"""

from __future__ import annotations

from pathlib import Path

SECRET = "fault-suite-secret-value"


def manifest(folder: Path, name: str, *, init_seconds: int = 3) -> Path:
    """Write `<folder>/<name>.yaml`: the Secret, the ConfigMap and the Pod `name`."""
    path = folder / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Secret
metadata: {{name: {name}-db}}
stringData: {{password: {SECRET}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}-conf}}
data: {{greeting: hello}}
---
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  initContainers:
    - {{name: wait, image: "busybox:1.36", command: ["sleep", "{init_seconds}"]}}
  containers:
    - name: app
      image: busybox:1.36
      command: ["sh", "-c", "echo using $PASSWORD; sleep 2; touch /tmp/ready; sleep 3600"]
      env:
        - name: PASSWORD
          valueFrom: {{secretKeyRef: {{name: {name}-db, key: password}}}}
      readinessProbe:
        exec: {{command: ["test", "-f", "/tmp/ready"]}}
        periodSeconds: 1
      volumeMounts:
        - {{name: conf, mountPath: /conf}}
        - {{name: scratch, mountPath: /scratch}}
  volumes:
    - name: conf
      configMap: {{name: {name}-conf}}
    - name: scratch
      emptyDir: {{}}
""")
    return path
