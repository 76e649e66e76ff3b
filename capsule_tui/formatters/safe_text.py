"""`shown(text)`: text from a host or a file, made safe to put on a terminal.

A capsule's name, labels and spec, its events' messages and reasons, a host's error:
all of it can come from whoever made a container on a shared engine (`capsule list`
rebuilds its rows from the containers' labels), and a control character in it would
reach the terminal. ESC starts sequences that clear the screen, move the cursor, set
the window title or (with some terminals) write files; a newline or a tab breaks a
table's layout; C1 characters (0x80-0x9f) are the 8-bit forms of the same sequences.

So every human-readable output, the command line's tables, `describe`, `events`,
`history`, `hosts`, the member prefix of `logs` and every text of the terminal UI,
passes its outside text through `shown`, which writes each C0 control (0x00-0x1f),
DEL (0x7f) and C1 control (0x80-0x9f) as Python writes it in a string literal:
`\\n`, `\\r`, `\\t`, and `\\xNN` for the rest (ESC is `\\x1b`). Every other character,
the backslash included, is shown as it is, so ordinary text never changes. `-o json`
and `-o yaml` are data, escaped by JSON and YAML themselves, and never pass here; nor
do the lines of `capsule logs`, the container's own output kept byte-exact as `docker
logs` keeps it (the terminal UI's log view escapes them: a container must not drive
the UI's terminal).

Cheap on ordinary text, since a refresh of the capsule list passes 1,000 rows through
it: one search of a precompiled pattern that finds nothing returns the text itself.
Pure: standard library only, so every command can import it without cost.
"""

from __future__ import annotations

import re

_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
# repr's escapes: \t \n \r, and \xNN for every other control character.
_ESCAPES = {code: repr(chr(code))[1:-1] for code in _CONTROLS}
_KEPT_IN_BLOCKS = (ord("\n"), ord("\t"))
_BLOCK_ESCAPES = {code: text for code, text in _ESCAPES.items() if code not in _KEPT_IN_BLOCKS}

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f]")
_UNSAFE_IN_BLOCKS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str, *, block: bool = False) -> str:
    """`text` with every control character written as a visible escape (`\\x1b`, `\\n`).

    `block=True`: a block of text laid out by a widget of its own (a log line in the
    terminal UI's log view, a YAML document, an error in a notification): newline and
    tab are kept, since there they are layout and not a way to drive the terminal; the
    rest is escaped. Never for a table cell or one line of a command's output.
    """
    if block:
        return text.translate(_BLOCK_ESCAPES) if _UNSAFE_IN_BLOCKS.search(text) else text
    return text.translate(_ESCAPES) if _UNSAFE.search(text) else text
