"""Pure text for the terminal UI: rows, details, the host line, the placement preview,
the create screen's report. Rich Text at most; no Textual, no I/O, so plain tests cover them.
"""
