"""The tree a shell command line parses into (``parser``), for the risk rules.

Words keep their quoting: what was quoted, what is a parameter, what is a command or
process substitution, so ``words`` can expand them the way the shell would and
``risk`` can judge the commands that would really run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MAX_DEPTH", "Arith", "Command", "Compound", "FuncDef", "Lit", "Param",
           "ParseError", "Part", "Pipeline", "Redirect", "Script", "Simple", "Sub", "Word"]

MAX_DEPTH = 12  # nested substitutions and sh -c strings deeper than this are not read


class ParseError(ValueError):
    """The text is not a command line this parser can read."""


@dataclass(frozen=True)
class Lit:
    """Literal text; ``quoted``: it came from quotes or an escape (no globbing, no braces)."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Param:
    """``$name`` / ``${...}``: ``plain`` when it is just the name (``${name}``), else an
    operation whose result lamp does not compute; ``subs``: substitutions inside it."""

    name: str
    quoted: bool
    plain: bool = True
    subs: tuple[Sub, ...] = ()


@dataclass(frozen=True)
class Sub:
    """A script whose output becomes text: ``$(...)``/backticks (``kind`` "command") or a
    file name: ``<(...)``/``>(...)`` (``kind`` "process")."""

    script: Script
    quoted: bool
    kind: str = "command"


@dataclass(frozen=True)
class Arith:
    """``$((...))``: a number lamp does not compute; ``subs``: substitutions inside it."""

    quoted: bool
    subs: tuple[Sub, ...] = ()


Part = Lit | Param | Sub | Arith


@dataclass(frozen=True)
class Word:
    parts: tuple[Part, ...]

    def literal(self) -> str | None:
        """The word's text when it has no expansions at all (quotes removed), else None."""
        if all(isinstance(p, Lit) for p in self.parts):
            return "".join(p.text for p in self.parts)  # type: ignore[union-attr]
        return None

    def plain(self) -> str | None:
        """The text of a word written without any quoting or expansion (a reserved word)."""
        if len(self.parts) == 1 and isinstance(self.parts[0], Lit) and not self.parts[0].quoted:
            return self.parts[0].text
        return None

    def subs(self) -> tuple[Sub, ...]:
        """Every substitution in the word, including those inside ``${...}`` and ``$((...))``."""
        out: list[Sub] = []
        for part in self.parts:
            if isinstance(part, Sub):
                out.append(part)
            elif isinstance(part, (Param, Arith)):
                out.extend(part.subs)
        return tuple(out)


@dataclass
class Redirect:
    """``op`` as written (``>``, ``>>``, ``<``, ``<<``, ``<<<``, ``&>``, ``>&``...);
    ``target``: the word after it; ``body``: a here-document's text as a word."""

    op: str
    target: Word | None
    fd: str = ""
    body: Word | None = None


@dataclass
class Simple:
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Compound:
    """A compound command. ``kind``: subshell, group, if, while, until, for, select, case,
    arith, cond; ``parts``: its lists in order (for ``while``: the condition first);
    ``words``: words it expands (a for list, a case word, a ``[[`` expression)."""

    kind: str
    parts: list[Script] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    text: str = ""  # the raw text of (( )) and for (( ))


@dataclass
class FuncDef:
    name: str
    body: Command


Command = Simple | Compound | FuncDef


@dataclass
class Pipeline:
    commands: list[Command]
    negated: bool = False


@dataclass
class Script:
    """A list: each item is an and-or chain of pipelines and the separator after it
    (``;``, ``&``, newline or "" at the end); ``&`` runs the chain in the background."""

    items: list[tuple[list[Pipeline], str]] = field(default_factory=list)
