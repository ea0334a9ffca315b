"""Facts about a parsed command line that the risk rules need beside each command:
which variables hold one known value (``X=rm; $X``), whether a loop never ends
(``while true``), which files a command writes by name (``tee``, ``cp``, ``of=``).
"""

from __future__ import annotations

import re

from .syntax import Command, Compound, FuncDef, Script, Simple, Sub, Word
from .words import Field

__all__ = ["endless", "known_vars", "written_files"]


def endless(cond: Script, until: bool) -> bool:
    """Whether a while/until condition is a constant that never ends the loop."""
    if len(cond.items) != 1 or len(cond.items[0][0]) != 1:
        return False
    pipeline = cond.items[0][0][0]
    if len(pipeline.commands) != 1:
        return False
    command = pipeline.commands[0]
    if isinstance(command, Compound) and command.kind == "arith":
        value = command.text.strip()
        truth = bool(value) and value.isdigit() and int(value) != 0
    elif isinstance(command, Simple) and command.words:
        words = [w.literal() for w in command.words]
        if None in words:
            return False
        truth = words in (["true"], [":"]) or (
            len(words) == 3 and words[0] == "[" and words[2] == "]" and bool(words[1])) \
            or (len(words) == 2 and words[0] == "test" and bool(words[1]))
        if words == ["false"]:
            truth = False
            if until:
                return not pipeline.negated
    else:
        return False
    return truth != (until != pipeline.negated)


def written_files(name: str, args: list[Field]) -> list[str]:
    """Files a command writes by name: tee's files, cp/mv/install's destination, dd's of=."""
    operands = [a.text for a in args if not a.text.startswith("-") and not a.dynamic]
    if name == "tee":
        return operands if not any(a.text in ("-a", "--append") for a in args) else [
            t for t in operands if t.startswith("/dev/")]
    if name in ("cp", "mv", "install", "rsync", "ddrescue", "ln", "cat"):
        return operands[-1:] if name != "cat" else []
    if name in ("dd", "dcfldd"):
        return [a.text[3:] for a in args if a.text.startswith("of=")]
    return []


def known_vars(script: Script) -> dict[str, str | None]:
    """Variables assigned in ``script`` whose value is one known text everywhere."""
    seen: dict[str, set[str | None]] = {}

    def note(name: str, value: str | None) -> None:
        seen.setdefault(name, set()).add(value)

    def walk_script(s: Script) -> None:
        for chain, _ in s.items:
            for pipeline in chain:
                for command in pipeline.commands:
                    walk(command)

    def walk(command: Command) -> None:
        if isinstance(command, FuncDef):
            walk(command.body)
        elif isinstance(command, Compound):
            if command.kind in ("for", "select") and command.text:
                note(command.text, None)
            for part in command.parts:
                walk_script(part)
        else:
            for name, word in command.assigns:
                note(name, word.literal())
            words = [w.literal() for w in command.words]
            if words and words[0] in ("export", "declare", "typeset", "local", "readonly",
                                      "read", "mapfile", "readarray", "printf", "unset",
                                      "getopts"):
                for word in command.words[1:]:
                    text = word.literal() or ""
                    key, eq, value = text.partition("=")
                    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
                        note(key, value if eq and words[0] not in ("read", "unset")
                             else None)
        for sub in _subs_of(command):
            walk_script(sub.script)

    walk_script(script)
    return {name: next(iter(values)) if len(values) == 1 else None
            for name, values in seen.items()}


def _subs_of(command: Command) -> list[Sub]:
    words: list[Word] = []
    if isinstance(command, Simple):
        words = [w for _, w in command.assigns] + command.words
    elif isinstance(command, Compound):
        words = list(command.words)
    return [s for w in words for s in w.subs()]
