"""The Kubernetes reader (format.py and its modules: workloads, services, namespaces,
containers, env, probes, volumes, ConfigMaps and Secrets) and the Pod writer for `--to pod`.
fields.py holds every field's bucket (applied, ignored, rejected); the reader applies
them, and docs/kubernetes-mapping.md is generated from them. It must not import the
kubernetes package at module level (its import costs 0.4 s).
"""
