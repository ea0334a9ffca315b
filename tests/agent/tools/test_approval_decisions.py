"""Who decided a tool call: the outcome, the Observation event and the run's result say it,
so the run log can tell a person's yes from ``--approve all`` from lamp's own rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from lamp.agent.app.result import RunResult, ToolUse
from lamp.agent.events import Observation, ToolCall
from lamp.agent.tools import (
    ApprovalRequest,
    DecidingApprover,
    Decision,
    Tool,
    ToolContext,
    run_tool,
)


class Echo(Tool):
    name = "echo"
    description = "Echo text."
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"],
        "additionalProperties": False}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return args["text"]


class Guarded(Echo):
    name = "guarded"
    needs_approval = True


class Person(DecidingApprover):
    def __init__(self, answer: Decision) -> None:
        self.answer = answer

    def decide(self, request: ApprovalRequest) -> Decision:
        return self.answer


def _ctx(tmp_path: Path, approve: Any = None) -> ToolContext:
    ctx = ToolContext(cwd=tmp_path)
    if approve is not None:
        ctx.approve = approve
    return ctx


@pytest.mark.parametrize(("approver", "approval", "refused"), [
    (Person(Decision(True, "user-approved")), "user-approved", False),
    (Person(Decision(False, "user-refused")), "user-refused", True),
    (Person(Decision(True, "approve-all")), "approve-all", False),
    (Person(Decision(False, "policy")), "policy", True),
    (lambda request: True, "user-approved", False),  # a program's own approver
    (lambda request: False, "user-refused", True),
    (None, "policy", True),  # deny_all: nobody was there to ask
])
def test_the_outcome_says_who_decided(tmp_path: Path, approver: Any, approval: str,
                                      refused: bool) -> None:
    outcome = run_tool(Guarded(), {"text": "x"}, _ctx(tmp_path, approver))
    assert (outcome.approval, outcome.refused) == (approval, refused)


def test_a_deciding_approver_still_answers_like_a_plain_one() -> None:
    request = ApprovalRequest(Guarded(), {"text": "x"}, "why")
    assert Person(Decision(True, "approve-all"))(request) is True
    assert Person(Decision(False, "policy"))(request) is False


def test_a_call_that_needs_no_approval_and_a_failing_approver(tmp_path: Path) -> None:
    assert run_tool(Echo(), {"text": "x"}, _ctx(tmp_path)).approval == "not-needed"

    def broken(request: ApprovalRequest) -> bool:
        raise EOFError

    outcome = run_tool(Guarded(), {"text": "x"}, _ctx(tmp_path, broken))
    assert outcome.refused and outcome.approval == "policy"


def test_the_result_pairs_each_call_with_its_observation() -> None:
    result = RunResult()
    for event in (ToolCall("echo", {"text": "a"}),
                  Observation("echo", "a", False, 0.1, "not-needed"),
                  ToolCall("guarded", {"text": "b"}),
                  Observation("guarded", "refused: ...", True, 0.0, "user-refused"),
                  Observation("", "Your reply was cut off", True)):  # a malformed step
        result.absorb(event)
    assert result.tool_uses == [ToolUse("echo", {"text": "a"}, "a", False, 0.1, "not-needed"),
                                ToolUse("guarded", {"text": "b"}, "refused: ...", True, 0.0,
                                        "user-refused")]
