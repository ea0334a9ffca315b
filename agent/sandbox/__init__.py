"""Run untrusted, model-written Python in a confined child process.

Layers (see docs/sandbox.md): L0 process limits, always; L1 Landlock + seccomp
applied by the child to itself before the code runs; L2 bubblewrap namespaces
where the machine allows them. ``probe()`` says which this machine has;
``require_isolation`` refuses (exit 2) when the policy's layers are missing: by
default rlimits alone never run model-written code.
"""

from __future__ import annotations

from ._policy import OPT_IN, POLICIES, Isolation, isolation, require_isolation
from ._probe import probe
from ._runner import Sandbox
from ._types import LayerStatus, Policy, SandboxReport, SandboxResult

__all__ = ["OPT_IN", "POLICIES", "Isolation", "LayerStatus", "Policy", "Sandbox",
           "SandboxReport", "SandboxResult", "isolation", "probe", "require_isolation"]
