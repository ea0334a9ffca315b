from __future__ import annotations

import os
import subprocess
import sys

import pytest

from lamp.agent.models.cores import usable_cores


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity on this OS")
def test_threads_follow_the_processes_cpu_affinity_not_the_machine():
    # A process pinned to one core (taskset, a container's cpuset) must not start a
    # thread per machine core: they would spin against each other.
    first = min(os.sched_getaffinity(0))
    code = ("import os; from lamp.agent.models.cores import usable_cores; "
            f"os.sched_setaffinity(0, {{{first}}}); print(usable_cores())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "1"
    assert usable_cores() == len(os.sched_getaffinity(0))
