"""The commands of the `capsule` command line, one module each.

A command module exposes `register(subparsers)`, which adds its subparser and sets
`func` (a callable taking the parsed arguments and returning the exit code) with
`set_defaults`. capsule_tui/cli.py lists the modules in `COMMAND_MODULES`.

Every module here is imported whenever `capsule` runs, so its top level imports only
the standard library and light project modules: textual, httpx, docker and kubernetes
are imported inside the function that runs the command, never at the top.
"""
