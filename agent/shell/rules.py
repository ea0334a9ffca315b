"""The risk rules' names and reasons, and the rules that judge one command by its name and
arguments (after ``risk`` has found which command really runs).

Each rule is a few lines over already-expanded arguments, so ``rm -fr``, ``rm -Rf``
and ``rm --recur`` read the same and quoted text never reaches a rule as a
command. A short-option cluster is read letter by letter (``-xfd`` holds ``f``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .words import Field

__all__ = ["REASONS", "name_rules"]

REASONS: dict[str, str] = {
    "rm-recursive": "deletes directories recursively (rm -r)",
    "rm-wildcard": "deletes every file a wildcard matches",
    "rm-many": "deletes every file another command lists",
    "dd": "writes raw blocks (dd)",
    "mkfs": "formats or repartitions a disk",
    "recursive-perms": "changes permissions or owners recursively",
    "privileges": "runs with elevated privileges",
    "pipe-to-shell": "runs a script straight from the network",
    "shell-of-download": "runs a script straight from the network",
    "download-then-run": "runs a file it has just downloaded",
    "hidden-code": "runs code that another command produces (decoded, generated or piped "
                   "in), unseen until it runs",
    "unknown-command": "runs a command whose name is known only when it runs (a variable, "
                       "substitution or wildcard)",
    "unparsed": "could not be parsed, so its risks are unknown",
    "code-deletes": "runs a program that deletes files or directories",
    "git-force-push": "rewrites remote history (git push --force)",
    "git-reset-hard": "discards uncommitted changes (git reset --hard)",
    "git-clean": "deletes untracked files (git clean -f)",
    "find-delete": "deletes every file find matches",
    "rsync-delete": "deletes destination files the source lacks (rsync --delete)",
    "shred": "destroys file contents",
    "kill-all": "kills many processes at once",
    "fork-bomb": "starts processes without end (a fork bomb)",
    "raw-disk": "writes to a raw disk device",
    "move-to-device": "moves a file onto a device (the file is lost; as root the device "
                      "is replaced)",
    "power": "shuts down, restarts or suspends the machine",
    "crontab-remove": "removes your crontab",
}

_MKFS = re.compile(r"mkfs(?:\..+)?|mke2fs|mkswap|mkdosfs|mkntfs|mkexfatfs|wipefs|fdisk|sfdisk"
                   r"|cfdisk|gdisk|sgdisk|parted|blkdiscard|zpool|lvremove|vgremove|pvremove")
_POWER_NAMES = {"shutdown", "reboot", "halt", "poweroff", "kexec", "pm-suspend",
                "pm-hibernate", "zzz", "rtcwake", "suspend"}
_SYSTEMCTL_POWER = {"poweroff", "reboot", "halt", "kexec", "suspend", "hibernate",
                    "hybrid-sleep", "suspend-then-hibernate", "soft-reboot", "emergency",
                    "rescue", "sleep"}


def _options(args: list[Field]) -> Iterator[str]:
    """The option words before ``--`` (dynamic ones included, as their known text)."""
    for arg in args:
        if arg.text == "--":
            return
        if arg.text.startswith("-") and arg.text != "-":
            yield arg.text


def _short(args: list[Field], letters: str) -> bool:
    """Whether a short-option cluster holds one of ``letters``."""
    return any(not o.startswith("--") and any(c in o[1:] for c in letters)
               for o in _options(args))


def _long(args: list[Field], name: str, least: int = 4) -> bool:
    """Whether ``--name`` (or a prefix getopt accepts, at least ``least`` long) is given."""
    heads = [o.split("=")[0] for o in _options(args) if o.startswith("--")]
    return any((len(h) >= least and name.startswith(h)) or h.startswith(name) for h in heads)


def _operands(args: list[Field]) -> list[Field]:
    out: list[Field] = []
    ended = False
    for arg in args:
        if arg.text == "--" and not ended:
            ended = True
        elif ended or not arg.text.startswith("-") or arg.text == "-":
            out.append(arg)
    return out


def name_rules(name: str, args: list[Field]) -> list[str]:
    """The rules command ``name`` breaks with ``args``."""
    texts = [a.text for a in args]
    found: list[str] = []
    if name == "rm":
        if (_short(args, "rR") or _long(args, "--recursive", 3)
                or any(a.dynamic and a.text.startswith("-") for a in args)):
            found.append("rm-recursive")
        operands = _operands(args)
        if any(a.glob for a in operands):
            found.append("rm-wildcard")
        if any(a.subs and a.dynamic and a.text == "" for a in operands):
            found.append("rm-many")
    elif name in ("shred", "truncate", "srm", "wipe"):
        found.append("shred")
    elif name in ("dd", "dcfldd"):
        found.append("dd")
        if any(re.match(r"of=/dev/(?!null$|zero$|stdout$)", t) for t in texts):
            found.append("raw-disk")
    elif _MKFS.fullmatch(name) or (name == "cryptsetup" and any(
            t in ("luksFormat", "erase", "luksErase", "reencrypt") for t in texts)):
        found.append("mkfs")
    elif name in ("chmod", "chown", "chgrp", "setfacl", "chattr"):
        if _short(args, "R") or _long(args, "--recursive", 4):
            found.append("recursive-perms")
    elif name == "git":
        found += _git(args)
    elif name == "rsync" and any(o.startswith("--del") for o in _options(args)):
        found.append("rsync-delete")
    elif name == "kill":
        if "-1" in texts[1:] or texts == ["-1"] or ("--" in texts and "-1" in texts):
            found.append("kill-all")
    elif name in ("killall", "killall5") or (
            name == "pkill" and any(t in ("-9", "-KILL", "-SIGKILL") for t in texts)):
        found.append("kill-all")
    elif name in _POWER_NAMES:
        found.append("power")
    elif name in ("systemctl", "loginctl"):
        if any(t in _SYSTEMCTL_POWER or re.fullmatch(
                r"(poweroff|reboot|halt|kexec|rescue|emergency|suspend|hibernate|sleep)"
                r"\.target", t) for t in texts):
            found.append("power")
    elif name in ("init", "telinit"):
        if any(t in ("0", "6", "1", "s", "S") for t in texts):
            found.append("power")
    elif name == "crontab" and _short(args, "r"):
        found.append("crontab-remove")
    return found


def _git(args: list[Field]) -> list[str]:
    i = 0
    while i < len(args) and args[i].text.startswith("-"):  # git -C dir -c k=v push
        i += 2 if args[i].text in ("-C", "-c", "--git-dir", "--work-tree", "--namespace") \
            else 1
    if i >= len(args):
        return []
    sub, rest = args[i].text, args[i + 1:]
    if sub == "push" and (_short(rest, "f") or _long(rest, "--force", 5)
                          or _long(rest, "--mirror", 5)
                          or any(a.text.startswith("+") for a in _operands(rest))):
        return ["git-force-push"]
    if sub == "reset" and any(o == "--hard" for o in _options(rest)):
        return ["git-reset-hard"]
    if sub == "clean" and (_short(rest, "f") or _long(rest, "--force", 5)):
        return ["git-clean"]
    return []
