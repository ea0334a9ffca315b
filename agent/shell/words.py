"""Parsed shell words expanded into the fields a command receives, as far as they are known.

The shell expands a word before a command sees it: braces (``{rm,-rf,d}`` is three
words), parameters (``X=rm; $X``), then splits unquoted expansions on ``IFS``
(``rm${IFS}-rf`` is two words) and removes quotes. The risk rules must judge the
result, not the spelling, so this module does the same steps on what is known when
the line is read. What is only known when it runs (``$HOME``, ``$(...)``, ``$((...))``)
stays a hole: the field says it is ``dynamic`` and keeps the known text around it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .parser import Arith, Lit, Param, Sub, Word

__all__ = ["DEFAULT_IFS", "Field", "expand"]

DEFAULT_IFS = " \t\n"
_MAX_FIELDS = 512  # a brace expansion larger than this is not spelled out
_SEQUENCE = re.compile(r"(-?\d+|[A-Za-z])\.\.(-?\d+|[A-Za-z])(?:\.\.(-?\d+))?")


@dataclass(frozen=True)
class Field:
    """One argument as the command would receive it.

    ``text``: its known characters (holes left out); ``dynamic``: part of it is known
    only at run time; ``glob``: an unquoted ``*``, ``?`` or ``[...]`` may match many
    files; ``expanded``: a parameter or substitution was involved (even a resolved one);
    ``subs``: the substitutions whose output is (part of) it; ``shape``: the text with
    each hole as NUL (empty: same as ``text``)."""

    text: str
    dynamic: bool = False
    glob: bool = False
    expanded: bool = False
    subs: tuple[Sub, ...] = ()
    shape: str = ""

    def template(self, hole: str) -> str:
        """The text with each unknown part replaced by ``hole``."""
        return (self.shape or self.text).replace("\0", hole)


# Atoms: ("c", char, quoted), ("s", char) a char of an unquoted expansion (IFS may
# split it), ("d", quoted, sub-or-None) a hole.
_Atom = tuple


class _TooMany(Exception):
    pass


def expand(word: Word, env: Mapping[str, str | None]) -> list[Field]:
    """The fields ``word`` becomes; ``env`` maps variables to their known value (None:
    unknown). A variable not in ``env`` is unknown, except ``IFS`` (default blanks)."""
    atoms: list[_Atom] = []
    expanded = False
    for part in word.parts:
        if isinstance(part, Lit):
            atoms.extend(("c", ch, part.quoted) for ch in part.text)
            if part.quoted and not part.text:
                atoms.append(("c", "", True))
        elif isinstance(part, Param):
            expanded = True
            value = env.get(part.name, DEFAULT_IFS if part.name == "IFS" else None) \
                if part.plain else None
            if value is None:
                atoms.append(("d", part.quoted, None))
            elif part.quoted:
                atoms.extend(("c", ch, True) for ch in value)
                atoms.append(("c", "", True))
            else:
                atoms.extend(("s", ch) for ch in value)
        elif isinstance(part, Sub):
            expanded = True
            atoms.append(("d", part.quoted, part))
        elif isinstance(part, Arith):
            expanded = True
            atoms.append(("d", part.quoted, None))
    try:
        alternatives = _braces(atoms, [0])
    except _TooMany:
        return [Field(_known(atoms), dynamic=True, expanded=True, subs=word.subs())]
    ifs = env.get("IFS", DEFAULT_IFS)
    fields: list[Field] = []
    for alt in alternatives:
        fields.extend(_split(alt, ifs, expanded))
    return fields


def _known(atoms: list[_Atom]) -> str:
    return "".join(a[1] for a in atoms if a[0] in ("c", "s"))


def _is(atom: _Atom, char: str) -> bool:
    return atom[0] == "c" and atom[1] == char and not atom[2]


def _braces(atoms: list[_Atom], count: list[int]) -> list[list[_Atom]]:
    for i, atom in enumerate(atoms):
        if not _is(atom, "{"):
            continue
        depth, commas, end = 0, [], -1
        for j in range(i, len(atoms)):
            if _is(atoms[j], "{"):
                depth += 1
            elif _is(atoms[j], "}"):
                depth -= 1
                if depth == 0:
                    end = j
                    break
            elif _is(atoms[j], ",") and depth == 1:
                commas.append(j)
        if end < 0:
            continue
        pre, post = atoms[:i], atoms[end + 1:]
        if commas:
            bounds = [i, *commas, end]
            alts = [atoms[a + 1:b] for a, b in itertools.pairwise(bounds)]
        else:
            seq = _sequence(atoms[i + 1:end])
            if seq is None:
                continue
            alts = [[("c", ch, False) for ch in item] for item in seq]
        out: list[list[_Atom]] = []
        for alt in alts:
            out.extend(_braces(pre + alt + post, count))
            if len(out) > _MAX_FIELDS:
                raise _TooMany
        return out
    count[0] += 1
    if count[0] > _MAX_FIELDS:
        raise _TooMany
    return [atoms]


def _sequence(atoms: list[_Atom]) -> list[str] | None:
    if any(a[0] != "c" or a[2] for a in atoms):
        return None
    match = _SEQUENCE.fullmatch("".join(a[1] for a in atoms))
    if match is None:
        return None
    first, last, step_text = match.groups()
    step = abs(int(step_text)) if step_text and int(step_text) else 1
    if first.lstrip("-").isdigit() and last.lstrip("-").isdigit():
        a, b = int(first), int(last)
        if abs(b - a) // step > _MAX_FIELDS:
            raise _TooMany
        rng = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
        return [str(n) for n in rng]
    if first.isdigit() != last.isdigit() or first.lstrip("-").isdigit():
        return None
    a, b = ord(first), ord(last)
    rng = range(a, b + 1, step) if a <= b else range(a, b - 1, -step)
    return [chr(n) for n in rng]


def _split(atoms: list[_Atom], ifs: str | None, expanded: bool) -> list[Field]:
    fields: list[Field] = []
    text: list[str] = []
    shape: list[str] = []
    state = {"dynamic": False, "quoted": False, "subs": [], "glob_raw": []}

    def close() -> None:
        if text or state["dynamic"] or state["quoted"]:
            fields.append(Field("".join(text), dynamic=bool(state["dynamic"]),
                                glob=_has_glob(state["glob_raw"]), expanded=expanded,
                                subs=tuple(state["subs"]),
                                shape="".join(shape) if state["dynamic"] else ""))
        text.clear()
        shape.clear()
        state.update(dynamic=False, quoted=False, subs=[], glob_raw=[])

    for atom in atoms:
        if atom[0] == "s":
            if ifs is None:  # IFS set to something unknown: any split is possible
                state["dynamic"] = True
                text.append(atom[1])
                shape.append(atom[1])
            elif atom[1] in ifs:
                close()
            else:
                text.append(atom[1])
                shape.append(atom[1])
                state["glob_raw"].append(atom[1])
        elif atom[0] == "c":
            text.append(atom[1])
            shape.append(atom[1])
            state["glob_raw"].append("" if atom[2] else atom[1])
            state["quoted"] = state["quoted"] or atom[2]
        else:
            state["dynamic"] = True
            shape.append("\0")
            state["quoted"] = state["quoted"] or atom[1]
            if atom[2] is not None:
                state["subs"].append(atom[2])
    close()
    return fields


def _has_glob(raw: list[str]) -> bool:
    """Whether the unquoted characters hold a glob: ``*``, ``?`` or a closed ``[...]``."""
    if "*" in raw or "?" in raw:
        return True
    if "[" in raw:
        return "]" in raw[raw.index("[") + 2:]
    return False
