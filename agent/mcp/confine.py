"""Start a stdio MCP server inside lamp's sandbox layers, with the policy its config declares.

Other assistants run MCP servers with all of the user's rights. lamp starts
each one through the sandbox's own bootstrap (``sandbox/_bootstrap.py``) in
its ``exec`` mode: the launcher sets the limits (L0), confines itself with
Landlock and a seccomp filter (L1), then execs the server, which inherits all
of it; where bubblewrap works, the launcher itself runs inside its namespaces
(L2). The layer code is the sandbox's; only the policy differs:

- reads (and program execution): the runtime the server needs (system
  libraries, the interpreter or virtual environment of its command, files named
  on its command line) plus the ``read`` paths; nothing else, home included;
- writes: its own temp dir (its HOME and TMPDIR) plus the ``write`` paths;
- network: none unless ``network = true`` (seccomp refuses ``socket``,
  Landlock refuses TCP, L2 gives it an empty network namespace);
- it may start programs (many servers do), only from paths it may read, and at
  most ``processes`` of them at once (``RLIMIT_NPROC``, see ``_nproc``);
- the server's program folder is readable only when it is not the user's home
  or a folder above it (a script in ``$HOME`` gets itself, not all of ``$HOME``);
- memory (address space) and CPU time limits;
- no secret on an argv: the launcher's config (the server's ``env`` among it)
  travels in a 0600 file in the server's private temp dir that the launcher
  reads and deletes before anything else runs;
- the launcher stays as the server's parent and a child subreaper (L2 adds a
  pid namespace): when the server exits, lamp closes it or lamp dies, every
  descendant dies too, ``setsid()`` daemons included. When lamp runs as root
  the server gets a fresh real uid (counted by ``RLIMIT_NPROC``; lamp also
  sweeps that uid after the server stops) and no capabilities.

Whether each part is enforced on this machine is measured, not assumed
(``Policy.enforcement``), and ``lamp tools info SERVER`` says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SandboxUnavailable
from ..sandbox import _host
from ..sandbox._bwrap import bwrap_command, find_bwrap
from ..sandbox._policy import require_isolation
from ..sandbox._runner import _BOOTSTRAP
from ..sandbox._seccomp import build_filter, native_arch
from .config import ServerConfig

__all__ = ["Launch", "Policy", "kill_uid", "policy_for", "prepare_launch"]

_MIB = 1024 * 1024
_FILE_LIMIT_MB = 256
_SYSTEM_READ = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache",
                "/etc/localtime")
_NET_READ = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl",
             "/etc/ca-certificates", "/etc/gai.conf")
STATUS_PREFIX = "LAMP-CONFINE "
_SERVER_UID_BASE = 0x5B00_0000  # the python sandbox's block is 0x5A00_0000


@dataclass(frozen=True)
class Policy:
    """What a server may do, and which layers enforce each part on this machine."""

    server: str
    command: tuple[str, ...]
    read: tuple[str, ...]
    runtime_read: tuple[str, ...]
    write: tuple[str, ...]
    network: bool
    memory_mb: int
    cpu_seconds: int
    layers: tuple[str, ...]
    enforcement: dict[str, str] = field(default_factory=dict)
    processes: int = 256

    @property
    def read_only(self) -> bool:
        """True when lamp itself, not the server's word, keeps it from changing anything:
        no write path, no network, and an isolating layer (L1 or L2) enforces that here.
        It can then write only its own temp dir, which lamp deletes."""
        return not self.write and not self.network and bool({"L1", "L2"} & set(self.layers))

    def lines(self) -> list[str]:
        """The policy for ``lamp tools info``: one fact per line."""
        out = [f"command: {' '.join(self.command)}",
               f"layers: {', '.join(self.layers)}",
               "read: " + (", ".join(self.read) or "nothing beyond its runtime"),
               "runtime read: " + ", ".join(self.runtime_read),
               "write: its own temp dir" + "".join(f", {p}" for p in self.write),
               f"network: {'allowed' if self.network else 'denied'}",
               f"memory: {self.memory_mb} MiB address space; CPU time: {self.cpu_seconds} s",
               f"processes: at most {self.processes} at once"]
        out += [f"{what}: {how}" for what, how in self.enforcement.items()]
        return out

    def to_dict(self) -> dict[str, object]:
        return {"command": list(self.command), "layers": list(self.layers),
                "read": list(self.read), "runtime_read": list(self.runtime_read),
                "write": list(self.write), "network": self.network,
                "memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                "processes": self.processes, "enforcement": dict(self.enforcement)}


@dataclass(frozen=True)
class Launch:
    """What the SDK's stdio client runs (the launcher) and the temp dir to remove after.

    ``uid``: the fresh real uid the server runs under when lamp is root (None otherwise);
    lamp kills every process of it once the server is stopped."""

    command: str
    args: list[str]
    env: dict[str, str]
    workdir: str
    policy: Policy
    uid: int | None = None


def _resolve(command: str) -> str:
    found = shutil.which(command) if os.sep not in command else command
    if not found or not os.access(found, os.X_OK):
        raise SandboxUnavailable(f"command not found or not executable: {command}")
    return os.path.abspath(found)  # not realpath: a venv's python finds its venv by its path


def _runtime_paths(exe: str, args: tuple[str, ...], network: bool) -> list[str]:
    """What the server needs to run at all: system files, its program, its interpreter."""
    interp = _host.interpreter()
    paths = [p for p in _SYSTEM_READ if os.path.exists(p)]
    folders = [str(interp.prefix), str(interp.executable.parent)]
    real = Path(os.path.realpath(exe))
    folders.append(str(real.parent))
    if real.name.startswith("python"):
        folders.append(str(real.parent.parent))  # its standard library
    venv = Path(exe).parent.parent
    if (venv / "pyvenv.cfg").is_file():
        folders.append(str(venv))
    # A folder that is the home or above it would hand the server all of the home (keys,
    # mail, other projects): there the program gets its own file and nothing around it.
    paths += [f for f in folders if not _holds_home(f)]
    paths += [exe, str(real)]
    paths += [os.path.abspath(a) for a in args if os.path.isfile(a)]
    if network:
        paths += [p for p in _NET_READ if os.path.exists(p)]
    seen: list[str] = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    return seen


def _homes() -> list[str]:
    """The user's home as $HOME says and as the password database says (they may differ)."""
    found = {os.path.realpath(os.path.expanduser("~"))}
    try:
        import pwd

        found.add(os.path.realpath(pwd.getpwuid(os.getuid()).pw_dir))
    except (ImportError, KeyError):
        pass
    return sorted(found)


def _holds_home(folder: str) -> bool:
    """True when ``folder`` is a home or a folder above one (``/``, ``/home``)."""
    real = os.path.realpath(folder)
    return any(home == real or home.startswith(real.rstrip("/") + "/") for home in _homes())


def _processes() -> Iterator[tuple[int, dict[bytes, bytes]]]:
    """Every process's pid and /proc status fields (those that vanish while read are skipped)."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                yield int(name), dict(line.split(b":", 1) for line in fh if b":" in line)
        except (OSError, ValueError):
            continue


def _real_uid(fields: dict[bytes, bytes]) -> int | None:
    try:
        return int(fields[b"Uid"].split()[0])
    except (KeyError, IndexError, ValueError):
        return None


def _tasks_of(uid: int) -> int:
    """How many tasks (threads count, as RLIMIT_NPROC counts them) ``uid`` has now."""
    total = 0
    for _, fields in _processes():
        if _real_uid(fields) == uid:
            with contextlib.suppress(KeyError, ValueError):
                total += int(fields[b"Threads"])
    return total


def kill_uid(uid: int) -> None:
    """SIGKILL every process whose real uid is ``uid`` (a server's fresh uid, never lamp's):
    whatever escaped the launcher (it was SIGKILLed itself) ends with the server."""
    if uid == os.getuid() or uid == 0:
        raise ValueError("kill_uid is only for a server's own fresh uid")
    for _ in range(3):  # a process may fork while we sweep; sweep until none is left
        found = False
        for pid, fields in _processes():
            if _real_uid(fields) != uid or fields.get(b"State", b"Z").split()[:1] == [b"Z"]:
                continue
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                found = True
        if not found:
            return


def _server_uid() -> int | None:
    """A fresh real uid for a server when lamp runs as root (None otherwise).

    A block of its own, beside the python sandbox's (``_host.sandbox_uid``): each server
    gets a uid nothing else has, so RLIMIT_NPROC counts its processes alone and lamp's
    sweep after it stops can never hit a process that is not the server's."""
    if os.geteuid() != 0:
        return None
    return _SERVER_UID_BASE + secrets.randbelow(0x0100_0000)


def _nproc(processes: int, fresh_uid: int | None) -> int:
    """The RLIMIT_NPROC that leaves the server ``processes`` tasks of its own.

    The kernel counts every task of the server's *real uid*, and exempts uid 0. As root
    the server gets a fresh uid, so the count is the server's alone. Otherwise it shares
    lamp's uid: the limit is what that uid runs now plus ``processes``, so a fork bomb
    stops there; the user's own programs are not limited (the limit is the server's),
    but if they start that many more while it runs, the server's forks fail (EAGAIN).
    """
    if fresh_uid is not None:
        return processes
    return _tasks_of(os.getuid()) + processes


def _enforcement(l1: bool, l2: bool, network: bool) -> dict[str, str]:
    abi = _host.landlock_abi()
    files = ("enforced by L1 (Landlock)" + (" and L2 (bubblewrap mounts)" if l2 else "")
             if l1 else "enforced by L2 (bubblewrap mounts) only" if l2
             else "NOT enforced on this machine (no Landlock, no bubblewrap)")
    if network:
        net = "allowed by the policy"
    elif l1 or l2:
        by = []
        if l1:
            by.append("L1 (seccomp refuses socket()"
                      + (", Landlock refuses TCP)" if abi >= 4 else ")"))
        if l2:
            by.append("L2 (empty network namespace)")
        net = "denied by " + " and ".join(by)
    else:
        net = "NOT enforced on this machine"
    root = os.geteuid() == 0
    procs = ("limited by L0 (RLIMIT_NPROC on a fresh uid)" if root else
             "limited by L0 (RLIMIT_NPROC: lamp's uid's tasks now, plus the allowance)")
    tree = ("every descendant is killed with the server (launcher as subreaper"
            + (", pid namespace" if l2 else "") + (", sweep of its uid)" if root else ")"))
    if network:
        net = "allowed by the policy: " + (
            "IP only (seccomp refuses AF_UNIX sockets)" if l1 else
            "IP and local Unix sockets (no seccomp here)")
    return {"file access outside the policy": files, "network access": net,
            "memory and CPU time": "enforced by L0 (rlimits)",
            "process count": procs, "process tree": tree,
            "capabilities": "none (fresh real uid, every capability dropped)" if root
            else "none (not root)",
            "other processes": "cannot be traced or signalled" if l1 or l2
            else "NOT restricted on this machine"}


def policy_for(cfg: ServerConfig) -> Policy:
    """The policy of a stdio server and the layers this machine gives it (no process started)."""
    # Before anything else: where the sandbox policy (lamp's `sandbox` setting) finds no
    # isolating layer it accepts, the server never starts (IsolationRefused, exit 2).
    iso = require_isolation(cfg.sandbox, f"MCP server {cfg.name!r}", as_sandbox_uid=False)
    exe = _resolve(cfg.command)
    l1, l2 = iso.l1_missing is None, iso.l2_missing is None
    layers = ("L0", *(("L1",) if l1 else ()), *(("L2",) if l2 else ()))
    args = tuple(os.path.abspath(a) if os.path.isfile(a) else a for a in cfg.args)
    return Policy(server=cfg.name, command=(exe, *args), read=cfg.read,
                  runtime_read=tuple(_runtime_paths(exe, cfg.args, cfg.network)),
                  write=cfg.write, network=cfg.network, memory_mb=cfg.memory_mb,
                  cpu_seconds=cfg.cpu_seconds, layers=layers, processes=cfg.processes,
                  enforcement=_enforcement(l1, l2, cfg.network))


def prepare_launch(cfg: ServerConfig) -> Launch:
    """A fresh temp dir and the launcher command line for ``cfg`` (nothing started yet).

    As root the server gets a fresh *real* uid and no capabilities, and keeps the
    effective uid 0: it is a program the person chose, reading paths they named (a
    0700 /root, pytest's 0700 temp root), so the files root owns stay reachable where
    the policy grants them; the real uid is what RLIMIT_NPROC counts. Under L2 (as
    root, bubblewrap then makes no user namespace: see ``_bwrap._ROOT_NAMESPACES``)
    the pid namespace also holds the tree.
    """
    policy = policy_for(cfg)
    exe = policy.command[0]
    # The server runs in its temp dir: files named relative to lamp's directory are made
    # absolute (they are in its runtime read set too).
    args = [os.path.abspath(a) if os.path.isfile(a) else a for a in cfg.args]
    for path in cfg.read + cfg.write:
        if not os.path.exists(path):
            raise SandboxUnavailable(f"MCP server {cfg.name!r}: policy path {path} "
                                     "does not exist")
    workdir = tempfile.mkdtemp(prefix=f"lamp-mcp-{cfg.name}-")  # 0700, lamp's own
    l2 = "L2" in policy.layers
    uid = _server_uid()
    env = {"PATH": f"{os.path.dirname(exe)}:/usr/local/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "HOME": workdir, "TMPDIR": workdir, **cfg.env}
    cpu = cfg.cpu_seconds
    boot = {
        "workdir": workdir, "strict": "L1" in policy.layers, "status_fd": 2,
        "ro_paths": [*policy.runtime_read, *cfg.read], "rw_paths": [workdir, *cfg.write],
        "dev_paths": _host.dev_paths(), "landlock": True,
        "seccomp": build_filter(programs=True, network=cfg.network).hex()
        if native_arch() else "",
        "deny_tcp": not cfg.network,
        "rlimits": {"RLIMIT_CPU": [cpu, cpu + 1],
                    "RLIMIT_AS": [cfg.memory_mb * _MIB] * 2,
                    "RLIMIT_FSIZE": [_FILE_LIMIT_MB * _MIB] * 2,
                    "RLIMIT_NOFILE": [1024, 1024], "RLIMIT_CORE": [0, 0],
                    "RLIMIT_NPROC": [_nproc(cfg.processes, uid)] * 2},
        "exec": [exe, *args], "env": env, "uid": uid,
        # lamp's pid: a launcher whose parent is already someone else exits at once (under
        # L2 its parent is bubblewrap's, and --die-with-parent does that job)
        "parent": None if l2 else os.getpid(),
    }
    boot_file = os.path.join(workdir, ".lamp-boot.json")
    fd = os.open(boot_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(boot, fh)
    interp = _host.interpreter()
    argv = [str(interp.executable), "-I", "-S", "-c", _BOOTSTRAP, "--boot-file", boot_file]
    if "L2" in policy.layers:
        argv = bwrap_command(find_bwrap(False), workdir=workdir,
                             ro_binds=[*policy.runtime_read, *cfg.read],
                             rw_binds=list(cfg.write), env={"LANG": "C.UTF-8"}, argv=argv,
                             network=cfg.network, root_launcher=uid is not None)
    return Launch(command=argv[0], args=argv[1:], env={"LANG": "C.UTF-8"}, workdir=workdir,
                  policy=policy, uid=uid)
