"""Services and namespaces: how the capsules of one application reach each other by name.

A namespace is a network on each host that runs its capsules (`network.py`); every
capsule of the namespace has its sandbox on it, answering to its own name. A Service
is a container of its own on that network (`proxy.py`): it answers to the Service's
four names and relays each connection on `port` to a backend's `targetPort`, choosing
among the backends the runtime lists for it (`backends.py`, kept current by
`sync.py`). A headless Service has no proxy: its names are aliases of the backends'
sandboxes, and its container is only a record (created, never started).
"""
