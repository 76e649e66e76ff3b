"""The Docker Engine API client: one host's engine over httpx (unix, tcp, TLS).

It knows no capsule: no labels, no specs, nothing of runtime/ or translate/ is
imported here (tests/structure/test_imports.py checks it). Everything it raises is
an `EngineError` (errors.py) naming the host; the service translates those at its door.
"""
