"""run_tool: every way a call can go wrong ends as an observation, never an exception."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lamp.agent.tools import OUTPUT_LIMIT, ApprovalRequest, Tool, ToolContext, ToolError, run_tool

_SCHEMA = {"type": "object", "properties": {"text": {"type": "string"},
                                            "times": {"type": "integer", "default": 1}},
           "required": ["text"], "additionalProperties": False}


class Repeat(Tool):
    name = "repeat"
    description = "Repeat text."
    input_schema: ClassVar[dict[str, Any]] = _SCHEMA

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return args["text"] * args["times"]


class Guarded(Repeat):
    name = "guarded"
    needs_approval = True

    def preview(self, args: dict[str, Any]) -> str:
        return f"repeat {args['text']!r}"


class Broken(Repeat):
    name = "broken"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        if args["text"] == "tool":
            raise ToolError("no such thing")
        if args["text"] == "exit":
            raise SystemExit(3)
        raise ValueError("bad value")


_release = threading.Event()


class Hang(Repeat):
    name = "hang"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        _release.wait(30)  # released at the end of the test so the thread ends
        return "late"


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    return ToolContext(cwd=tmp_path)


def test_a_good_call_fills_defaults_and_times_itself(ctx: ToolContext) -> None:
    outcome = run_tool(Repeat(), {"text": "ab"}, ctx)
    assert outcome.output == "ab" and not outcome.is_error and not outcome.refused
    assert 0 <= outcome.seconds < 5
    assert run_tool(Repeat(), {"text": "ab", "times": 3}, ctx).output == "ababab"


def test_invalid_input_is_an_error_observation_and_the_tool_does_not_run(
        ctx: ToolContext) -> None:
    outcome = run_tool(Broken(), {"txt": "a"}, ctx)
    assert outcome.is_error
    assert outcome.output == ("invalid input for broken: missing required key 'text'; "
                              "unknown key 'txt' (allowed: text, times)")


def test_approval_is_asked_with_the_tool_and_the_filled_in_args(ctx: ToolContext) -> None:
    asked: list[tuple[str, dict[str, Any], str]] = []

    def approve(request: ApprovalRequest) -> bool:
        tool, args = request.tool, request.args
        asked.append((tool.name, args, tool.preview(args)))
        return True

    ctx.approve = approve
    outcome = run_tool(Guarded(), {"text": "x"}, ctx)
    assert outcome.output == "x" and not outcome.is_error
    assert asked == [("guarded", {"text": "x", "times": 1}, "repeat 'x'")]


def test_refusal_by_default_and_by_the_user(ctx: ToolContext) -> None:
    outcome = run_tool(Guarded(), {"text": "x"}, ctx)  # the default approver says no
    assert outcome.refused and outcome.is_error
    assert outcome.output == "refused: the user did not approve running guarded"
    ctx.approve = lambda request: False
    assert run_tool(Guarded(), {"text": "x"}, ctx).refused


def test_an_approver_that_fails_is_a_refusal(ctx: ToolContext) -> None:
    def approve(request: ApprovalRequest) -> bool:
        raise EOFError("stdin closed")

    ctx.approve = approve
    outcome = run_tool(Guarded(), {"text": "x"}, ctx)
    assert outcome.refused and "EOFError: stdin closed" in outcome.output


def test_tools_without_approval_never_ask(ctx: ToolContext) -> None:
    def approve(request: ApprovalRequest) -> bool:
        raise AssertionError("asked")

    ctx.approve = approve
    assert run_tool(Repeat(), {"text": "x"}, ctx).output == "x"


@pytest.mark.parametrize(("text", "expected"), [
    ("tool", "ToolError: no such thing"),
    ("value", "ValueError: bad value"),
    ("exit", "SystemExit: 3"),
])
def test_exceptions_become_error_observations(ctx: ToolContext, text: str,
                                              expected: str) -> None:
    outcome = run_tool(Broken(), {"text": text}, ctx)
    assert outcome.is_error and outcome.output == expected and not outcome.refused


def test_a_hung_tool_is_cut_off_at_the_timeout(ctx: ToolContext) -> None:
    start = time.monotonic()
    try:
        outcome = run_tool(Hang(), {"text": "x"}, ctx, timeout=0.5)
    finally:
        _release.set()
    assert time.monotonic() - start < 2.5
    assert outcome.is_error and outcome.output == "tool hang timed out after 0.5 s"
    assert 0.4 < outcome.seconds < 2.5


def test_long_output_is_capped_with_a_note(ctx: ToolContext) -> None:
    text = "".join(f"{i:05d}\n" for i in range(2000))  # 12,000 characters
    outcome = run_tool(Repeat(), {"text": text}, ctx)
    assert not outcome.is_error
    assert len(outcome.output) < OUTPUT_LIMIT + 60
    assert outcome.output.startswith("00000\n") and outcome.output.endswith("01999\n")
    assert f"[... {len(text) - OUTPUT_LIMIT:,} characters cut ...]" in outcome.output
