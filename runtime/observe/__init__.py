"""What a host says exists: capsules rebuilt from their containers' labels, and their status.

observed.py (the shapes), discovery.py (list and inspect, cheaply), lookup.py (which
host runs a capsule of that name), status.py (pure: a pod's phase from container
states). It reads; it never changes containers or the store.
"""
