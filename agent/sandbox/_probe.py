"""``probe()``: which layers this machine gives the sandbox, and why the others are missing.

The answer is measured, not assumed: after the static checks (kernel Landlock
ABI, seccomp, a bwrap that really starts a user namespace) one trivial program
runs through the real sandbox and the child's own report decides what is active.
"""

from __future__ import annotations

import os
from functools import lru_cache

from ..errors import LampError
from . import _host
from ._bwrap import find_bwrap
from ._runner import Sandbox, _static_l1
from ._seccomp import native_arch
from ._types import LayerStatus, SandboxReport

__all__ = ["probe"]


def _l0(uid: int | None) -> LayerStatus:
    who = ("lamp runs as root: each run drops to a fresh unprivileged uid "
           "in 0x5A000000-0x5AFFFFFF" if uid is not None
           else f"runs as the current uid {os.getuid()} (not root, no uid drop needed)")
    details = (
        "fresh `python -I -S` child, code on stdin, new session, close_fds",
        "allowlisted env (PATH, LANG, LC_ALL, HOME, TMPDIR), fresh empty work dir",
        "rlimits CPU, AS, FSIZE, NOFILE, CORE" + (", NPROC" if uid is not None else
                                                 " (NPROC skipped: shared with your uid)"),
        "wall-clock deadline SIGKILLs the process group; output capped by the parent",
        "work dir disk use and file count polled by the parent every 50 ms",
        who,
    )
    return LayerStatus("L0", True, "process limits", details)


def _l1(live: dict[str, object] | None) -> LayerStatus:
    why = _static_l1()
    abi = _host.landlock_abi()
    details = [f"kernel Landlock ABI {abi}" if abi else "no Landlock in this kernel",
               f"seccomp filter for {native_arch() or 'unsupported arch'}"]
    if abi and abi < 4:
        details.append("Landlock ABI < 4: TCP is denied by seccomp only")
    if abi and abi < 6:
        details.append("Landlock ABI < 6: signals and abstract sockets rely on seccomp only")
    if why:
        return LayerStatus("L1", False, why, tuple(details))
    if live is None:
        return LayerStatus("L1", False, "the trial run did not report", tuple(details))
    if not (live.get("landlock") and live.get("seccomp")):
        return LayerStatus("L1", False, "; ".join(map(str, live.get("errors", []))) or
                           "the child could not confine itself", tuple(details))
    details.append("trial run confirmed from inside: seccomp filter on, reading /etc "
                   "denied by Landlock")
    if abi >= 4:
        details.append("Landlock also denies TCP bind/connect"
                       + (" and scopes signals and abstract unix sockets" if abi >= 6 else ""))
    return LayerStatus("L1", True, "Landlock + seccomp", tuple(details))


@lru_cache(maxsize=1)
def probe() -> SandboxReport:
    """Check this machine once per process (about 0.1 s): static checks, then a trial run."""
    uid = _host.sandbox_uid()
    bw = find_bwrap(uid is not None)
    live: dict[str, object] | None = None
    if _static_l1() is None:
        try:
            res = Sandbox(policy="best", timeout=10, namespaces=False).run(_TRIAL)
            live = _parse(res.stdout)
        except LampError:
            live = None
    interp = _host.interpreter()
    l2_details = [f"binary {bw.path} {bw.version}".strip()] if bw.path else []
    if bw.usable and uid is not None and not interp.world_readable:
        l2_details.append("the interpreter is outside the sandbox uid's reach: it is run "
                          "through a descriptor, so L2's file view is only as tight as L1's")
    l2 = LayerStatus("L2", bw.usable, f"bubblewrap: {bw.reason}", tuple(l2_details))
    l1 = _l1(live)
    # ``auto`` demands L1 wherever the static checks pass (a child that then cannot confine
    # itself is refused), and L2 only where they fail: see ``_policy``.
    auto = ("strict" if l1.active else "namespaces" if l2.active and _static_l1() is not None
            else "refuse")
    return SandboxReport(
        layers=(_l0(uid), l1, l2), strict_available=l1.active,
        default_policy=auto,  # type: ignore[arg-type]
        interpreter=str(interp.executable), sandbox_uid=uid)


# The trial run asks the kernel, from inside the sandbox, what is in force.
_TRIAL = """
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
seccomp = libc.prctl(21, 0, 0, 0, 0) == 2
try:
    open('/etc/passwd').read()  # world-readable, outside the allow-list
    landlock = False
except PermissionError:
    landlock = True
print(json.dumps({"seccomp": seccomp, "landlock": landlock}))
"""


def _parse(stdout: str) -> dict[str, object] | None:
    import json

    try:
        seen = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None
    abi = _host.landlock_abi()
    seen.update(landlock_abi=abi, landlock_net=abi >= 4, landlock_scoped=abi >= 6, errors=[])
    return dict(seen)
