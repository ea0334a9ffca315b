"""Facts about the host the sandbox needs: the interpreter, its paths, the uid to use.

The child runs the *base* interpreter (never lamp's venv) with ``-I -S``: the
code gets the standard library only, and nothing in any site-packages (``.pth``
files run code at start-up) is read.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import stat
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "Interpreter",
    "dev_paths",
    "interpreter",
    "landlock_abi",
    "readonly_paths",
    "sandbox_uid",
    "seccomp_supported",
]

# A block of uids that no distribution hands out; each run takes a fresh one so
# that two runs never share signals, RLIMIT_NPROC counts or file ownership.
_UID_BASE = 0x5A00_0000
_DEV_PATHS = ("/dev/null", "/dev/zero", "/dev/urandom")
_SYSTEM_RO = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/etc/ld.so.cache",
              "/etc/localtime", "/usr/share/zoneinfo")


@dataclass(frozen=True)
class Interpreter:
    """The base Python: its real executable, its prefix, and whether ``uid`` can read it."""

    executable: Path
    prefix: Path
    world_readable: bool

    @property
    def relative_executable(self) -> Path | None:
        try:
            return self.executable.relative_to(self.prefix)
        except ValueError:
            return None


def _world_reachable(path: Path) -> bool:
    """True if a stranger uid (not owner, not in the group) can traverse to ``path``."""
    for part in [path, *path.parents]:
        try:
            mode = part.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


@lru_cache(maxsize=1)
def interpreter() -> Interpreter:
    exe = Path(os.path.realpath(getattr(sys, "_base_executable", "") or sys.executable))
    prefix = Path(os.path.realpath(sys.base_prefix))
    readable = _world_reachable(exe.parent) and bool(exe.stat().st_mode & stat.S_IROTH)
    readable = readable and _world_reachable(prefix)
    return Interpreter(executable=exe, prefix=prefix, world_readable=readable)


def sandbox_uid() -> int | None:
    """A fresh unprivileged uid when lamp runs as root; None when it already is not root."""
    if os.geteuid() != 0:
        return None
    return _UID_BASE + secrets.randbelow(0x0100_0000)


def readonly_paths(interp: Interpreter, prefix_alias: str | None) -> list[str]:
    """What the child may read (Landlock): the interpreter, shared libraries, time zones."""
    paths = [prefix_alias or str(interp.prefix)]
    if interp.relative_executable is None:
        paths.append(str(interp.executable.parent))
    paths += [p for p in _SYSTEM_RO if os.path.exists(p)]
    return paths


def dev_paths() -> list[str]:
    return [p for p in _DEV_PATHS if os.path.exists(p)]


@lru_cache(maxsize=1)
def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: none), asked the documented way."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        abi = libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(abi), 0)


def seccomp_supported() -> bool:
    """True if the kernel knows seccomp filters (PR_GET_SECCOMP answers)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(21, 0, 0, 0, 0) >= 0
    except (OSError, AttributeError):
        return False
