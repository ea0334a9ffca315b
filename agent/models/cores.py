"""How many threads llama.cpp should run: the cores this process may use.

Kept apart from the backend so that the config can answer without importing it.
"""

from __future__ import annotations

import os

__all__ = ["usable_cores"]


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity where the OS has one (``taskset``,
    a container's cpuset), not the machine's count. More llama.cpp threads than cores
    spin against each other and run many times slower."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
