"""Which host a capsule goes to, and why: it knows hosts and requests, not containers.

scheduler.py (pure: filters and scores), host_facts.py (what each host has and holds,
asked of all hosts at once), host_lock.py (one create at a time per host on this
machine), claim.py (choose, lock, check again), record.py (the decision in words).
"""
