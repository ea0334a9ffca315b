"""search_memory and the python tool's report of a sandbox run (no processes here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.sandbox import SandboxResult
from lamp.agent.tools import ToolContext, run_tool
from lamp.agent.tools.builtins import PythonTool, SearchMemoryTool, ShellTool
from lamp.agent.tools.builtins.python import describe_run, drop_json_spill


def test_search_memory_without_memory_says_why(tmp_path: Path) -> None:
    outcome = run_tool(SearchMemoryTool(), {"query": "wifi"}, ToolContext(cwd=tmp_path))
    assert outcome.is_error
    assert outcome.output == "ToolError: memory is not available (--no-memory?)"


def test_search_memory_numbers_the_hits_and_clamps_k(tmp_path: Path) -> None:
    calls: list[tuple[str, int]] = []

    def search(query: str, k: int) -> list[str]:
        calls.append((query, k))
        return ["first passage\n", "second passage"][:k]

    ctx = ToolContext(cwd=tmp_path, search_memory=search)
    assert run_tool(SearchMemoryTool(), {"query": " wifi "}, ctx).output == (
        "[1] first passage\n[2] second passage")
    assert run_tool(SearchMemoryTool(), {"query": "x", "k": 500}, ctx).output.count("[") == 2
    assert calls == [("wifi", 5), ("x", 20)]
    ctx.search_memory = lambda query, k: []
    assert run_tool(SearchMemoryTool(), {"query": "tulips"}, ctx).output == (
        "nothing in memory matches 'tulips'")


def _result(**overrides: object) -> SandboxResult:
    values: dict[str, object] = {"stdout": "", "stderr": "", "exit_code": 0, "timed_out": False,
                                 "truncated": False, "seconds": 0.1, "layers": ("L0",)}
    values.update(overrides)
    return SandboxResult(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"stdout": "42\n"}, "42"),
    ({}, "(the program printed nothing: print() the result)"),
    ({"stdout": "1\n", "stderr": "Traceback ...\nZeroDivisionError: division by zero\n",
      "exit_code": 1},
     "1\nerror: the program exited with status 1\n"
     "stderr:\nTraceback ...\nZeroDivisionError: division by zero"),
    ({"timed_out": True, "seconds": 10.02, "exit_code": 137, "killed_reason": "timeout"},
     "error: the program was stopped after 10.0 s (time limit)"),
    ({"exit_code": 137, "killed_reason": "memory limit"},
     "error: the program was stopped (memory limit)"),
    ({"stdout": "ok", "warnings": ("no Landlock on this kernel",)}, "ok"),
    ({"stdout": "x" * 10, "truncated": True},
     "xxxxxxxxxx\n[output was cut by the sandbox's output limit]"),
])
def test_python_tool_reports_a_run_as_the_model_should_read_it(
        overrides: dict[str, object], expected: str) -> None:
    assert describe_run(_result(**overrides)) == expected


def test_python_description_tells_the_model_to_print() -> None:
    assert "print()" in PythonTool.description
    assert PythonTool().preview({"code": "print(1)"}) == "print(1)"


def test_shell_is_off_by_default_asks_and_previews_the_command() -> None:
    assert ShellTool.enabled_by_default is False and ShellTool.needs_approval is True
    assert ShellTool().preview({"command": "rm -rf build"}) == "rm -rf build"


@pytest.mark.parametrize("code, fixed, dropped", [
    ("print(6 * 7)}", "print(6 * 7)", "}"),
    ('print(len([1, 2]))"}', "print(len([1, 2]))", '"}'),
    ("x = {1: 2}\nprint(x)", "x = {1: 2}\nprint(x)", ""),  # parses: untouched
    ("print(1 +)}", "print(1 +)}", ""),  # still broken without the brace: untouched
    ("def f(:\n    pass}}}}", "def f(:\n    pass}}}}", ""),
])
def test_json_spill_after_the_code_is_dropped(code: str, fixed: str, dropped: str) -> None:
    assert drop_json_spill(code) == (fixed, dropped)


class _WeakSandbox:
    """Stands in for a sandbox on a machine without L1: every run carries a warning."""

    def run(self, code: str) -> SandboxResult:
        return _result(stdout="42\n", warnings=("SANDBOX WEAKER THAN STRICT: no Landlock",))


def test_sandbox_warnings_go_to_the_person_once_not_into_the_observation(
        tmp_path: Path) -> None:
    ctx = ToolContext(cwd=tmp_path, sandbox=_WeakSandbox())
    first = run_tool(PythonTool(), {"code": "print(42)"}, ctx)
    second = run_tool(PythonTool(), {"code": "print(42)"}, ctx)
    assert first.output == second.output == "42"
    assert ctx.notices == ["SANDBOX WEAKER THAN STRICT: no Landlock"]
