"""The ReAct loop with a scripted model and real (in-process) tools."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from lamp.agent.errors import StepLimitReached
from lamp.agent.events import FinalAnswer, Notice, Observation, Routed, ToolCall
from lamp.agent.models import Sampling, ScriptedBackend
from lamp.agent.react.formats import Action, Demo, NativeFormat, ReactFormat, ToolSpec
from lamp.agent.react.loop import AgentConfig, run_agent
from lamp.agent.tools import Tool, ToolContext, select_tools
from lamp.cli.errors import exit_code_for


class Slow(Tool):
    name = "slow"
    description = "Never finishes."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {},
                                              "additionalProperties": False}
    timeout = 0.3

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        import time

        time.sleep(5)
        return "done"


def react_step(tool: str, args: dict[str, Any], thought: str = "use a tool") -> str:
    return f"Thought: {thought}\nAction: {tool}\nAction Input: {json.dumps(args)}"


def final(answer: str) -> str:
    return f"Thought: I know it now\nFinal Answer: {answer}"


def run(backend: ScriptedBackend, tools: list[Tool], fmt=None, max_steps: int = 6,
        ctx: ToolContext | None = None, route: bool = False, question: str = "q?",
        max_tokens: int = 512, route_from: float | None = None) -> list:
    """The loop's own steps; with ``route`` the first reply queued is the router's."""
    config = AgentConfig(max_steps=max_steps, route=route)
    if route_from is not None:
        config = replace(config, route_from=route_from)
    return list(run_agent(backend, question, tools, ctx or ToolContext(cwd=Path.cwd()),
                          fmt or ReactFormat(), Sampling(temperature=0, max_tokens=max_tokens),
                          config))


def test_action_observation_final() -> None:
    backend = ScriptedBackend().enqueue(
        react_step("calculator", {"expression": "123456789 * 987654321"}),
        final("121932631112635269"))
    events = run(backend, select_tools(["calculator"]),
                 question="What is 123456789 * 987654321?")
    call = next(e for e in events if isinstance(e, ToolCall))
    obs = next(e for e in events if isinstance(e, Observation))
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert call.tool == "calculator" and obs.output == "121932631112635269"
    assert answer.text == "121932631112635269"
    assert [s["kind"] for s in answer.steps] == ["action", "final"]
    # The second step saw the observation, and every step ran under the grammar.
    second = backend.requests[1][0]
    assert second[-1].content == "Observation:\n<observation>\n121932631112635269\n</observation>"
    assert all(g and "Action Input: " in g for _, _, g in backend.requests)


def test_tool_error_becomes_an_observation(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue(react_step("read_file", {"path": "missing.txt"}),
                                        final("no such file"),
                                        "There is no file missing.txt to read.")
    events = run(backend, select_tools(["read_file"]), ctx=ToolContext(cwd=tmp_path))
    obs = next(e for e in events if isinstance(e, Observation))
    assert obs.is_error and "missing.txt" in obs.output
    # No call worked, so the answer comes from a plain request that says what failed.
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "There is no file missing.txt to read."
    direct, _, grammar = backend.requests[-1]
    assert grammar is None and [m.role for m in direct] == ["system", "user"]
    assert direct[1].content.startswith("q?\n\n(Tools were tried")
    assert "- read_file: " in direct[1].content and "missing.txt" in direct[1].content
    assert [s["kind"] for s in answer.steps] == ["action", "final", "direct"]
    assert answer.steps[-1]["reason"] == "every tool call failed"


def test_an_answer_that_repeats_a_tool_error_is_replaced() -> None:
    # One call fails, one works, and the model still answers with the error text.
    backend = ScriptedBackend().enqueue(
        react_step("calculator", {"expression": "Paris"}),
        react_step("calculator", {"expression": "2 + 2"}),
        final("ToolError: unknown name 'Paris' (only numbers, pi and e)"),
        "Paris.")
    events = run(backend, select_tools(["calculator"]))
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "Paris."
    assert answer.steps[-1]["reason"] == "the answer repeated a tool error"


def test_an_answer_after_a_working_call_stands() -> None:
    backend = ScriptedBackend().enqueue(
        react_step("calculator", {"expression": "Paris"}),
        react_step("calculator", {"expression": "2 + 2"}), final("4"))
    events = run(backend, select_tools(["calculator"]))
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "4" and [s["kind"] for s in answer.steps][-1] == "final"
    assert not backend.replies and len(backend.requests) == 3  # no extra request


def test_a_direct_answer_without_any_call_stands() -> None:
    backend = ScriptedBackend().enqueue(final("Paris"))
    events = run(backend, select_tools(["calculator"]))
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "Paris"
    assert len(backend.requests) == 1


def test_hanging_tool_is_cut_off() -> None:
    backend = ScriptedBackend().enqueue(react_step("slow", {}), final("gave up"),
                                        "The slow tool did not finish.")
    events = run(backend, [Slow()])
    obs = next(e for e in events if isinstance(e, Observation))
    assert obs.is_error and "timed out" in obs.output
    assert "- slow: tool slow timed out" in backend.requests[-1][0][-1].content


def test_step_limit_raises_with_partial_answer_and_steps() -> None:
    backend = ScriptedBackend().enqueue(*[react_step("calculator", {"expression": f"{i}+1"})
                                          for i in range(3)])
    with pytest.raises(StepLimitReached) as info:
        run(backend, select_tools(["calculator"]), max_steps=3)
    assert exit_code_for(info.value) == 3
    assert info.value.partial_answer.startswith("3")  # 2+1, the last good result
    assert len(info.value.steps) == 3


def test_same_action_twice_in_a_row_is_not_run_again() -> None:
    step = react_step("calculator", {"expression": "2+2"})
    backend = ScriptedBackend().enqueue(step, step, final("4"))
    events = run(backend, select_tools(["calculator"]))
    observations = [e for e in events if isinstance(e, Observation)]
    assert observations[0].output == "4" and not observations[0].is_error
    assert observations[1].is_error and "already ran this exact call" in observations[1].output
    assert observations[1].output.endswith("q?")  # the question, restated
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "4"


def test_after_a_repeated_call_only_a_final_answer_is_allowed() -> None:
    step = react_step("calculator", {"expression": "2+2"})
    backend = ScriptedBackend().enqueue(step, step, final("4"))
    events = run(backend, select_tools(["calculator"]))
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "4" and answer.steps[-1]["forced"] is True
    assert [s["kind"] for s in answer.steps] == ["action", "repeat", "final"]
    first_grammar, last_grammar = backend.requests[0][2], backend.requests[2][2]
    assert "Action Input: " in first_grammar
    assert "Action Input: " not in last_grammar and "Final Answer: " in last_grammar


def test_native_answer_only_grammar_has_no_call() -> None:
    specs = [ToolSpec("calculator", "math", {"type": "object", "properties": {}})]
    assert "tool_call" in NativeFormat().grammar(specs)
    assert "tool_call" not in NativeFormat().grammar(specs, answer_only=True)


def test_native_grammar_uses_the_special_token_for_its_tags() -> None:
    specs = [ToolSpec("calculator", "math", {"type": "object", "properties": {}})]
    tokens = {"<tool_call>": "<[7]>", "</tool_call>": "<[8]>"}
    grammar = NativeFormat().grammar(specs, special=tokens.get)
    assert "<[7]>" in grammar and "<[8]>" in grammar and '"<tool_call>' not in grammar
    assert '"<tool_call>' in NativeFormat().grammar(specs)  # no special tokens: spelled out


def test_repeat_at_the_last_step_ends_at_the_step_limit() -> None:
    step = react_step("calculator", {"expression": "2+2"})
    backend = ScriptedBackend().enqueue(step, step)
    with pytest.raises(StepLimitReached) as info:
        run(backend, select_tools(["calculator"]), max_steps=2)
    assert info.value.partial_answer.startswith("4")
    assert [s["kind"] for s in info.value.steps] == ["action", "repeat"]


def test_refused_approval_is_an_observation(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue(react_step("shell", {"command": "touch marker"}),
                                        final("not allowed"), "The command was not approved.")
    ctx = ToolContext(cwd=tmp_path, approve=lambda request: False)
    events = run(backend, select_tools(["calculator"], allow=["shell"]), ctx=ctx)
    obs = next(e for e in events if isinstance(e, Observation))
    assert obs.is_error and "refused" in obs.output
    assert not (tmp_path / "marker").exists()


def test_native_format_round_trip() -> None:
    call = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>'
    backend = ScriptedBackend().enqueue(call, "The answer is 42.")
    events = run(backend, select_tools(["calculator"]), fmt=NativeFormat(), question="6*7?")
    assert next(e for e in events if isinstance(e, Observation)).output == "42"
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "The answer is 42."
    assert "<tool_response>\n42\n</tool_response>" in backend.requests[1][0][-1].content


def test_cut_off_step_is_reported_back_not_fatal() -> None:
    backend = ScriptedBackend().enqueue("Thought: I will", final("ok"))
    events = run(backend, select_tools(["calculator"]))
    obs = next(e for e in events if isinstance(e, Observation))
    assert obs.is_error and "cut off" in obs.output
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "ok"


@pytest.mark.parametrize("fmt", [ReactFormat(), NativeFormat()], ids=["react", "native"])
def test_demos_are_written_in_the_format_and_parse_back(fmt) -> None:
    action = Action("calculator", {"expression": "6*7"}, "multiply")
    demo = Demo("What is six times seven?", ((action, "42"),), "42")
    assert fmt.parse(fmt.write_action(action)) == (
        action if fmt.name == "react" else Action("calculator", {"expression": "6*7"}))
    assert fmt.parse(fmt.write_final("42")).answer == "42"
    backend = ScriptedBackend().enqueue(fmt.write_final("12"))
    events = list(run_agent(backend, "What is 3*4?", select_tools(["calculator"]),
                            ToolContext(cwd=Path.cwd()), fmt, Sampling(temperature=0),
                            AgentConfig(demos=(demo,), route=False)))
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "12"
    sent = [m.content for m in backend.requests[0][0]]
    # system, the demo's question, call, observation, answer, then the real question
    assert len(sent) == 6 and "six times seven" in sent[1] and "42" in sent[3]
    assert sent[4] == fmt.write_final("42") and "What is 3*4?" in sent[5]


class Noisy(Tool):
    name = "noisy"
    description = "Works, and has something to tell the person."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {
        "n": {"type": "integer"}}, "required": ["n"], "additionalProperties": False}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        ctx.notify("this machine is weaker than asked")
        return str(args["n"] * 2)


def test_tool_notices_reach_the_person_once_and_never_the_model() -> None:
    backend = ScriptedBackend().enqueue(react_step("noisy", {"n": 1}),
                                        react_step("noisy", {"n": 2}), final("4"))
    events = run(backend, [Noisy()], question="Double 1, then double that.")
    warnings = [e.message for e in events if isinstance(e, Notice) and e.level == "warning"]
    assert warnings == ["this machine is weaker than asked"]
    assert [e.output for e in events if isinstance(e, Observation)] == ["2", "4"]
    assert all("weaker" not in m.content for m in backend.requests[-1][0])


def test_a_question_routed_direct_is_answered_without_the_tool_loop() -> None:
    backend = ScriptedBackend().enqueue("direct", "Paris is the capital of France.")
    events = run(backend, select_tools(["calculator"]), fmt=NativeFormat(), route=True)
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "Paris is the capital of France."
    assert [(s["kind"], s["reason"]) for s in answer.steps] == [("direct", "no tool needed")]
    router, plain = backend.requests
    assert router[2] == 'root ::= "tool" | "direct"' and router[1].max_tokens <= 3
    assert "- calculator: " in router[0][0].content and router[0][-1].content == "q?"
    assert plain[2] is None and [m.content for m in plain[0]][1] == "q?"
    assert not any(isinstance(e, ToolCall) for e in events)


def test_a_question_routed_to_tools_runs_the_loop() -> None:
    call = '<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n</tool_call>'
    backend = ScriptedBackend().enqueue("tool", "yes", call, "42")
    events = run(backend, select_tools(["calculator"]), fmt=NativeFormat(), route=True,
                 question="6*7?")
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "42"
    assert [e.output for e in events if isinstance(e, Observation)] == ["42"]
    fit = backend.requests[1]
    assert fit[2] == 'root ::= "yes" | "no"'
    assert fit[0][-1].content.startswith("Tools:\n- calculator: ")
    assert fit[0][-1].content.endswith("Request: 6*7?")


def test_a_tool_that_does_not_fit_the_question_means_a_direct_answer() -> None:
    # "Needs a tool" is judged from the kind of question; whether one of *these* tools
    # does it is asked next, so a computation the tools cannot do is answered directly.
    backend = ScriptedBackend().enqueue("tool", "no", "Area = 4 * 7 = 28 square metres.")
    events = run(backend, select_tools(["calculator"]), fmt=NativeFormat(), route=True)
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "Area = 4 * 7 = 28 square metres."
    assert [s["kind"] for s in answer.steps] == ["direct"]
    assert not any(isinstance(e, ToolCall) for e in events)


class Crashing(Tool):
    name = "crashing"
    description = "Runs, and reports that the program it ran failed."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {},
                                              "additionalProperties": False}

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return "error: the program exited with status 1\nstderr:\nNameError: x"


def test_an_answer_that_repeats_a_failed_programs_report_is_replaced() -> None:
    backend = ScriptedBackend().enqueue(
        react_step("crashing", {}), final("error: the program exited with status 1"),
        "I could not compute it.")
    events = run(backend, [Crashing()])
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.text == "I could not compute it."
    assert answer.steps[-1]["reason"] == "the answer repeated a tool error"


def test_the_router_lists_a_tool_without_a_description() -> None:
    # A plugin or benchmark function may have no description; both router prompts list it.
    from lamp.agent.react.formats import ToolSpec
    from lamp.agent.react.route import fit_messages, route_messages

    bare = [ToolSpec("lookup", "", {"type": "object", "properties": {}})]
    assert "- lookup: \n" in route_messages("q?", bare)[0].content
    assert fit_messages("q?", bare)[-1].content == "Tools:\n- lookup: \n\nRequest: q?"


class Loan(Tool):
    """A tool whose answer depends on numbers only the person can give."""

    name = "loan_payment"
    description = "Monthly payment of a fixed-rate loan."
    input_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {
        "principal": {"type": "number"}, "rate_percent": {"type": "number"},
        "years": {"type": "integer"}, "note": {"type": "string"}},
        "required": ["principal", "rate_percent", "years"], "additionalProperties": False}

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        self.calls.append(args)
        r, n = args["rate_percent"] / 1200, args["years"] * 12
        return f"{args['principal'] * r / (1 - (1 + r) ** -n):.2f}"


def native_call(name: str, args: dict[str, Any]) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>"


def test_invented_numbers_twice_in_a_row_end_in_a_direct_answer() -> None:
    loan = Loan()
    made_up = native_call("loan_payment", {"principal": 200000, "rate_percent": 5, "years": 30})
    backend = ScriptedBackend().enqueue(
        "tool", "yes", made_up, made_up.replace("200000", "250000"),
        "I need the amount, the interest rate and the term of your loan to work it out.")
    events = run(backend, [loan], fmt=NativeFormat(), route=True,
                 question="What is the monthly payment on my loan?")
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert loan.calls == []
    assert answer.text.startswith("I need the amount")
    assert [s["kind"] for s in answer.steps] == ["held", "held", "direct"]
    assert answer.steps[-1]["reason"] == "the call's numbers are not in the request"
    held = answer.steps[0]
    assert held["tool"] == "loan_payment" and held["is_error"]
    assert "principal=200000, rate_percent=5, years=30" in held["observation"]
    # The model saw why its first call was not run.
    assert "Not run: not in the request: principal=200000" in backend.requests[3][0][-1].content
    # The plain request that answers says which values were missing.
    direct, _, grammar = backend.requests[-1]
    assert grammar is None and "- loan_payment: Not run: not in the request: principal=250000" \
        in direct[1].content
    notices = [e.message for e in events if isinstance(e, Notice)]
    assert any("loan_payment not run" in n for n in notices)


def test_the_same_held_call_again_is_held_not_treated_as_a_repeat() -> None:
    loan = Loan()
    made_up = react_step("loan_payment", {"principal": 9000, "rate_percent": 5, "years": 3})
    backend = ScriptedBackend().enqueue(made_up, made_up, "Which loan do you mean?")
    events = run(backend, [loan], question="What do I pay each month?")
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert loan.calls == [] and answer.text == "Which loan do you mean?"
    assert [s["kind"] for s in answer.steps] == ["held", "held", "direct"]
    assert not any("already ran" in e.output for e in events if isinstance(e, Observation))


def test_a_misread_amount_is_reported_back_and_the_mended_call_runs() -> None:
    loan = Loan()
    backend = ScriptedBackend().enqueue(
        "tool", "yes",
        native_call("loan_payment", {"principal": 2000000, "rate_percent": 5, "years": 30}),
        native_call("loan_payment", {"principal": 200000000, "rate_percent": 5, "years": 30}),
        "매달 약 1,073,643원입니다.")
    events = run(backend, [loan], fmt=NativeFormat(), route=True,
                 question="2억 원을 연 5%로 30년 동안 빌리면 월 상환액은?")
    assert loan.calls == [{"principal": 200000000, "rate_percent": 5, "years": 30}]
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert [s["kind"] for s in answer.steps] == ["held", "action", "final"]
    assert "principal=2000000" in answer.steps[0]["observation"]
    assert answer.text == "매달 약 1,073,643원입니다."


def test_a_call_with_the_requests_numbers_runs() -> None:
    loan = Loan()
    backend = ScriptedBackend().enqueue(
        "tool", "yes",
        native_call("loan_payment", {"principal": 200000, "rate_percent": 5, "years": 30,
                                     "note": "house"}),
        "About 1073.64 a month.")
    events = run(backend, [loan], fmt=NativeFormat(), route=True,
                 question="Monthly payment on 200,000 dollars at 5% for thirty years?")
    assert loan.calls == [{"principal": 200000, "rate_percent": 5, "years": 30, "note": "house"}]
    assert [e.output for e in events if isinstance(e, Observation)] == ["1073.64"]


def test_without_the_router_a_held_call_is_reported_back_and_the_model_can_mend_it() -> None:
    loan = Loan()
    backend = ScriptedBackend().enqueue(
        react_step("loan_payment", {"principal": 50000, "rate_percent": 7, "years": 10}),
        react_step("loan_payment", {"principal": 50000, "rate_percent": 6, "years": 10}),
        final("580.10 a month"))
    events = run(backend, [loan], question="50,000 over 10 years at 6%: monthly payment?")
    observations = [e for e in events if isinstance(e, Observation)]
    assert observations[0].is_error and "rate_percent=7" in observations[0].output
    assert loan.calls == [{"principal": 50000, "rate_percent": 6, "years": 10}]
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert [s["kind"] for s in answer.steps] == ["held", "action", "final"]
    assert answer.text == "580.10 a month"


def test_a_number_from_an_earlier_tool_result_may_be_used() -> None:
    def balance() -> str:
        """What is still owed on the loan."""
        return "still owed: 182,500.50"

    loan = Loan()
    backend = ScriptedBackend().enqueue(
        react_step("balance", {}),
        react_step("loan_payment", {"principal": 182500.5, "rate_percent": 4, "years": 15}),
        final("1349.94"))
    events = run(backend, [Tool.from_function(balance)(), loan],
                 question="Refinance what I still owe at 4% over 15 years: monthly payment?")
    assert loan.calls == [{"principal": 182500.5, "rate_percent": 4, "years": 15}]
    assert next(e for e in events if isinstance(e, FinalAnswer)).text == "1349.94"


def test_a_call_cut_off_at_the_token_limit_is_asked_again_with_required_arguments_only() -> None:
    loan = Loan()
    rambling = native_call("loan_payment", {"principal": 1000, "rate_percent": 3, "years": 1,
                                            "note": " ".join(["very"] * 40)})
    backend = ScriptedBackend().enqueue(
        rambling, native_call("loan_payment", {"principal": 1000, "rate_percent": 3,
                                               "years": 1}), "84.69")
    events = run(backend, [loan], fmt=NativeFormat(), max_tokens=30,
                 question="1000 at 3% over 1 year: monthly payment?")
    assert loan.calls == [{"principal": 1000, "rate_percent": 3, "years": 1}]
    first, again = backend.requests[0][2], backend.requests[1][2]
    assert '\\"note\\"' in first and '\\"note\\"' not in again
    assert '\\"years\\"' in again
    assert any("cut off at 30 tokens" in e.message for e in events if isinstance(e, Notice))
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert [s["kind"] for s in answer.steps] == ["action", "final"]


def test_the_calculator_demos_expression_for_a_plain_question_is_not_run() -> None:
    # The 0.5B answered "What is photosynthesis?" with calculator("60 * 2450 / 100"),
    # numbers from the calculator's worked example, and then with its result.
    backend = ScriptedBackend().enqueue(
        "tool", "yes", native_call("calculator", {"expression": "60 * 2450 / 100"}),
        native_call("calculator", {"expression": "2450 * 18 / 100"}),
        "Photosynthesis is how plants make sugar from light, water and carbon dioxide.")
    events = run(backend, select_tools(["calculator"]), fmt=NativeFormat(), route=True,
                 question="What is photosynthesis?")
    assert not any(not e.is_error for e in events if isinstance(e, Observation))
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert [s["kind"] for s in answer.steps] == ["held", "held", "direct"]
    assert "expression=2450" in answer.steps[0]["observation"]
    assert answer.text.startswith("Photosynthesis is")


def test_a_program_that_only_prints_its_own_text_is_not_run() -> None:
    # Without the router the 0.5B "translated" with print('Thank you very much.').
    copy = native_call("python", {"code": "print('Thank you very much.')"})
    backend = ScriptedBackend().enqueue(copy, copy, "Thank you very much.")
    events = run(backend, select_tools(["python"]), fmt=NativeFormat(),
                 question="Translate '대단히 감사합니다' into English.")
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert [s["kind"] for s in answer.steps] == ["held", "held", "direct"]
    assert answer.steps[-1]["reason"] == "the call could add nothing"
    assert answer.steps[0]["reason"] == "the call could add nothing"
    assert "only prints text written in it" in answer.steps[0]["observation"]
    assert answer.text == "Thank you very much."
    # Nothing failed: the direct answer is asked as plain `lamp ask` asks it.
    direct, _, _ = backend.requests[-1]
    assert direct[-1].content == "Translate '대단히 감사합니다' into English."


def test_after_a_futile_call_the_models_own_answer_stands() -> None:
    copy = native_call("python", {"code": "print('Thank you very much.')"})
    backend = ScriptedBackend().enqueue(copy, "Thank you very much.")
    events = run(backend, select_tools(["python"]), fmt=NativeFormat(),
                 question="Translate '대단히 감사합니다' into English.")
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert [s["kind"] for s in answer.steps] == ["held", "final"]
    assert answer.text == "Thank you very much."


def test_a_direct_step_records_how_far_the_router_leaned() -> None:
    from lamp.agent.models import Capabilities

    backend = ScriptedBackend(capabilities=Capabilities(grammar=True, token_chances=True),
                              word_chances={"direct": 0.9},
                              word_rivals={"direct": (("tool", 0.1),)})
    events = run(backend.enqueue("direct", "Paris."), select_tools(["calculator"]),
                 fmt=NativeFormat(), route=True)
    answer = next(e for e in events if isinstance(e, FinalAnswer))
    assert answer.steps[0]["route_leans"] == [0.1] and "route_s" in answer.steps[0]
    routed = [e for e in events if isinstance(e, Routed)]
    assert len(routed) == 1 and routed[0].tool is False and routed[0].leans == (0.1,)


def test_at_a_bar_of_zero_the_router_asks_both_questions() -> None:
    from lamp.agent.models import Capabilities

    backend = ScriptedBackend(capabilities=Capabilities(grammar=True, token_chances=True),
                              word_chances={"direct": 0.9, "no": 0.8},
                              word_rivals={"direct": (("tool", 0.1),), "no": (("yes", 0.2),)})
    backend.enqueue("direct", "no", native_call("calculator", {"expression": "2+2"}), "4")
    events = run(backend, select_tools(["calculator"]), fmt=NativeFormat(), route=True,
                 route_from=0.0)
    routed = next(e for e in events if isinstance(e, Routed))
    # Both leans are measured although the first alone would have sent it direct.
    assert routed.tool is True and routed.leans == (0.1, 0.2)
    assert any(isinstance(e, ToolCall) for e in events)
