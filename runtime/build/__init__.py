"""A capsule's spec made into containers and volumes on one host, and taken away again.

builder.py (the crash-safe build), container_config.py (the Engine API bodies),
volume_plan.py and volumes.py, images.py (pull policy), names.py, teardown.py
(undoing a build, deleting a capsule), add_member.py (`capsule run`), model.py (the
values a build takes and gives). It talks to one engine; it keeps no state.
"""
