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
- it may start programs (many servers do), only from paths it may read;
- memory (address space) and CPU time limits; the process is killed if the
  lamp thread that started it goes away.

Whether each part is enforced on this machine is measured, not assumed
(``Policy.enforcement``), and ``lamp tools info SERVER`` says so.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SandboxUnavailable
from ..sandbox import _host
from ..sandbox._bwrap import bwrap_command, find_bwrap
from ..sandbox._runner import _BOOTSTRAP, _static_l1
from ..sandbox._seccomp import build_filter, native_arch
from .config import ServerConfig

__all__ = ["Launch", "Policy", "policy_for", "prepare_launch"]

_MIB = 1024 * 1024
_FILE_LIMIT_MB = 256
_SYSTEM_READ = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/etc/ld.so.cache",
                "/etc/localtime")
_NET_READ = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl",
             "/etc/ca-certificates", "/etc/gai.conf")
STATUS_PREFIX = "LAMP-CONFINE "


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

    def lines(self) -> list[str]:
        """The policy for ``lamp tools info``: one fact per line."""
        out = [f"command: {' '.join(self.command)}",
               f"layers: {', '.join(self.layers)}",
               "read: " + (", ".join(self.read) or "nothing beyond its runtime"),
               "runtime read: " + ", ".join(self.runtime_read),
               "write: its own temp dir" + "".join(f", {p}" for p in self.write),
               f"network: {'allowed' if self.network else 'denied'}",
               f"memory: {self.memory_mb} MiB address space; CPU time: {self.cpu_seconds} s"]
        out += [f"{what}: {how}" for what, how in self.enforcement.items()]
        return out

    def to_dict(self) -> dict[str, object]:
        return {"command": list(self.command), "layers": list(self.layers),
                "read": list(self.read), "runtime_read": list(self.runtime_read),
                "write": list(self.write), "network": self.network,
                "memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds,
                "enforcement": dict(self.enforcement)}


@dataclass(frozen=True)
class Launch:
    """What the SDK's stdio client runs (the launcher) and the temp dir to remove after."""

    command: str
    args: list[str]
    env: dict[str, str]
    workdir: str
    policy: Policy


def _resolve(command: str) -> str:
    found = shutil.which(command) if os.sep not in command else command
    if not found or not os.access(found, os.X_OK):
        raise SandboxUnavailable(f"command not found or not executable: {command}")
    return os.path.abspath(found)  # not realpath: a venv's python finds its venv by its path


def _runtime_paths(exe: str, args: tuple[str, ...], network: bool) -> list[str]:
    """What the server needs to run at all: system files, its program, its interpreter."""
    interp = _host.interpreter()
    paths = [p for p in _SYSTEM_READ if os.path.exists(p)]
    paths += [str(interp.prefix), str(interp.executable.parent)]
    real = Path(os.path.realpath(exe))
    paths += [str(real.parent), exe]
    if real.name.startswith("python"):
        paths.append(str(real.parent.parent))  # its standard library
    venv = Path(exe).parent.parent
    if (venv / "pyvenv.cfg").is_file():
        paths.append(str(venv))
    paths += [os.path.abspath(a) for a in args if os.path.isfile(a)]
    if network:
        paths += [p for p in _NET_READ if os.path.exists(p)]
    seen: list[str] = []
    for p in paths:
        if p not in seen:
            seen.append(p)
    return seen


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
    return {"file access outside the policy": files, "network access": net,
            "memory and CPU time": "enforced by L0 (rlimits)",
            "other processes": "cannot be traced or signalled" if l1 or l2
            else "NOT restricted on this machine"}


def policy_for(cfg: ServerConfig) -> Policy:
    """The policy of a stdio server and the layers this machine gives it (no process started)."""
    exe = _resolve(cfg.command)
    l1 = _static_l1() is None
    bw = find_bwrap(False)
    layers = ("L0", *(("L1",) if l1 else ()), *(("L2",) if bw.usable else ()))
    args = tuple(os.path.abspath(a) if os.path.isfile(a) else a for a in cfg.args)
    return Policy(server=cfg.name, command=(exe, *args), read=cfg.read,
                  runtime_read=tuple(_runtime_paths(exe, cfg.args, cfg.network)),
                  write=cfg.write, network=cfg.network, memory_mb=cfg.memory_mb,
                  cpu_seconds=cfg.cpu_seconds, layers=layers,
                  enforcement=_enforcement(l1, bw.usable, cfg.network))


def prepare_launch(cfg: ServerConfig) -> Launch:
    """A fresh temp dir and the launcher command line for ``cfg`` (nothing started yet).

    The server keeps lamp's uid even when lamp runs as root (unlike sandbox runs):
    it is a program the person chose, reading paths they named. Landlock and
    seccomp bind root as well; under L2 it also loses every capability.
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
    workdir = tempfile.mkdtemp(prefix=f"lamp-mcp-{cfg.name}-")
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
                    "RLIMIT_NOFILE": [1024, 1024], "RLIMIT_CORE": [0, 0]},
        "exec": [exe, *args], "env": env,
    }
    interp = _host.interpreter()
    argv = [str(interp.executable), "-I", "-S", "-c", _BOOTSTRAP, json.dumps(boot)]
    if "L2" in policy.layers:
        argv = bwrap_command(find_bwrap(False), workdir=workdir,
                             ro_binds=[*policy.runtime_read, *cfg.read],
                             rw_binds=list(cfg.write), env={"LANG": "C.UTF-8"}, argv=argv,
                             network=cfg.network)
    return Launch(command=argv[0], args=argv[1:], env={"LANG": "C.UTF-8"}, workdir=workdir,
                  policy=policy)
