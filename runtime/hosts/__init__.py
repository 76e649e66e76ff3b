"""Which Docker hosts there are and how to reach them.

settings.py (a host's values), inventory.py (hosts.yaml, DOCKER_HOST, docker contexts),
url_policy.py (which URLs are accepted), address_rules.py (loopback and link-local addresses,
shared with the webhook's policy), reserve.py (what the scheduler keeps free),
connect.py (one engine client per host: `EnginePool`). Nothing here places or builds.
"""
