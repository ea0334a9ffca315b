"""L2: run the child inside bubblewrap's namespaces when this machine allows it.

bubblewrap gives the child its own mount, pid, network, ipc and uts namespaces
and a filesystem that holds only what Python needs. It is an extra wall, not the
only one: many machines forbid unprivileged user namespaces, so L0+L1 must hold
on their own, and every L2 run still goes through the same bootstrap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ._host import sandbox_uid

__all__ = ["BwrapInfo", "bwrap_command", "find_bwrap"]

_TMP_SIZE = 16 * 1024 * 1024
_TOP_LEVEL = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32")
_ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime")
_NET_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl",
              "/etc/ca-certificates")
# LAMP_SANDBOX_BWRAP values that hide bubblewrap: the machine state of a user without it.
_OFF = frozenset({"off", "none", "0", "no", "false"})
_NAMESPACES = ("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
               "--cap-drop", "ALL")
# As root, for a confined MCP server: every namespace but the user namespace, and the
# capabilities kept, so that the launcher inside can give the server a fresh real uid
# (which RLIMIT_NPROC counts; in a user namespace bubblewrap maps only uid 0, which it
# exempts) and then drop every capability itself before the server runs.
_ROOT_NAMESPACES = ("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                    "--die-with-parent", "--new-session")


@dataclass(frozen=True)
class BwrapInfo:
    path: str | None
    usable: bool
    reason: str
    version: str = ""
    supports_size: bool = False
    supports_disable_userns: bool = False


@lru_cache(maxsize=2)
def find_bwrap(drop_uid: bool) -> BwrapInfo:
    """Find a bwrap binary and check that namespaces work, as a sandbox uid when ``drop_uid``."""
    uid = sandbox_uid() if drop_uid else None
    chosen = os.environ.get("LAMP_SANDBOX_BWRAP", "")
    if chosen.lower() in _OFF:
        return BwrapInfo(None, False, f"turned off by LAMP_SANDBOX_BWRAP={chosen}")
    path = chosen or shutil.which("bwrap")
    if not path:
        return BwrapInfo(None, False, "no bwrap binary on PATH (Debian: apt install bubblewrap)")
    user = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
    try:
        helptext = subprocess.run([path, "--help"], capture_output=True, text=True,
                                  timeout=5).stdout
        version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 timeout=5).stdout.strip()
        trial = subprocess.run(
            [path, *_NAMESPACES, "--ro-bind", "/", "/", "--", "/bin/sh", "-c", "exit 0"],
            capture_output=True, text=True, timeout=10, env={}, **user)  # type: ignore[call-overload]
    except (OSError, subprocess.SubprocessError) as exc:
        return BwrapInfo(path, False, f"bwrap did not run: {exc}")
    if trial.returncode != 0:
        why = trial.stderr.strip().splitlines()[-1:] or [f"exit {trial.returncode}"]
        return BwrapInfo(path, False, f"user namespaces refused: {why[0]}", version)
    return BwrapInfo(path, True, "user namespaces work", version,
                     supports_size="--size" in helptext,
                     supports_disable_userns="--disable-userns" in helptext)


def bwrap_command(info: BwrapInfo, *, workdir: str, ro_binds: Sequence[str],
                  env: Mapping[str, str], argv: Sequence[str], rw_binds: Sequence[str] = (),
                  network: bool = False, root_launcher: bool = False) -> list[str]:
    """The bwrap argv around ``argv``: read-only system dirs, tmpfs /tmp, the work dir rw.

    ``rw_binds`` and ``network`` are for confined MCP servers whose policy grants more:
    those paths read-write, and the host's network namespace (with its resolver files).
    ``root_launcher``: lamp runs as root and the command is the MCP launcher, which drops
    the server's uid and capabilities itself (see ``_ROOT_NAMESPACES``).
    """
    assert info.path is not None
    if root_launcher:
        cmd = [info.path, *_ROOT_NAMESPACES, "--clearenv", "--hostname", "sandbox"]
        if not network:
            cmd += ["--unshare-net"]
    else:
        cmd = [info.path, *_NAMESPACES, "--clearenv", "--hostname", "sandbox"]
        if network:
            cmd += ["--share-net"]
        if info.supports_disable_userns:
            cmd += ["--disable-userns"]
    for top in _TOP_LEVEL:
        if os.path.islink(top):
            cmd += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            cmd += ["--ro-bind", top, top]
    for etc in _ETC_FILES + (_NET_FILES if network else ()):
        cmd += ["--ro-bind-try", etc, etc]
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    if info.supports_size:
        cmd += ["--size", str(_TMP_SIZE)]
    cmd += ["--tmpfs", "/tmp", "--bind", workdir, workdir]
    # After the tmpfs, so a path under /tmp that the policy names is not hidden by it.
    # A path inside another bound folder is already there: binding it again fails when it
    # is a symlink (a venv's bin/python) in a read-only bind, so it is left out.
    ro = [e for e in ro_binds if not any(e == t or e.startswith(t + "/") for t in _TOP_LEVEL)]
    for extra in ro:
        if not any(extra.startswith(other.rstrip("/") + "/") for other in ro if other != extra):
            cmd += ["--ro-bind", extra, extra]
    for extra in rw_binds:
        cmd += ["--bind", extra, extra]
    cmd += ["--chdir", workdir]
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    return [*cmd, "--", *argv]
