"""Kubernetes `$(VAR)` expansion in command, args and env values, and its inverse.

Kubernetes expands `$(NAME)` in a container's command and args (from the container's
whole environment) and in env values (from the variables defined before them); `$$`
stands for a literal `$`. Docker does no such thing, so the Kubernetes reader expands
at translate time and the spec holds the literal text, and the Pod writer escapes
literal text so that Kubernetes leaves it as it is. The rules follow the kubelet's
expansion package exactly: an unknown `$(NAME)` stays as written, as does a `$` that
starts neither `$$` nor `$(`.

A variable that holds a Secret reference has no value at translate time (and must not
get one in a spec); `expand` leaves such references as written and reports them.
"""

from __future__ import annotations

from collections.abc import Mapping


def expand(text: str, variables: Mapping[str, str | None]) -> tuple[str, tuple[str, ...]]:
    """(expanded text, names of referenced variables whose value is hidden (None))."""
    if "$" not in text:
        return text, ()
    out: list[str] = []
    hidden: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char != "$" or i + 1 >= n:
            out.append(char)
            i += 1
            continue
        following = text[i + 1]
        if following == "$":
            out.append("$")
            i += 2
        elif following == "(":
            close = text.find(")", i + 2)
            if close < 0:
                out.append("$(")
                i += 2
                continue
            name = text[i + 2 : close]
            if name in variables and variables[name] is not None:
                out.append(variables[name])  # type: ignore[arg-type]
            else:
                if name in variables:
                    hidden.append(name)
                out.append(text[i : close + 1])
            i = close + 1
        else:
            out.append("$" + following)
            i += 2
    return "".join(out), tuple(hidden)


def escape(text: str) -> str:
    """Literal text that Kubernetes' expansion turns back into itself."""
    if "$" not in text:
        return text
    out = []
    for i, char in enumerate(text):
        if char == "$" and i + 1 < len(text) and text[i + 1] in "$(":
            out.append("$$")
        else:
            out.append(char)
    return "".join(out)
