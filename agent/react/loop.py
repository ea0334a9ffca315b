"""The ReAct loop: think, call one tool, observe, until a final answer or the step limit.

Every step is generated under a grammar built from the enabled tools, so it
parses into exactly one known action with valid input, or a final answer. Tool
failures, refusals and timeouts come back as observations the model can react
to; only the step limit ends a run without an answer (``StepLimitReached``,
exit 3, with the best partial answer).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from ..conversation import ASSISTANT_SYSTEM
from ..errors import StepLimitReached
from ..events import Event, FinalAnswer, Notice, Observation, Routed, ToolCall, Usage
from ..framing import one_line
from ..models import Backend, Message, Sampling, complete
from ..records import StepRecord
from ..tools import Tool, ToolContext, run_tool
from .call_values import not_given_note, unsupported_numbers
from .formats import Action, Demo, Final, Step, StepFormat, ToolSpec, required_only
from .route import TOOL_FROM, Route, needs_tool

__all__ = ["AgentConfig", "run_agent", "specs_for"]

DEFAULT_SYSTEM = "You are lamp, a careful assistant that uses tools when they help."
# Why a call was held back (StepRecord.reason), and then why the answer came without tools.
_NOT_GIVEN = "the call's numbers are not in the request"
_FUTILE = "the call could add nothing"


@dataclass
class AgentConfig:
    max_steps: int = 6
    step_max_tokens: int = 384
    tool_timeout: float | None = None  # None: each tool's own
    system: str = DEFAULT_SYSTEM
    observation_chars: int = 2000  # older observations are shortened to fit the context
    demos: tuple[Demo, ...] = ()  # worked examples, written in the step format's syntax
    # When no tool call worked (or the answer repeats a tool's error), answer the question
    # without tools instead, as plain `lamp ask` would.
    direct_fallback: bool = True
    direct_system: str = ASSISTANT_SYSTEM
    # Ask first whether the question needs a tool at all (agent/react/route.py); plain questions
    # are then answered directly, as plain `lamp ask` would.
    route: bool = True
    # The caller's own system prompt, which the router sees too ("" for lamp's own, which
    # says nothing about which questions need a tool).
    route_instructions: str = ""
    # How far the router's two answers together must lean toward a tool (route.TOOL_FROM).
    # At 0 both questions are always asked, which is how the bar's choosing table is
    # measured (benchmarks/route_decisions.py --leans).
    route_from: float = TOOL_FROM
    # Hold back a call whose required numbers appear neither in the question nor in an
    # earlier tool result (agent/react/call_values.py): a small model fills a function that
    # does not fit with invented values, and misreads amounts ("2억" as 2,000,000). The
    # model is told which values were not given; a second such call in a row ends the
    # loop with a direct answer. The same goes for a call its tool calls futile
    # (``Tool.futile``: a program that only prints its own text).
    check_values: bool = True


def specs_for(tools: list[Tool]) -> list[ToolSpec]:
    return [ToolSpec(t.name, t.description, t.input_schema) for t in tools]


@dataclass
class _Run:
    steps: list[Step] = field(default_factory=list)
    record: list[StepRecord] = field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _fit(backend: Backend, fmt: StepFormat, config: AgentConfig, specs: list[ToolSpec],
         question: str, steps: list[Step], max_tokens: int,
         tool_defs: list[dict[str, Any]] | None) -> list:
    """Messages for the next step; shorten the oldest long observations when over budget."""
    budget = backend.context_size - max_tokens
    in_template = tool_defs is not None
    messages = fmt.messages(config.system, specs, question, steps, in_template, config.demos)
    shortened = [replace(s) for s in steps]
    i = 0
    while backend.count_tokens(messages, tool_defs) > budget and i < len(shortened):
        obs = shortened[i].observation
        if len(obs) > 200:
            shortened[i].observation = obs[:200] + " [... shortened]"
            messages = fmt.messages(config.system, specs, question, shortened, in_template,
                                    config.demos)
        i += 1
    return messages


def run_agent(
    backend: Backend,
    question: str,
    tools: list[Tool],
    ctx: ToolContext,
    fmt: StepFormat,
    sampling: Sampling,
    config: AgentConfig | None = None,
) -> Iterator[Event]:
    config = config or AgentConfig()
    specs = specs_for(tools)
    by_name = {t.name: t for t in tools}
    caps = backend.capabilities
    special = backend.special_token_rule if caps.special_tokens else None
    grammars: dict[tuple[str, bool], str] = {}

    def grammar_for(mode: str, short: bool = False) -> str:
        """The step grammar: ``any`` step, ``call`` only or ``answer`` only; ``short``
        admits each tool's required arguments only (asking again after a cut-off)."""
        if (mode, short) not in grammars:
            grammars[mode, short] = fmt.grammar(
                required_only(specs) if short else specs, answer_only=mode == "answer",
                call_only=mode == "call", special=special)
        return grammars[mode, short]

    answer_only = False  # set once the model repeats a call: it must answer next
    tool_defs = fmt.template_tools(specs) if caps.template_tools else None
    step_sampling = replace(sampling, max_tokens=min(sampling.max_tokens, config.step_max_tokens))
    run = _Run()
    started = time.perf_counter()
    if config.route:
        decision = needs_tool(backend, question, specs, sampling, config.route_instructions,
                              tool_from=config.route_from)
        if decision.prefix_cache:
            yield Notice(f"prefix cache (router): {', '.join(decision.prefix_cache)}",
                         level="debug")
        yield Routed(decision.tool, decision.leans, decision.seconds)
        run.prompt_tokens += decision.prompt_tokens
        if not decision.tool:
            yield Notice("the question needs no tool: answering directly", level="info")
            answer = _answer_directly(backend, question, run, sampling, config,
                                      "no tool needed", route=decision)
            yield from _finish(run, started, FinalAnswer(answer, run.record))
            return
    prefix: dict[str, Any] = {}
    if caps.warm_prefix:  # the system prompt and tool list are the same every run
        fixed = fmt.messages(config.system, specs, question, [], tool_defs is not None,
                             config.demos)[:-1]
        status = backend.warm_prefix(fixed, tool_defs)
        prefix = {"prefix_cache": status,
                  "prefix_s": round(time.perf_counter() - started, 4)}
        yield Notice(f"prefix cache: {status}", level="debug")
    last_action: Action | None = None
    notified = len(ctx.notices)
    for number in range(1, config.max_steps + 1):
        messages = _fit(backend, fmt, config, specs, question, run.steps,
                        step_sampling.max_tokens, tool_defs)
        # The router said a tool is needed: the first step calls one (a model that can
        # answer in prose at that point often does, guessing, instead of calling).
        mode = "answer" if answer_only else "call" if number == 1 and config.route else "any"
        text, usage = complete(backend, messages, step_sampling, grammar_for(mode), tool_defs)
        run.prompt_tokens += usage.prompt_tokens
        run.completion_tokens += usage.completion_tokens
        parsed = fmt.parse(text)
        if parsed is None and usage.finish_reason == "length" and mode != "answer":
            # Cut off at the token limit, in practice while listing optional arguments
            # (a whole deck of cards for "find the queen of hearts"): ask once more, for
            # the required arguments only.
            yield Notice(f"step {number}: cut off at {step_sampling.max_tokens} tokens; "
                         "asking again for the required arguments only", level="info")
            text, usage = complete(backend, messages, step_sampling,
                                   grammar_for(mode, short=True), tool_defs)
            run.prompt_tokens += usage.prompt_tokens
            run.completion_tokens += usage.completion_tokens
            parsed = fmt.parse(text)
        entry = StepRecord(step=number, kind="", raw=text,  # the kind is known below
                           first_token_s=round(usage.seconds_to_first_token, 4),
                           model_s=round(usage.seconds_total, 4),
                           **(prefix if number == 1 else {}))  # what the fixed prefix cost
        if isinstance(parsed, Final):
            # forced: only an answer was allowed after a repeated call
            run.record.append(replace(entry, kind="final", thought=parsed.thought,
                                      answer=parsed.answer, forced=answer_only))
            answer = parsed.answer
            why = _ungrounded(run.record, answer) if config.direct_fallback else None
            if why:
                yield Notice(f"{why}: answering without tools", level="info")
                answer = _answer_directly(backend, question, run, sampling, config, why)
            yield from _finish(run, started, FinalAnswer(answer, run.record))
            return
        refused: bool | None = None
        approval: str | None = None  # who let the tool run (None: it did not run)
        held_twice, held_why = False, ""
        if parsed is None:  # only when generation was cut off (max_tokens)
            observation, is_error, tool_name, seconds = (
                "Your reply was cut off or malformed. Reply with one complete step.", True,
                "", 0.0)
            entry = replace(entry, kind="malformed")
            yield Notice(f"step {number}: malformed step ({usage.finish_reason})", level="info")
            yield Observation(tool_name, observation, is_error, seconds)
        else:
            tool_name = parsed.tool
            entry = replace(entry, kind="action", thought=parsed.thought, tool=tool_name,
                            input=parsed.args)
            yield ToolCall(tool_name, parsed.args, parsed.thought)
            repeated = last_action is not None and (last_action.tool, last_action.args) == (
                parsed.tool, parsed.args)
            tool = by_name[tool_name]
            invented = (unsupported_numbers(
                parsed.args, tool.input_schema,
                [question, *(e.observation for e in run.record if not e.is_error)],
                tool.given_numbers)
                if config.check_values else [])  # a held call repeated is held again
            futile = tool.futile(parsed.args) if config.check_values and not invented else None
            if invented or futile:
                observation = (not_given_note(invented) if invented else
                               f"Not run: {futile}. Answer the question yourself, without "
                               "this tool.")
                is_error, seconds = True, 0.0
                held_why = (_NOT_GIVEN if invented else _FUTILE)
                entry = replace(entry, kind="held", reason=held_why)
                last_action = parsed
                yield Notice(f"{tool_name} not run: " + (
                    f"the request does not give {', '.join(invented)}" if invented
                    else str(futile)), level="info")
                # Told once why the call was not run, the model made the same kind of call
                # again: the tool needs what nobody gave (or no tool fits the question).
                held_twice = bool(run.record) and run.record[-1].kind == "held"
            elif repeated:
                # The same call gives the same result: do not run it, and leave the final
                # answer as the only way out of the next step. Restating the question (not
                # the result, which is in the step before) keeps small models from
                # answering with a copy of the observation.
                observation, is_error, seconds = (
                    "You already ran this exact call; its result is above. Now answer the "
                    f"question with what you found: {question}", True, 0.0)
                entry = replace(entry, kind="repeat")
                answer_only = True
            else:
                outcome = run_tool(tool, parsed.args, ctx,
                                   timeout=config.tool_timeout)
                for message in ctx.notices[notified:]:  # for the person, not the model
                    yield Notice(message, level="warning")
                notified = len(ctx.notices)
                observation, is_error, seconds = outcome.output, outcome.is_error, outcome.seconds
                refused, approval = outcome.refused, outcome.approval
                last_action = parsed
            yield Observation(tool_name, observation, is_error, seconds, approval)
        run.record.append(replace(entry, refused=refused, observation=observation,
                                  is_error=is_error, tool_s=round(seconds, 4)))
        if held_twice:
            answer = _answer_directly(backend, question, run, sampling, config, held_why)
            yield from _finish(run, started, FinalAnswer(answer, run.record))
            return
        run.steps.append(Step(raw=text, action=parsed if isinstance(parsed, Action) else None,
                              observation=_clip(observation, config.observation_chars)))
    yield _usage(run, started)
    raise StepLimitReached(
        f"stopped after {config.max_steps} steps without a final answer",
        partial_answer=_partial(run),
        steps=run.record,
    )


def _ungrounded(record: list[StepRecord], answer: str) -> str | None:
    """Why an answer must not stand as it is, or None.

    An answer after tool calls of which none worked rests on nothing but error text,
    and a small model then tends to hand that text back as the answer. Likewise an
    answer that repeats an error observation is not an answer.
    """
    # Calls made, not lamp's notes; a futile call held back was no try: after it the
    # model answers from what it knew, as it would have without tools.
    tried = [e for e in record
             if e.kind in ("action", "repeat", "held") and e.reason != _FUTILE]
    if tried and all(e.is_error for e in tried):
        return "every tool call failed"
    # Error observations, and the "error: ..." lines a working tool reports about a failed
    # program (the python tool's observation of a crash is not itself an error).
    errors = [e.observation for e in record if e.is_error] + [
        line for e in record for line in e.observation.splitlines() if line.startswith("error:")]
    if any(_echoes(answer, error) for error in errors):
        return "the answer repeated a tool error"
    return None


def _echoes(answer: str, error: str) -> bool:
    """Whether ``answer`` is, or quotes, the first line of an error observation."""
    answer, head = answer.strip(), error.strip().splitlines()[0].strip() if error.strip() else ""
    if len(head) < 8 or not answer:
        return False
    return head in answer or (len(answer) >= 8 and answer in head)


def _answer_directly(backend: Backend, question: str, run: _Run, sampling: Sampling,
                     config: AgentConfig, why: str, route: Route | None = None) -> str:
    """Answer the question the way plain ``lamp ask`` does, told which tools failed, so the
    reply is the model's own answer, or says what could not be done, never an error echo."""
    # A futile call did not fail: it would have shown the model its own text. Listing it
    # as a failure made the 0.5B answer with the note itself, or echo the question.
    # The first line of each error, made plain: an MCP server writes its own error text.
    failures = [f"- {e.tool or 'a step'}: {one_line(e.observation.strip().splitlines()[0])}"
                for e in run.record
                if e.is_error and e.observation.strip() and e.reason != _FUTILE]
    note = ("\n\n(Tools were tried for this and did not help:\n" + "\n".join(failures[-3:])
            + "\nAnswer without them. If the question needs something they could not "
            "give, say briefly what could not be done.)") if failures else ""
    messages = [Message("system", config.direct_system), Message("user", question + note)]
    text, usage = complete(backend, messages, sampling)
    run.prompt_tokens += usage.prompt_tokens
    run.completion_tokens += usage.completion_tokens
    answer = text.strip()
    run.record.append(StepRecord(
        step=len(run.record) + 1, kind="direct", raw=text, reason=why, answer=answer,
        first_token_s=round(usage.seconds_to_first_token, 4),
        model_s=round(usage.seconds_total, 4),
        route_s=None if route is None else round(route.seconds, 4),
        route_leans=() if route is None else route.leans))
    return answer


def _finish(run: _Run, started: float, final: FinalAnswer) -> Iterator[Event]:
    yield _usage(run, started)
    yield final


def _usage(run: _Run, started: float) -> Usage:
    total = time.perf_counter() - started
    return Usage(run.prompt_tokens, run.completion_tokens, total, total, "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " [... cut]"


def _partial(run: _Run) -> str:
    """The best we have: the last successful observation, with what produced it."""
    for entry in reversed(run.record):
        if entry.kind == "action" and not entry.is_error:
            call = json.dumps(entry.input, ensure_ascii=False)
            return f"{entry.observation}\n(from {entry.tool} {call})"
    return ""
