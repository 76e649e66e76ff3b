"""Acting on capsules from the terminal UI's list and details: start, stop, restart, pause,
exec, update, rollback (capsule_actions.py), and running `capsule exec` with the terminal
handed over (exec_terminal.py). Every call to the hosts goes through the backend or the
`capsule` command, in a worker or with the app suspended.
"""
