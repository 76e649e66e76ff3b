"""capsule's two faces for people and scripts: the terminal UI and the `capsule` command line.

The UI (app.py, screens/, widgets/, formatters/) and the headless commands
(cli.py, commands/) live in one package because they are the same front door
onto the runtime: both reach it only through `runtime.service.CapsuleService`,
share the output formatting, and are installed as the one `capsule` command;
the command line imports no Textual, so `capsule translate` and `capsule list`
start fast without a terminal.
"""
