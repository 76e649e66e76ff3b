"""The capsule-format reader: capsule YAML into the internal spec (format.py), with its
containers, volumes and field rules. No I/O beyond what translate/source.py read.
"""
