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


# How to keep each recursing program at the top level, said in the correction.
_TOP_LEVEL_HOW = {
    "find": "add -maxdepth 1 right after the starting folder",
    "ls": "drop -R",
    "grep": "drop -r and name the files (such as *.txt) instead of a folder",
    "rg": "add --max-depth 1",
    "du": "add -d 1, or -s for one total",
    "tree": "add -L 1",
    "rm": "drop -r", "cp": "drop -r", "chmod": "drop -R", "chown": "drop -R",
    "chgrp": "drop -R",
}


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


def _lists_a_folder(words: list[str]) -> bool:
    """Whether ``ls`` lists a folder's contents (and so, with -l, prints a 'total' line):
    no operand, or one that names a folder; files and globs of files get no total."""
    operands = [w for w in words[1:] if not w.startswith("-")]
    return not operands or all(w in (".", "..") or w.endswith("/") for w in operands)


def _header_then_cut(stages: list[list[str]]) -> tuple[str, tuple[str, str]] | None:
    """The program whose header line is counted, sorted or cut with its entries (``ls -l``
    then ``head``), what that header is and how to avoid it; None when there is none."""
    for i, words in enumerate(stages[:-1]):
        name, flags = words[0], _short_flags(words)
        later = [w[0] for w in stages[i + 1:]]
        if any(w[0] in ("awk", "sed", "grep") or (w[0] == "tail" and any(
                x.startswith("+") or x.startswith("-n+") for x in w)) for w in stages[i + 1:]):
            return None  # the header is filtered out
        shown = " ".join(words[:2]) if len(words) > 1 else name
        if name == "ls" and "l" in flags and _lists_a_folder(words) and {
                "head", "sort", "wc", "tail"} & set(later):
            return shown, ("a 'total' line", "drop -l (ls -S sorts by size, ls -t by time) "
                                             "or skip that first line")
        if name in ("ps", "df") and {"sort", "wc"} & set(later):
            return shown, ("a line of column names", "skip that first line")
    return None


def review(request: str, command: str, cwd: Path) -> str | None:
    """A correction to send back for ``command`` as an answer to ``request`` (None: no
    finding). ``cwd``: where it would run (what a redirect overwrites depends on it)."""
    if asks_only_to_read(request):
        changes = file_changes(command, cwd)
        if changes:
            return (f"That command {changes[0]}, but the request only asks to see the "
                    "result. Keep what the command computes, but print the result instead "
                    "of changing any file.")
    stages = _stages(command)
    if _THIS_FOLDER_ONLY.search(request):
        deep = next((w[0] for w in stages if _recurses(w)), None)
        if deep is not None:
            how = _TOP_LEVEL_HOW.get(deep if deep not in ("egrep", "fgrep") else "grep", "")
            return (f"`{deep}` there also goes into subfolders, but the request is about this "
                    f"folder only. Keep the rest of the command and {how}.")
    header = _header_then_cut(stages)
    if header is not None:
        program, (line, how) = header
        return (f"`{program}` prints {line} before the entries, and the rest of the command "
                f"counts or sorts it as if it were one. Keep the rest of the command and "
                f"{how}.")
    return None
