"""Liveness, readiness and startup probes: one run (run.py), their timing rules
(tracker.py, pure) and waiting until a capsule is ready (readiness.py).
"""
