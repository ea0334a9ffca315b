"""A scripted sandbox for the PAL tests: each program gets the next result handed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class FakeRun:
    """What the sandbox gives back for one program."""

    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    timed_out: bool = False
    seconds: float = 0.01
    layers: tuple[str, ...] = ("L0",)


def result(value: str) -> FakeRun:
    """A program that printed ``value`` through the harness."""
    return FakeRun(stdout=f"@@lamp-pal-result@@ {value}\n")


def fake_executor(*runs: FakeRun) -> tuple[Callable[[str], FakeRun], list[str]]:
    """A sandbox that answers each program with the next run, recording the programs."""
    calls: list[str] = []
    pending = iter(runs)

    def execute(code: str) -> FakeRun:
        calls.append(code)
        return next(pending)

    return execute, calls
