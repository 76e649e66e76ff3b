"""Files into capsules: capsule YAML and Kubernetes manifests into one internal spec, and back out.

translation.py is the entry (files or text in, a Translation and a report out);
capsule/ and kubernetes/ are the two readers; spec.py, source.py, fields.py,
diagnostics.py, quantity.py, secrets.py, replicas.py, services.py and output.py are what
they share. No I/O
beyond reading the files; it never imports runtime, capsule_tui, textual, httpx or docker.
"""
