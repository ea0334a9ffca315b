"""Run untrusted, model-written Python in a confined child process.

Layers (see docs/sandbox.md): L0 process limits, always; L1 Landlock + seccomp
applied by the child to itself before the code runs; L2 bubblewrap namespaces
where the machine allows them. ``probe()`` says which this machine has.
"""

from __future__ import annotations

from ._probe import probe
from ._runner import Sandbox
from ._types import LayerStatus, Policy, SandboxReport, SandboxResult

__all__ = ["LayerStatus", "Policy", "Sandbox", "SandboxReport", "SandboxResult", "probe"]
