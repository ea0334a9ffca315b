"""The user's side of `lamp cmd`: which shell and OS, running a command there, the clipboard.

The shell that started lamp is the one the command is for (a zsh user whose
login shell is still bash wants zsh syntax), so the parent process is asked
first and ``$SHELL`` second. Running and copying are plain functions the command
receives as dependencies, so tests hand in their own instead of touching a
terminal or the clipboard. Each reads the environment it is handed (the caller's),
never the process's.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from lamp.agent.shell.drafter import ShellTarget

__all__ = ["KNOWN_SHELLS", "Copier", "Runner", "copy_to_clipboard", "detect_target",
           "run_in_shell", "shell_argv"]

KNOWN_SHELLS = ("bash", "zsh", "fish", "sh", "dash", "ksh", "mksh", "tcsh", "csh", "nu",
                "pwsh", "powershell", "cmd")

Runner = Callable[[str, ShellTarget, Path], int]
"""Runs a command line in the target shell in a directory; returns its exit status."""

Copier = Callable[[str], "str | None"]
"""Puts text on the clipboard; returns the tool that did it, or None when none exists."""

_OS_NAMES = {"Darwin": "macOS", "Windows": "Windows", "Linux": "Linux"}


def _parent_name() -> str:
    """The parent process's program name ('' when the OS will not say)."""
    try:
        return Path(f"/proc/{os.getppid()}/comm").read_text().strip()
    except OSError:
        return ""


def _shell_name(program: str) -> str:
    name = Path(program).name.lower().lstrip("-")  # "-bash": a login shell
    name = name.removesuffix(".exe")
    return name if name in KNOWN_SHELLS else ""


def detect_target(shell: str | None = None, os_name: str | None = None, *,
                  environ: Mapping[str, str], parent: str | None = None) -> ShellTarget:
    """``--shell`` / ``--os`` when given, else the parent shell, ``$SHELL``, then sh."""
    found = (shell or _shell_name(_parent_name() if parent is None else parent)
             or _shell_name(environ.get("SHELL", ""))
             or ("powershell" if platform.system() == "Windows" else "sh"))
    system = os_name or _OS_NAMES.get(platform.system(), platform.system() or "Linux")
    return ShellTarget(shell=found, os=system)


def shell_argv(target: ShellTarget, command: str, environ: Mapping[str, str]) -> list[str]:
    """How to hand ``command`` to the target shell: ``$SHELL`` when it is that shell."""
    login = environ.get("SHELL", "")
    program = (login if login and _shell_name(login) == target.shell
               else shutil.which(target.shell, path=environ.get("PATH")) or "/bin/sh")
    if target.shell in ("pwsh", "powershell"):
        return [program, "-NoProfile", "-Command", command]
    if target.shell == "cmd":
        return [program, "/c", command]
    return [program, "-c", command]


def run_in_shell(command: str, target: ShellTarget, cwd: Path, *,
                 env: Mapping[str, str]) -> int:
    """Run in the user's shell with their environment, on lamp's own terminal (the command
    inherits this process's descriptors: a person's program needs a real terminal, not a
    stream); a signal's death is 128+signal."""
    code = subprocess.run(shell_argv(target, command, env), cwd=cwd, env=dict(env),
                          check=False).returncode
    return 128 - code if code < 0 else code


_CLIPBOARD_TOOLS: tuple[tuple[str, ...], ...] = (
    ("wl-copy",), ("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input"),
    ("pbcopy",), ("clip.exe",), ("termux-clipboard-set",),
)


def copy_to_clipboard(text: str, *, env: Mapping[str, str]) -> str | None:
    """Copy with the first clipboard tool installed (Wayland, X11, macOS, WSL, Termux), on
    the display ``env`` names."""
    for argv in _CLIPBOARD_TOOLS:
        if argv[0] == "wl-copy" and not env.get("WAYLAND_DISPLAY"):
            continue
        if argv[0] in ("xclip", "xsel") and not env.get("DISPLAY"):
            continue
        program = shutil.which(argv[0], path=env.get("PATH"))
        if program is None:
            continue
        try:
            done = subprocess.run([program, *argv[1:]], input=text.encode(), check=False,
                                  timeout=5, capture_output=True, env=dict(env))
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.returncode == 0:
            return argv[0]
    return None
