"""Built-in tools against the real thing: sandbox processes, /bin/sh, Chroma memory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lamp.agent.tools import ApprovalRequest, ToolContext, run_tool
from lamp.agent.tools.builtins import PythonTool, SearchMemoryTool, ShellTool, store_searcher

pytestmark = pytest.mark.integration


@pytest.mark.bwrap
def test_python_tool_multiplies_through_the_real_sandbox(tmp_path: Path) -> None:
    ctx = ToolContext(cwd=tmp_path)
    outcome = run_tool(PythonTool(), {"code": "print(123456789 * 987654321)"}, ctx)
    assert not outcome.is_error
    assert outcome.output.splitlines()[0] == "121932631112635269"
    assert ctx.sandbox is not None  # created once, kept for the next steps


@pytest.mark.bwrap
def test_python_tool_runs_code_with_a_spilled_json_brace(tmp_path: Path) -> None:
    outcome = run_tool(PythonTool(), {"code": "print(6 * 7)}"}, ToolContext(cwd=tmp_path))
    assert outcome.output.splitlines() == ["42", "note: dropped a stray '}' after the code's end"]


@pytest.mark.bwrap
def test_python_tool_reports_a_traceback(tmp_path: Path) -> None:
    outcome = run_tool(PythonTool(), {"code": "1 / 0"}, ToolContext(cwd=tmp_path))
    assert not outcome.is_error  # the tool worked; the program failed, and it says so
    assert "exited with status 1" in outcome.output
    assert "ZeroDivisionError: division by zero" in outcome.output


def test_shell_runs_when_approved(tmp_path: Path) -> None:
    seen: list[str] = []

    def approve(request: ApprovalRequest) -> bool:
        tool, args = request.tool, request.args
        seen.append(tool.preview(args))
        return True

    ctx = ToolContext(cwd=tmp_path, approve=approve)
    outcome = run_tool(ShellTool(), {"command": "echo hi; echo oops >&2; pwd"}, ctx)
    assert seen == ["echo hi; echo oops >&2; pwd"]
    assert not outcome.is_error
    assert outcome.output == f"exit code 0\nstdout:\nhi\n{tmp_path}\nstderr:\noops"
    failed = run_tool(ShellTool(), {"command": "exit 3"}, ctx)
    assert failed.output == "exit code 3"


def test_shell_is_refused_without_approval_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    outcome = run_tool(ShellTool(), {"command": f"echo hi > {marker}"}, ToolContext(cwd=tmp_path))
    assert outcome.refused and outcome.is_error
    assert outcome.output == "refused: the user did not approve running shell"
    assert not marker.exists()


def test_shell_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    tool = ShellTool()
    tool.timeout = 1.5  # type: ignore[misc]  # an instance may shorten its own limit
    ctx = ToolContext(cwd=tmp_path, approve=lambda request: True)
    start = time.monotonic()
    outcome = run_tool(tool, {"command": "echo started; sleep 30 & sleep 30; echo never"}, ctx)
    assert time.monotonic() - start < 5
    assert outcome.output.startswith("timed out after 0.5 s (killed)\nstdout:\nstarted")
    assert "never" not in outcome.output


def test_search_memory_over_a_real_store(tmp_path: Path) -> None:
    from lamp.memory import MemoryStore

    store = MemoryStore.open(tmp_path / "memory")
    try:
        store.remember("The wifi password is tulip-42.")
        store.remember("Paris is the capital of France.")
        ctx = ToolContext(cwd=tmp_path, search_memory=store_searcher(store))
        outcome = run_tool(SearchMemoryTool(), {"query": "wifi password", "k": 1}, ctx)
    finally:
        store.close()
    assert outcome.output == "[1] The wifi password is tulip-42."
