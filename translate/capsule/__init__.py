"""The capsule-format reader: capsule YAML into the internal spec (format.py), with its
containers, volumes and field rules, and service documents (services.py). No I/O beyond
what translate/source.py read.
"""
