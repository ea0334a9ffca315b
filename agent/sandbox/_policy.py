"""What a sandbox policy demands, and the refusal when this machine cannot give it.

rlimits (L0) bound time and memory; they do not keep code away from the user's
files, network or processes. So no policy that runs code unasked may rest on L0
alone:

- ``strict``: L1 (Landlock + seccomp) is required; L2 is added where it works.
- ``auto`` (the default): an isolating layer is required, L1 or L2 (bubblewrap
  namespaces that were confirmed to work). L1 is used where it works, L2 where
  it works, both where both do.
- ``best``: whatever the machine has, L0 alone included. It must be chosen
  explicitly (``--sandbox best``, ``sandbox = "best"`` in config.toml or
  ``LAMP_SANDBOX=best``), and each run says what it lacks.

The same decision serves the python sandbox (``Sandbox``) and stdio MCP servers
(``lamp.agent.mcp.confine``); ``lamp sandbox info`` reports it. Deciding is
cheap (a syscall and, once per process, a bwrap trial run): it is made before
anything model-written or any server starts, and before a model loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import IsolationRefused, UsageError
from . import _host
from ._bwrap import find_bwrap
from ._seccomp import native_arch
from ._types import Policy

__all__ = ["OPT_IN", "POLICIES", "Isolation", "Mode", "isolation", "require_isolation",
           "static_l1"]

POLICIES: tuple[Policy, ...] = ("auto", "strict", "best")
# How a run is held: L1 required (strict), L2 required (no L1 here), or nothing required.
Mode = Literal["strict", "namespaces", "best"]
OPT_IN = ('to run it with rlimits only, pass --sandbox best or set sandbox = "best" '
          "in config.toml (LAMP_SANDBOX=best)")


def static_l1() -> str | None:
    """Why L1 cannot work on this machine, or None if it should (the child confirms it)."""
    if _host.landlock_abi() < 1:
        return "the kernel has no Landlock (needs Linux 5.13+ with landlock in lsm=)"
    if native_arch() is None:
        return "no seccomp syscall table for this CPU architecture"
    if not _host.seccomp_supported():
        return "the kernel has no seccomp filters"
    return None


@dataclass(frozen=True)
class Isolation:
    """A policy against this machine: which layers can hold, and what that means."""

    policy: Policy
    l1_missing: str | None  # None: L1 can work here; otherwise why not
    l2_missing: str | None  # None: bubblewrap namespaces work here; otherwise why not

    @property
    def mode(self) -> Mode | None:
        """How runs are held under this policy here; None: they are refused."""
        if self.policy == "best":
            return "best"
        if self.l1_missing is None:
            return "strict"
        if self.policy == "auto" and self.l2_missing is None:
            return "namespaces"
        return None

    @property
    def isolated(self) -> bool:
        """True when at least one isolating layer (L1 or L2) holds the runs."""
        return self.l1_missing is None or self.l2_missing is None

    def missing(self) -> str:
        """The absent isolating layers and why, for one line."""
        parts = []
        if self.l1_missing is not None:
            parts.append(f"L1 (Landlock + seccomp): {self.l1_missing}")
        if self.l2_missing is not None:
            parts.append(f"L2 (bubblewrap): {self.l2_missing}")
        return "; ".join(parts)

    def refusal(self, what: str) -> str | None:
        """The one-line reason ``what`` will not run under this policy, or None if it will."""
        if self.mode is not None:
            return None
        if self.policy == "strict":
            hint = ("--sandbox auto runs it under bubblewrap (L2) alone; "
                    if self.l2_missing is None else "") + OPT_IN
            return (f"refusing to start {what}: the strict sandbox policy needs L1, which "
                    f"this machine lacks ({self.missing()}); {hint}")
        return (f"refusing to start {what}: no isolating sandbox layer on this machine "
                f"({self.missing()}), and rlimits alone are not isolation; {OPT_IN}")

    def weaker(self) -> str | None:
        """What a run under ``best`` on this machine goes without (None: nothing isolating)."""
        if self.isolated:
            return None
        return ("NOT ISOLATED: rlimits only (" + self.missing() + "): the code can read and "
                "write the user's files, use the network and signal the user's processes")

    def to_dict(self) -> dict[str, object]:
        return {"policy": self.policy, "mode": self.mode, "isolated": self.isolated,
                "l1_missing": self.l1_missing, "l2_missing": self.l2_missing,
                "refused": self.mode is None}


def isolation(policy: str, *, as_sandbox_uid: bool) -> Isolation:
    """``policy`` on this machine. ``as_sandbox_uid``: bubblewrap is tried as the dropped
    uid the python sandbox uses when lamp is root (MCP servers keep lamp's uid)."""
    if policy not in POLICIES:
        raise UsageError(f"unknown sandbox policy {policy!r} (auto, strict or best)")
    bw = find_bwrap(as_sandbox_uid and _host.sandbox_uid() is not None)
    return Isolation(policy, static_l1(), None if bw.usable else bw.reason)  # type: ignore[arg-type]


def require_isolation(policy: str, what: str, *, as_sandbox_uid: bool) -> Isolation:
    """``isolation``, or ``IsolationRefused`` (exit 2) when ``what`` must not run here."""
    found = isolation(policy, as_sandbox_uid=as_sandbox_uid)
    why = found.refusal(what)
    if why is not None:
        raise IsolationRefused(why)
    return found
