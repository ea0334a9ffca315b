"""Value types the sandbox hands back: one run's result and the machine's report."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

__all__ = ["LayerStatus", "Policy", "SandboxReport", "SandboxResult"]

Policy = Literal["auto", "strict", "best"]


@dataclass(frozen=True)
class SandboxResult:
    """What one sandboxed run did, as the parent observed it.

    ``layers`` lists the layers the child itself confirmed before the code ran
    (not the ones we merely asked for); ``warnings`` says, in words a user can
    read, when a run was weaker than strict. ``exit_code`` follows the shell:
    128 + N when the child died of signal N.
    """

    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    truncated: bool
    seconds: float
    layers: tuple[str, ...]
    killed_reason: str | None = None
    warnings: tuple[str, ...] = ()
    files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.killed_reason is None


@dataclass(frozen=True)
class LayerStatus:
    """One layer on this machine: active or not, and why, in one line each."""

    name: str
    active: bool
    summary: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class SandboxReport:
    """Which layers this machine gives the sandbox (see ``probe``)."""

    layers: tuple[LayerStatus, ...]
    strict_available: bool
    # What ``auto`` does here: L1 required (strict), L2 required (namespaces), or refuse
    # every run (no isolating layer; only an explicit ``best`` runs code).
    default_policy: Literal["strict", "namespaces", "refuse"]
    interpreter: str
    sandbox_uid: int | None

    @property
    def active(self) -> tuple[str, ...]:
        return tuple(layer.name for layer in self.layers if layer.active)

    def layer(self, name: str) -> LayerStatus:
        return next(layer for layer in self.layers if layer.name == name)

    def to_dict(self) -> dict[str, object]:
        return {
            "active": list(self.active),
            "strict_available": self.strict_available,
            "default_policy": self.default_policy,
            "interpreter": self.interpreter,
            "sandbox_uid": self.sandbox_uid,
            "layers": [
                {"name": x.name, "active": x.active, "summary": x.summary,
                 "details": list(x.details)}
                for x in self.layers
            ],
        }
