"""A second look at a proposed command against the words of the request, before anyone sees it.

Three mistakes a small model makes over and over, each visible from the request
and the command line together, none needing the model to judge itself:

- a request that only asks to see something, answered with a command that
  changes files (``sed -i`` for "print the file with foo replaced");
- a request limited to this folder ("not subfolders", "현재 폴더만"), answered
  with a command that goes down the whole tree (``find`` without
  ``-maxdepth``, ``ls -R``, ``grep -r``);
- a count or a top-N taken over ``ls -l`` or ``ps`` output, whose first line is
  a header (``total 12``), so the count is one too many or the header is "the
  largest file".

Each finding is a sentence the drafter sends back as the user's correction,
once. The correction names the problem, not the answer: the model writes the
fix itself, so the check helps on requests it was never written for.
"""

from __future__ import annotations

import re
from pathlib import Path

from .effects import asks_only_to_read
from .risk import file_changes

__all__ = ["review"]

_THIS_FOLDER_ONLY = re.compile(
    r"\bnot\s+(?:in\s+|into\s+|counting\s+|including\s+|inside\s+)?(?:any\s+)?(?:the\s+)?"
    r"sub[- ]?(?:folders?|directories|directory|dirs?)\b"
    r"|\bonly\s+(?:in\s+)?(?:this|the\s+current)\s+(?:folder|directory|dir)\b"
    r"|\b(?:this|the\s+current)\s+(?:folder|directory|dir)\s+only\b"
    r"|\btop[- ]level\b|\bnon[- ]?recursive(?:ly)?\b"
    r"|\bwithout\s+(?:going\s+into\s+|descending\s+into\s+|looking\s+in\s+)?"
    r"sub[- ]?(?:folders?|directories|dirs?)\b"
    r"|하위\s*(?:폴더|디렉터리|디렉토리)[은는을를의]?\s*(?:제외|빼고|말고|포함하지|들어가지)"
    r"|(?:현재|이)\s*(?:폴더|디렉터리|디렉토리)(?:에서|에|의)?\s*만",
    re.IGNORECASE)
# A stage of a pipeline: text between | ; & ( ) and newlines.
_STAGES = re.compile(r"[^|;&()\n]+")


def _stages(command: str) -> list[list[str]]:
    return [stage.split() for stage in _STAGES.findall(command) if stage.split()]


def _short_flags(words: list[str]) -> str:
    return "".join(w[1:] for w in words[1:] if w.startswith("-") and not w.startswith("--"))


def _recurses(words: list[str]) -> bool:
    name, flags = words[0], _short_flags(words)
    if name == "find":
        return "-maxdepth" not in words
    if name == "ls":
        return "R" in flags or "--recursive" in words
    if name in ("grep", "egrep", "fgrep", "rg"):
        return name == "rg" or bool(set(flags) & set("rR")) or "--recursive" in words
    if name in ("du", "tree"):
        return not (set(flags) & set("sdL")) and not any(
            w.startswith(("--max-depth", "--summarize")) for w in words)
    if name in ("rm", "cp", "chmod", "chown", "chgrp"):
        return bool(set(flags) & set("rR")) or "--recursive" in words
    return False


def _header_then_cut(stages: list[list[str]]) -> tuple[str, str] | None:
    """The program whose header line is counted, sorted or cut with its entries (``ls -l``
    then ``head``), and what that header is; None when there is none."""
    for i, words in enumerate(stages[:-1]):
        name, flags = words[0], _short_flags(words)
        later = [w[0] for w in stages[i + 1:]]
        if any(w[0] in ("awk", "sed", "grep") or (w[0] == "tail" and any(
                x.startswith("+") or x.startswith("-n+") for x in w)) for w in stages[i + 1:]):
            return None  # the header is filtered out
        shown = " ".join(words[:2]) if len(words) > 1 else name
        if name == "ls" and "l" in flags and {"head", "sort", "wc", "tail"} & set(later):
            return shown, "a 'total' line"
        if name in ("ps", "df") and {"sort", "wc"} & set(later):
            return shown, "a line of column names"
    return None


def review(request: str, command: str, cwd: Path) -> str | None:
    """A correction to send back for ``command`` as an answer to ``request`` (None: no
    finding). ``cwd``: where it would run (what a redirect overwrites depends on it)."""
    if asks_only_to_read(request):
        changes = file_changes(command, cwd)
        if changes:
            return (f"That command {changes[0]}, but the request only asks to see the "
                    "result. Give a command that prints it and leaves every file as it is.")
    stages = _stages(command)
    if _THIS_FOLDER_ONLY.search(request) and any(_recurses(w) for w in stages):
        return ("That command also goes into subfolders, but the request is about this "
                "folder only. Give a command that stays at the top level.")
    header = _header_then_cut(stages)
    if header is not None:
        program, line = header
        return (f"`{program}` prints {line} before the entries, and the rest of the command "
                "counts or sorts it with them. Give a command whose output has only the "
                "entries.")
    return None
