"""What a program given to an interpreter on the command line does, as far as a glance can
tell: ``python3 -c 'import shutil; shutil.rmtree(...)'`` deletes a tree as surely as
``rm -rf``, and ``perl -e 'system("rm -rf d")'`` runs a shell command.

These are pattern checks on the program's text, not a parser for five languages:
they look for the calls that delete files, write raw devices, fork without end,
run shell commands (whose string literals are then checked as shell) or execute
downloaded or decoded text. A program that hides its calls (``getattr(os, 're'
'move')``) gets past them; the risk rules say so in docs/cmd.md.
"""

from __future__ import annotations

import re

__all__ = ["CodeFindings", "scan_code"]

_DELETES = re.compile(
    r"rmtree|remove_tree|\bos\s*\.\s*(?:remove|unlink|rmdir|removedirs)\b|\.unlink\s*\("
    r"|\.rmdir\s*\(|\bunlink(?:Sync)?\b|\brmdir(?:Sync)?\b|\brmSync\b|\bfs\.(?:promises\.)?rm\b"
    r"|\brimraf\b|FileUtils\s*\.\s*(?:rm|remove)|\brm_(?:rf?|f)\b|File\s*\.\s*delete"
    r"|Dir\s*\.\s*(?:delete|rmdir|unlink)|\bdelete_tree\b|\bos\.RemoveAll\b")
_SHELL_OUT = re.compile(
    r"\b(?:system|popen|Popen|subprocess|spawn\w*|exec[lv]p?e?|execSync|execFile\w*"
    r"|shell_exec|passthru|proc_open|child_process|check_output|check_call|getoutput"
    r"|getstatusoutput|os\.exec\w*)\b|`|\bqx\s*[{(/|!]|%x[{(]")
_NETWORK = re.compile(r"urlopen|urllib|requests\s*\.|http\.client|httpx|\bfetch\s*\(|LWP::"
                      r"|HTTP::Tiny|Net::HTTP|open-uri|URI\.open|https?://|\bsocket\b")
_EXEC = re.compile(r"\b(?:exec|eval|compile|system|execfile|runpy|Function|vm\.run\w*"
                   r"|instance_eval|load)\s*\(|\beval\b|\bexec\b|\|\s*(?:ba)?sh\b")
_DECODE = re.compile(r"b64decode|base64|decode\s*\(\s*['\"](?:hex|rot)|fromhex|unhexlify"
                     r"|zlib|marshal|pickle\.loads|unpack\s*\(|decode_base64|atob|Buffer\.from")
_FORK = re.compile(r"\bfork\s*\(|\bfork\b")
_LOOP = re.compile(r"\bwhile\b|\bfor\b|\bloop\b|\buntil\b|\bredo\b")
_DEVICE = re.compile(r"/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|loop|dm-|md\d|nbd|mem\b|kmem"
                     r"|port\b|mapper/)")
_POWER = re.compile(r"/proc/sysrq-trigger|\breboot\s*\(|\bLINUX_REBOOT")
_STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
# Command text in backticks or perl's qx: `rm -rf d`, qx(rm -rf d), qx{...}, %x(...).
_BACKTICK = re.compile(r"`([^`]*)`|\bqx\s*([({/|!])(.*?)[)}/|!]|%x[({](.*?)[)}]", re.S)


class CodeFindings:
    """What ``scan_code`` saw: the risk rule names and the shell strings to check."""

    def __init__(self) -> None:
        self.rules: list[str] = []
        self.shell_strings: list[str] = []


def scan_code(code: str) -> CodeFindings:
    """The findings for a program text given with ``-c``/``-e`` or on stdin."""
    found = CodeFindings()
    if _DELETES.search(code):
        found.rules.append("code-deletes")
    if _DEVICE.search(code):
        found.rules.append("raw-disk")
    if _POWER.search(code):
        found.rules.append("power")
    if _FORK.search(code) and _LOOP.search(code):
        found.rules.append("fork-bomb")
    if _EXEC.search(code):
        if _NETWORK.search(code):
            found.rules.append("shell-of-download")
        elif _DECODE.search(code):
            found.rules.append("hidden-code")
    if _SHELL_OUT.search(code):
        for match in _STRING.finditer(code):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if text and text.strip():
                found.shell_strings.append(text.encode().decode("unicode_escape", "replace")
                                           if "\\" in text else text)
        for match in _BACKTICK.finditer(code):
            text = match.group(1) or match.group(3) or match.group(4) or ""
            if text.strip():
                found.shell_strings.append(text)
        # A list of arguments (["rm", "-rf", "d"]) is one command too.
        words = [m.group(1) or m.group(2) or "" for m in _STRING.finditer(code)]
        if len(words) > 1:
            found.shell_strings.append(" ".join(_quote(w) for w in words if w))
    return found


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"
