from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("memory_worker.py")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[object]:
    from lamp.memory import MemoryStore

    s = MemoryStore.open(tmp_path / "memory")
    yield s
    s.close()


def _run_worker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(WORKER), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


@pytest.fixture
def run_worker() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run memory_worker.py in a fresh interpreter and wait for it."""
    return _run_worker
