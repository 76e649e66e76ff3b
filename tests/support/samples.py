"""The samples in samples/, sorted by whether they run on the offline test engines.

`RUNNABLE` names the samples that run offline on the test images (busybox:1.36 with
explicit commands) as single capsules; `APPLICATIONS` the whole applications, which run
offline too; the others are translate-only (they use images such as redis that the
offline test engines do not have). A new sample must be listed in one of the three.
"""

from __future__ import annotations

from support.paths import SAMPLES

OFFLINE_IMAGE = "busybox:1.36"

RUNNABLE = {
    "web-sidecar.yaml": "capsule format: busybox httpd serving a volume a sidecar writes into",
    "init-containers.yaml": "capsule format: two init containers write a file the member prints and serves",
    "resources.yaml": "capsule format: requests and limits",
    "deployment.yaml": "Kubernetes Deployment with ConfigMaps, a Secret, envFrom, a configMap volume, probes",
    "job.yaml": "Kubernetes Job with an init container and an emptyDir",
}
TRANSLATE_ONLY = {
    "pod-redis.yaml": "Kubernetes Pod: redis and a busybox client over localhost",
}
# Whole applications (Services, replicas, namespaces): they run offline too, and are run by
# tests/services/test_application_from_manifests.py (in a namespace and with names of the test's).
APPLICATIONS = {
    "application.yaml": "Kubernetes application: Deployments behind Services (named targetPorts, a "
                        "LoadBalancer), a StatefulSet behind a headless Service, a client Pod",
    "shop.yaml": "Kubernetes application: a Deployment and a StatefulSet with replicas, their Services, a namespace",
}


def sample_files() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.yaml"))
