"""The runtime: capsules placed on Docker hosts, built there, watched, and remembered.

`service.py` is the door (`CapsuleService`); the flows (create_flow, update,
rollback, apply, event_follow) and the shared values (errors, labels, paths,
views, context ...) sit beside it; the rooms behind it are folders named after
what they hold: engine/, hosts/, placement/, build/, observe/, state/, probes/,
ops/, watch/. It never imports textual or capsule_tui.
"""
