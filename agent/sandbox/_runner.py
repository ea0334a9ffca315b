"""``Sandbox``: run untrusted Python in a separate, confined process and report what happened.

The parent never executes the code. It starts a fresh ``python -I -S`` child
(L0: own session, own uid when lamp is root, allowlisted env, empty work dir),
whose bootstrap confines itself (L1: Landlock + seccomp) before reading the
code from stdin, optionally inside bubblewrap (L2). The child reports which
layers it really applied on a private pipe; ``strict`` refuses to run the code
unless L0 and L1 are both confirmed.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType

from ..errors import IsolationRefused, SandboxUnavailable, UsageError
from . import _host
from ._bwrap import bwrap_command, find_bwrap
from ._policy import OPT_IN, POLICIES, Mode, require_isolation, static_l1
from ._seccomp import build_filter, native_arch
from ._types import Policy, SandboxResult
from ._watch import Watch, kill_everything

__all__ = ["Sandbox"]

_BOOTSTRAP = (Path(__file__).with_name("_bootstrap.py")).read_text(encoding="utf-8")
_REFUSED = 125
_MIB = 1024 * 1024


_static_l1 = static_l1  # the older name, still imported by the MCP launcher and tests


class Sandbox:
    """Runs Python source in a confined child process. Reusable; each run is independent.

    ``policy`` (see ``_policy``): ``strict`` refuses unless L0+L1 are confirmed by the
    child; ``auto`` (default) refuses unless L1 or L2 (bubblewrap) holds the run;
    ``best`` runs with what the machine has, L0 alone included, and says what is
    missing in ``SandboxResult.warnings``. A refusal is ``IsolationRefused`` (exit 2),
    raised before the child starts wherever the machine's lack is known in advance.
    ``namespaces``: None uses bubblewrap (L2) when it works here, True demands it.
    """

    def __init__(self, policy: Policy = "auto", timeout: float = 10.0, memory_mb: int = 512,
                 *, disk_mb: int = 64, max_files: int = 2000, output_limit: int = _MIB,
                 namespaces: bool | None = None) -> None:
        if policy not in POLICIES:
            raise UsageError(f"unknown sandbox policy {policy!r} (strict, best or auto)")
        if not timeout > 0 or memory_mb < 64 or disk_mb < 1 or output_limit < 1:
            raise UsageError("sandbox limits must be positive (memory at least 64 MiB)")
        self.policy: Policy = policy
        self.timeout = float(timeout)
        self.memory_mb = int(memory_mb)
        self.disk_mb = int(disk_mb)
        self.max_files = int(max_files)
        self.output_limit = int(output_limit)
        self.namespaces = namespaces
        self._seccomp = build_filter() if native_arch() else b""
        # Tests set this to False to measure what L0 alone contains; never in lamp itself.
        self._confine = True

    def effective_policy(self) -> Mode:
        """How runs are held here: ``strict`` (L1 required), ``namespaces`` (L2 required,
        no L1 on this machine) or ``best``; ``IsolationRefused`` when the policy refuses."""
        return require_isolation(self.policy, "model-written code",
                                 as_sandbox_uid=True).mode or "strict"

    def run(self, code: str, files: Sequence[str | os.PathLike[str]] = (),
            collect: Sequence[str] = ()) -> SandboxResult:
        """Run ``code``; copy ``files`` in read-only; bring back the files named in ``collect``."""
        mode = self.effective_policy()  # refuses before anything is created or started
        for name in collect:
            if not name or "/" in name or name in (".", ".."):
                raise UsageError(f"collect names a plain file in the work dir, not {name!r}")
        uid = _host.sandbox_uid()
        workdir = tempfile.mkdtemp(prefix="lamp-sbx-")
        try:
            self._prepare(workdir, files, uid)
            return self._run_in(workdir, code, uid, mode, collect)
        finally:
            shutil.rmtree(workdir, onerror=_force_remove)

    def _prepare(self, workdir: str, files: Sequence[str | os.PathLike[str]],
                 uid: int | None) -> None:
        names: set[str] = set()
        for src in files:
            path = Path(src)
            if not path.is_file() or path.name in names:
                raise UsageError(f"sandbox file {path} is not a readable file or is named twice")
            names.add(path.name)
            dest = os.path.join(workdir, path.name)
            shutil.copyfile(path, dest)
            os.chmod(dest, 0o444)  # owned by lamp: the child reads it, cannot change it
        if uid is not None:
            os.chown(workdir, uid, uid)

    def _run_in(self, workdir: str, code: str, uid: int | None, mode: Mode,
                collect: Sequence[str]) -> SandboxResult:
        strict = mode == "strict"
        interp = _host.interpreter()
        # As root with the interpreter somewhere the sandbox uid cannot reach
        # (pyenv under /root), open it now and let the child run it through the
        # descriptor: /proc/self/fd/N resolves without walking /root.
        prefix_fd = None
        prefix_alias = None
        if uid is not None and not interp.world_readable:
            prefix_fd = os.open(interp.prefix, os.O_PATH | os.O_DIRECTORY)
            prefix_alias = f"/proc/self/fd/{prefix_fd}"
        rel = interp.relative_executable
        exe = f"{prefix_alias}/{rel}" if prefix_alias and rel else str(interp.executable)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
               "HOME": workdir, "TMPDIR": workdir}
        if prefix_alias:
            env["LD_LIBRARY_PATH"] = f"{prefix_alias}/lib"
        status_r, status_w = os.pipe()
        cfg = {
            "workdir": workdir, "strict": strict, "status_fd": status_w,
            "ro_paths": _host.readonly_paths(interp, prefix_alias), "rw_paths": [workdir],
            "dev_paths": _host.dev_paths(), "landlock": self._confine,
            "seccomp": self._seccomp.hex() if self._confine else "",
            "rlimits": self._rlimits(uid),
        }
        argv = [exe, "-I", "-S", "-c", _BOOTSTRAP, json.dumps(cfg)]
        layers_asked = ["L0", "L1"]
        bw = find_bwrap(uid is not None) if self.namespaces is not False else None
        if bw is not None and bw.usable:
            ro = [] if prefix_alias else [str(interp.prefix), str(interp.executable.parent)]
            argv = bwrap_command(bw, workdir=workdir, ro_binds=ro, env=env, argv=argv)
            layers_asked.append("L2")
        elif mode == "namespaces":  # checked before; bubblewrap changed under us
            why = bw.reason if bw else "turned off for this sandbox (namespaces=False)"
            raise IsolationRefused("refusing to start model-written code: no Landlock here, "
                                   f"and bubblewrap (L2) is unavailable: {why}; {OPT_IN}")
        elif self.namespaces:
            why = bw.reason if bw else "not asked for"
            raise SandboxUnavailable(f"namespaces (L2) demanded but unavailable: {why}")
        # Without namespaces=True, L2 is taken where the machine has it: its absence is
        # what was asked for, not a weaker run (`lamp sandbox info` says why it is missing).
        user = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
        fds = (status_w,) if prefix_fd is None else (status_w, prefix_fd)
        started = time.monotonic()
        watch = Watch(deadline=started + self.timeout, output_limit=self.output_limit,
                      disk_limit=self.disk_mb * _MIB, max_entries=self.max_files,
                      workdir=workdir)
        try:
            proc = subprocess.Popen(  # type: ignore[call-overload]
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, cwd=workdir, close_fds=True, pass_fds=fds, start_new_session=True,
                umask=0o077, **user)
        finally:
            os.close(status_w)
            if prefix_fd is not None:
                os.close(prefix_fd)
        try:
            raw = watch.supervise(proc, code.encode("utf-8", "surrogatepass"), status_r, uid)
        finally:
            os.close(status_r)
            kill_everything(proc.pid, uid)
        seconds = time.monotonic() - started
        layers, missing = _confirmed(watch.status, layers_asked)
        if strict and (raw == _REFUSED or "L1" not in layers):
            raise IsolationRefused("the sandbox refused to run the code: L1 could not be "
                                   "confirmed (" + "; ".join(missing) + f"); {OPT_IN}"
                                   + _tail(watch.err))
        if mode == "namespaces" and "L0" not in layers:  # bubblewrap did not start the child
            raise IsolationRefused("the sandbox refused to run the code: bubblewrap (L2), the "
                                   f"only isolating layer here, did not start it; {OPT_IN}"
                                   + _tail(watch.err))
        warnings = () if "L1" in layers else (
            "SANDBOX WEAKER THAN STRICT: " + "; ".join(missing)
            + ("" if "L2" in layers else "; NOT ISOLATED (rlimits only): the code could read "
               "and write your files, use the network and signal your processes"),)
        files = _collect(workdir, collect, uid, self.disk_mb * _MIB)
        return SandboxResult(
            stdout=watch.out.decode("utf-8", "replace"),
            stderr=watch.err.decode("utf-8", "replace"),
            exit_code=128 - raw if raw < 0 else raw,
            timed_out=watch.killed_reason == "timeout",
            truncated=watch.truncated, seconds=seconds, layers=layers,
            killed_reason=watch.killed_reason or _signal_reason(raw, "L2" in layers_asked),
            warnings=warnings, files=MappingProxyType(files))

    def _rlimits(self, uid: int | None) -> dict[str, list[int]]:
        cpu = math.ceil(self.timeout) + 1
        limits = {
            "RLIMIT_CPU": [cpu, cpu + 1],
            "RLIMIT_AS": [self.memory_mb * _MIB] * 2,
            "RLIMIT_FSIZE": [self.disk_mb * _MIB] * 2,
            "RLIMIT_NOFILE": [256, 256],
            "RLIMIT_CORE": [0, 0],
        }
        if uid is not None:  # counted per uid: only meaningful when the uid is ours alone
            limits["RLIMIT_NPROC"] = [64, 64]
        return limits


def _confirmed(status: bytes, asked: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """The layers the child confirmed, and why any asked-for layer is missing."""
    try:
        st = json.loads(status or b"{}")
    except ValueError:
        st = {}
    if not st:
        return (), ["the child did not report its confinement (it failed to start)"]
    layers = ["L0"]
    missing = list(st.get("errors", []))
    if st.get("landlock") and st.get("seccomp"):
        layers.append("L1")
    else:
        missing.append("L1 (Landlock + seccomp) not active")
    if "L2" in asked:
        layers.append("L2")
    return tuple(layers), missing


def _signal_reason(raw: int, via_bwrap: bool) -> str | None:
    """Name the signal that ended the child; bwrap reports a signal N as exit 128 + N."""
    signum = -raw if raw < 0 else raw - 128 if via_bwrap and raw > 128 else 0
    if not signum:
        return None
    name = signal.Signals(signum).name if signum in signal.valid_signals() else str(signum)
    return "cpu limit" if name == "SIGXCPU" else f"signal {name}"


def _tail(err: bytes) -> str:
    text = err.decode("utf-8", "replace").strip()
    return f" (child said: {text[-300:]})" if text else ""


def _collect(workdir: str, names: Sequence[str], uid: int | None,
             limit: int) -> dict[str, bytes]:
    """Bring back named regular files the child itself wrote: no links, no foreign owners."""
    out: dict[str, bytes] = {}
    dirfd = os.open(workdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for name in names:
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dirfd)
            except OSError:
                continue
            with os.fdopen(fd, "rb") as fh:
                st = os.fstat(fh.fileno())
                owner_ok = uid is None or st.st_uid == uid
                if stat.S_ISREG(st.st_mode) and st.st_nlink == 1 and owner_ok:
                    out[name] = fh.read(limit)
    finally:
        os.close(dirfd)
    return out


def _force_remove(func: object, path: str, _exc: object) -> None:
    """rmtree helper: the child may have left a directory without permissions."""
    try:
        os.chmod(os.path.dirname(path), 0o700)
        os.chmod(path, 0o700)
    except OSError:
        return
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)
