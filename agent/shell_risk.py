"""Which proposed shell commands deserve a warning before anyone runs them.

The warning comes from this rule list, never from the model: a model that wrote
``rm -rf`` is the last one to ask whether ``rm -rf`` is dangerous, and a fixed
list is the same on every run and can be tested. The rules err towards warning
(a needless warning costs a glance; a missing one can cost a disk), but they
look only at what the shell would run: text inside quotes (``echo '>'``,
``grep -r 'rm -rf'``) is masked first, so quoting a word does not flag it.

A redirect is flagged only when its target already exists (relative to the
directory the command would run in): ``> new.txt`` destroys nothing.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RULES", "Risk", "Rule", "assess", "mask_quoted"]


@dataclass(frozen=True)
class Risk:
    """One reason to look twice: ``rule`` names it, ``reason`` is said to the user."""

    rule: str
    reason: str


@dataclass(frozen=True)
class Rule:
    """``quoted``: match the raw text (a shell runs ``"$(curl ...)"`` inside double quotes)."""

    name: str
    pattern: re.Pattern[str]
    reason: str
    quoted: bool = False


# A command word: first in the line, after a separator, a pipe or a subshell, or after
# a word that runs the next one (sudo, xargs, ...). Rules see the masked line with its
# whitespace collapsed, so each lookbehind has a fixed width.
_RUNNERS = ("sudo", "doas", "xargs", "env", "nohup", "time", "exec", "then", "do", "else",
            "watch", "nice", "command", "builtin", "!")
_W = "(?:^|" + "|".join([*(f"(?<={re.escape(c)})" for c in ";&|(`{"),
                         *(f"(?<={re.escape(c)} )" for c in ";&|(`{"),
                         *(f"(?<=^{re.escape(r)} )" for r in _RUNNERS),
                         *(f"(?<= {re.escape(r)} )" for r in _RUNNERS)]) + ")"
# Arguments before a flag, without crossing into the next command of a list or pipe.
_ARGS = r"(?:[^\s;&|]+\s+)*?"


def _rule(name: str, pattern: str, reason: str, *, quoted: bool = False) -> Rule:
    return Rule(name, re.compile(pattern), reason, quoted)


RULES: tuple[Rule, ...] = (
    _rule("rm-recursive", _W + r"rm\s+" + _ARGS + r"(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)\b",
          "deletes directories recursively (rm -r)"),
    _rule("rm-wildcard", _W + r"rm\s+" + _ARGS + r"[^\s;&|]*\*",
          "deletes every file a wildcard matches"),
    _rule("dd", _W + r"dd(?=\s|$)", "writes raw blocks (dd)"),
    _rule("mkfs", _W + r"(?:mkfs(?:\.\w+)?|mke2fs|mkswap|wipefs|fdisk|sfdisk|parted)(?=\s|$)",
          "formats or repartitions a disk"),
    _rule("recursive-perms", _W + r"(?:chmod|chown|chgrp)\s+" + _ARGS
          + r"(?:-[a-zA-Z]*R[a-zA-Z]*|--recursive)\b",
          "changes permissions or owners recursively"),
    _rule("privileges", _W + r"(?:sudo|doas|su|pkexec|runas)(?=\s|$)",
          "runs with elevated privileges"),
    _rule("pipe-to-shell", r"\b(?:curl|wget|fetch)\b[^;&]*\|\s*(?:sudo\s+)?"
          r"(?:\w+/)*(?:ba|z|k|da|fi|c|tc)?sh\b",
          "runs a script straight from the network", quoted=True),
    _rule("shell-of-download",
          r"\b(?:ba|z|k|da)?sh\s+(?:-c\s+)?[\"']?(?:\$\(|<\()\s*(?:curl|wget)\b",
          "runs a script straight from the network", quoted=True),
    _rule("git-force-push", _W + r"git\s+" + _ARGS + r"push\s+" + _ARGS
          + r"(?:--force\b|-f\b|--mirror\b|\+\S)",
          "rewrites remote history (git push --force)"),
    _rule("git-reset-hard", _W + r"git\s+" + _ARGS + r"reset\s+" + _ARGS + r"--hard\b",
          "discards uncommitted changes (git reset --hard)"),
    _rule("git-clean", _W + r"git\s+" + _ARGS + r"clean\s+" + _ARGS
          + r"-[a-zA-Z]*f", "deletes untracked files (git clean -f)"),
    _rule("find-delete", _W + r"find\s+[^;&|]*?(?:-delete\b|-exec(?:dir)?\s+rm\b)",
          "deletes every file find matches"),
    _rule("shred", _W + r"(?:shred|truncate|srm)(?=\s|$)", "destroys file contents"),
    _rule("kill-all", _W + r"(?:kill\s+" + _ARGS + r"-1(?=\s|$)|killall5?(?=\s)|pkill\s+"
          + _ARGS + r"-9)", "kills many processes at once"),
    _rule("fork-bomb", r"(\w+|:)\s*\(\)\s*\{[^}]*\1\s*\|\s*\1\s*&", "is a fork bomb",
          quoted=True),
    _rule("raw-disk", r"(?:>|\bof=)\s*/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk)\w*",
          "writes to a raw disk device"),
    _rule("power", _W + r"(?:shutdown|reboot|halt|poweroff)(?=\s|$)",
          "shuts down or restarts the machine"),
    _rule("crontab-remove", _W + r"crontab\s+" + _ARGS + r"-r\b", "removes your crontab"),
)

# `>`, `>|` and `&>` replace a file; `>>` appends, `2>&1` duplicates a descriptor.
_REDIRECT = re.compile(r"(?<![<>&])(?:&|\d)?>\|?(?![>&])\s*([^\s;&|<>()]+)")
_HARMLESS_TARGETS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"}


def mask_quoted(command: str) -> str:
    """``command`` with every character inside quotes (and each escaped one) as ``_``.

    The length is kept, so a match's position in the mask is its position in the
    original text (a redirect's target is read back from there).
    """
    out: list[str] = []
    quote = ""
    escaped = False
    for ch in command:
        if escaped:
            out.append("_")
            escaped = False
        elif ch == "\\" and quote != "'":
            out.append("_")
            escaped = True
        elif quote:
            if ch == quote:
                quote = ""
                out.append(ch)
            else:
                out.append("_")
        elif ch in "'\"":
            quote = ch
            out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


# Options of runner words that take the next word as their value (``xargs -n 1 rm``).
_RUNNER_VALUE_FLAGS = {"xargs": set("IinPLdsaE"), "sudo": set("ugCDhprT"), "doas": set("uC"),
                       "nice": {"n"}, "watch": set("nd"), "env": set("uSC"), "time": set("fo")}


def drop_runner_options(words: str) -> str:
    """``words`` with the options (and ``env``'s assignments) between a runner word and the
    command it runs taken out, so ``xargs -0 -n 1 rm -rf`` is seen as ``xargs rm -rf``."""
    tokens = words.split(" ")
    out: list[str] = []
    runner: str | None = None
    skip_value = False
    for token in tokens:
        if skip_value:
            skip_value = False
            continue
        if runner is not None and ((token.startswith("-") and token != "-")
                                   or (runner == "env" and "=" in token)):
            flags = _RUNNER_VALUE_FLAGS.get(runner, set())
            skip_value = len(token) == 2 and token[1] in flags
            continue
        runner = token if token in _RUNNERS else None
        out.append(token)
    return " ".join(out)


def assess(command: str, cwd: Path) -> tuple[Risk, ...]:
    """The reasons to warn about ``command`` if it ran in ``cwd`` (empty: none found)."""
    masked = mask_quoted(command)
    words = drop_runner_options(re.sub(r"\s+", " ", masked.strip()))
    found: list[Risk] = []
    for rule in RULES:
        if (rule.pattern.search(command if rule.quoted else words)
                and all(r.reason != rule.reason for r in found)):
            found.append(Risk(rule.name, rule.reason))
    for match in _REDIRECT.finditer(masked):
        target = command[match.start(1):match.end(1)].strip("'\"")
        if target in _HARMLESS_TARGETS or "$" in target or not target:
            continue
        if (cwd / os.path.expanduser(target)).exists():
            found.append(Risk("redirect-overwrite", f"overwrites the existing file {target}"))
    return tuple(found)
