"""The watcher: follows every host's engine events, heals capsules (healer.py), runs
their liveness and startup probes (prober.py), and resumes where it stopped (cursor.py).
It runs in `capsule watch` and in the terminal UI.
"""
