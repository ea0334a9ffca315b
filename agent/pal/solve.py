"""PAL: the model writes a program, the sandbox runs it, the program's value is the answer.

Small models slip on arithmetic far more than on setting a problem up, so we
ask for code instead of a number. The code never runs in lamp's process: it
goes to an executor (the sandbox) that returns what the program printed. A
failing program gets exactly one retry with its error shown to the model. A
program that runs but looks wrong in a way visible without a model (a negative
count; a number the question gives left out, see pal_numbers.py) gets one
re-ask of the problem, and at most one such check happens per question. An
answer still in doubt after that (agent/pal/doubt.py) is put to a vote of a few
sampled programs; a Korean problem is restated in English first
(agent/pal/restate.py). The prompt (instructions, worked examples, the harness)
is in prompt.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Generator, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..events import CodeRun, Event, FinalAnswer, Notice, TextDelta
from ..framing import neutralize
from ..models import Backend, Message, Sampling, TokenChance, complete_reply
from ..records import PalAttemptRecord, PalRecord
from ..sampling import greedy_unless_set
from .doubt import as_number, doubts, least_sure_arithmetic
from .numbers import unused_numbers
from .percent import percent_for_proportion
from .prompt import HARNESS, MARKER, pal_messages, pal_question
from .restate import mostly_korean, restated_question
from .restate import restate as restate_in_english

__all__ = ["HARNESS", "PalOutcome", "extract_code", "format_value", "implausibly_negative",
           "pal_messages", "pal_question", "program_sampling", "solve", "solve_in_sandbox",
           "vote_key"]


class RunResult(Protocol):
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    seconds: float
    layers: tuple[str, ...]


Executor = Callable[[str], RunResult]


@dataclass
class Attempt:
    code: str
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    seconds: float
    value: str | None
    program: int = 1  # which reply of the model this came from, counting from 1
    least_sure: TokenChance | None = None  # where the model reported token chances

    @property
    def failure(self) -> str | None:
        if self.value is not None:
            return None
        return ("timeout" if self.timed_out else
                "exception" if self.exit_code != 0 else "no value")


@dataclass
class PalOutcome:
    question: str
    value: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    layers: tuple[str, ...] = ()
    failure: str | None = None  # "no code" | "exception" | "timeout" | "no value"
    model_seconds: float = 0.0
    sandbox_seconds: float = 0.0
    retries: int = 0
    programs: int = 0  # replies asked of the model: samples drawn plus any retry
    votes: dict[str, int] = field(default_factory=dict)
    chosen: int | None = None  # index in attempts of the program whose value won
    doubts: list[str] = field(default_factory=list)  # why more programs were drawn
    value_before_doubt: str | None = None  # the answer those programs were drawn against
    doubt_seconds: float = 0.0  # what drawing them took
    restated: str | None = None  # the English restatement the programs were written for
    looked_at: str | None = None  # what the second look doubted, if it was taken
    value_note: str | None = None  # how ``value`` differs from the chosen program's, if it does

    @property
    def code(self) -> str:
        return _chosen_or_last(self).code if self.attempts else ""


_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.S | re.I)


def extract_code(reply: str) -> str:
    """The program in a reply: the first fenced block, else the text from `def solution`."""
    for block in _FENCE.findall(reply):
        if block.strip():
            return block.strip("\n")
    start = reply.find("def solution")
    if start >= 0:
        return reply[start:].strip()
    stripped = reply.strip()
    looks_like_code = any(k in stripped for k in ("return ", "print(", " = ", "import "))
    return stripped if looks_like_code else ""


def format_value(stdout: str) -> tuple[str, str | None]:
    """Split the program's own output from the value the harness printed."""
    own, value = [], None
    for line in stdout.split("\n"):
        if line.startswith(MARKER):
            value = line[len(MARKER):].strip()
        else:
            own.append(line)
    printed = "\n".join(own).strip()
    if value in (None, "None"):
        # No returned value: a program that printed its answer still answered.
        value = printed.splitlines()[-1].strip() if printed else None
    return printed, value


SAMPLE_TEMPERATURE = 0.7


def program_sampling(sampling: Sampling, chosen: Collection[str] = ()) -> Sampling:
    """Programs are decoded greedily and without a repeat penalty (code repeats names by
    nature; penalising that makes programs worse), unless the user chose those settings."""
    sampling = greedy_unless_set(sampling, chosen)
    if "repeat_penalty" not in chosen:
        sampling = replace(sampling, repeat_penalty=1.0)
    return sampling


def solve_in_sandbox(backend: Backend, question: str, sandbox: Any, sampling: Sampling, *,
                     explain: bool = False, samples: int = 1,
                     doubt_draws: int = 0, restate: bool = False) -> Iterator[Event]:
    """``solve`` with every program run in ``sandbox`` (a ``lamp.agent.sandbox.Sandbox``).

    What the sandbox says about this machine (a layer it lacks) is for the person, not
    the model: it comes as a warning ``Notice`` just before the ``CodeRun`` it concerns.
    """
    heard: list[str] = []

    def execute(code: str) -> RunResult:
        result = sandbox.run(code)
        heard.extend(result.warnings)
        return result

    for event in solve(backend, question, execute, sampling, explain=explain, samples=samples,
                       doubt_draws=doubt_draws, restate=restate):
        if isinstance(event, CodeRun):
            yield from (Notice(message, level="warning") for message in heard)
            heard.clear()
        yield event


def solve(
    backend: Backend,
    question: str,
    execute: Executor,
    sampling: Sampling,
    *,
    explain: bool = False,
    samples: int = 1,
    doubt_draws: int = 0,
    restate: bool = False,
) -> Iterator[Event]:
    """Yield CodeRun events for each program, then the answer (or a Notice on failure).

    With ``samples > 1`` the model writes up to that many programs (the first with the
    caller's sampling, the rest sampled) and the value most of them compute wins, ties
    going to the earliest: self-consistency, which the PAL paper found worth several
    points. Drawing stops once the leader cannot be caught. A failed program is retried
    once, with its error shown, only when no program produced a value.

    With one program and ``doubt_draws > 0`` (``lamp pal``'s default), up to that many
    sampled programs are drawn and voted with the first answer only when that answer is
    in doubt (agent/pal/doubt.py). With ``restate``, a problem written mostly in Korean
    is restated in English first and the programs are written for that, with the
    original beside it (agent/pal/restate.py). The final ``FinalAnswer.steps`` holds one
    ``PalRecord`` of how the answer was made.
    """
    outcome = PalOutcome(question=question)
    if restate and mostly_korean(question):
        question = yield from _restated(backend, question, sampling, outcome)
    messages = pal_messages(question)
    if backend.capabilities.warm_prefix:  # instructions and examples are the same every time
        yield Notice(f"prefix cache: {backend.warm_prefix(messages[:-1])}", level="debug")
    code_sampling = replace(sampling, stop=(*sampling.stop, "\n```\n"))
    samples = max(1, samples)
    ballot = _Ballot()
    failed: Attempt | None = None  # the failure to retry, then to report
    # The greedy program's token chances feed the doubt (agent/pal/doubt.py).
    weigh = samples == 1 and doubt_draws > 0 and backend.capabilities.token_chances
    for index in range(samples):
        nth = _nth_sampling(code_sampling, index)
        attempt = yield from _program(backend, messages,
                                      replace(nth, token_chances=True) if weigh else nth,
                                      execute, outcome)
        if attempt is not None and attempt.value is not None:
            ballot.add(attempt.value, len(outcome.attempts) - 1)
        elif attempt is not None and failed is None:
            failed = attempt
        if ballot.settled(remaining=samples - index - 1):
            if index + 1 < samples:
                yield Notice(f"decided after {index + 1} programs", level="debug")
            break
    if not ballot and failed is not None:
        yield Notice(f"program failed ({failed.failure}); retrying once", level="info")
        outcome.retries = 1
        retry = [*messages, Message("assistant", f"```python\n{failed.code}\n```"),
                 Message("user", f"Running your program, {_problem(failed)}\n"
                                 "Fix the program. Reply with the corrected ```python code "
                                 "block only.")]
        attempt = yield from _program(backend, retry, code_sampling, execute, outcome)
        if attempt is not None and attempt.value is not None:
            ballot.add(attempt.value, len(outcome.attempts) - 1)
        failed = attempt or failed
    retried = bool(outcome.retries)
    if ballot and samples == 1 and not outcome.retries:
        ballot = yield from _second_look(backend, question, ballot, code_sampling, execute,
                                         outcome)
    if samples == 1 and doubt_draws > 0:
        before = outcome.attempts[ballot.winner()].value if ballot else None
        greedy = outcome.attempts[0] if outcome.attempts else None
        reasons = doubts(question, before, retried=retried, second_look=outcome.looked_at,
                         unsure=greedy.least_sure if greedy is not None else None)
        if reasons:
            outcome.doubts, outcome.value_before_doubt = reasons, before
            yield Notice(f"{'; '.join(reasons)}: drawing up to {doubt_draws} more programs",
                         level="info")
            started = time.perf_counter()
            yield from _draw_more(backend, messages, code_sampling, execute, outcome, ballot,
                                  doubt_draws)
            outcome.doubt_seconds = time.perf_counter() - started
    if ballot:
        outcome.chosen = ballot.winner()
        chosen = outcome.attempts[outcome.chosen]
        outcome.value = chosen.value
        outcome.votes = ballot.counts(outcome.attempts)
        percent = percent_for_proportion(question, chosen.code, chosen.value)
        if percent is not None:
            yield Notice(f"the program returned the proportion {chosen.value} for a "
                         f"percentage: answering {percent}", level="info")
            outcome.value = percent
            outcome.value_note = f"the program's proportion {chosen.value}, in percent"
    else:
        outcome.failure = failed.failure if failed is not None else "no code"
    if outcome.value is not None and explain:
        yield from _explain(backend, question, outcome.value, sampling)
    yield FinalAnswer(text=outcome.value or "", steps=[_record(outcome)])


def _restated(backend: Backend, question: str, sampling: Sampling,
              outcome: PalOutcome) -> Generator[Event, None, str]:
    """The problem the programs are written for: the English restatement with the
    original, when the restatement kept every number; else the original."""
    restatement = restate_in_english(backend, question, sampling)
    outcome.model_seconds += restatement.seconds
    if not restatement.kept_numbers:
        yield Notice("the English restatement lost "
                     f"{_listed(list(restatement.missing)) or 'its text'}; writing the "
                     "program for the Korean problem", level="info")
        return question
    outcome.restated = restatement.text
    yield Notice(f"restated in English: {restatement.text}", level="info")
    return restated_question(question, restatement)


def _draw_more(backend: Backend, messages: list[Message], sampling: Sampling,
               execute: Executor, outcome: PalOutcome, ballot: _Ballot,
               draws: int) -> Iterator[Event]:
    """Sampled programs for a doubted answer, voted with it into ``ballot``, until the
    leader cannot be caught (two programs agreeing with the first answer end it)."""
    for index in range(1, draws + 1):
        attempt = yield from _program(backend, messages, _nth_sampling(sampling, index),
                                      execute, outcome)
        if attempt is not None and attempt.value is not None:
            ballot.add(attempt.value, len(outcome.attempts) - 1)
        if ballot and ballot.settled(remaining=draws - index):
            break


def _second_look(backend: Backend, question: str, ballot: _Ballot, sampling: Sampling,
                 execute: Executor, outcome: PalOutcome) -> Generator[Event, None, _Ballot]:
    """One re-ask of the problem when the greedy program's value looks wrong in a way that
    needs no model to see: negative where the question suggests nothing can be, or
    computed without a number the question gives. The re-asked program's value replaces
    the first only when it clears what was doubted. Feedback on the program is not shown:
    the examples teach the model to quote the user's words in comments, and it quotes
    (and repeats) feedback instead of re-reading the problem, so the problem is asked
    again with a note on what the answer needs. What was doubted goes into
    ``outcome.looked_at``."""
    first = outcome.attempts[ballot.winner()]
    negative = implausibly_negative(first.value, question)
    unused = [] if negative else unused_numbers(question, first.code)
    if negative:
        yield Notice(f"the program's value {first.value} is negative, which the question "
                     "does not suggest; asking once for a check", level="info")
        note = NOT_NEGATIVE
        outcome.looked_at = f"the value {first.value} was negative"
    elif unused:
        yield Notice(f"the program never uses {_listed(unused)} from the question; asking "
                     "once for a check", level="info")
        note = _every_number_note(unused)
        outcome.looked_at = f"the program left out {_listed(unused)}"
    else:
        return ballot
    outcome.retries = 1
    check = pal_messages(f"{question.strip()}\n\n{note}")
    attempt = yield from _program(backend, check, sampling, execute, outcome)
    if attempt is None or attempt.value is None:
        return ballot
    cleared = (not _is_negative(attempt.value) if negative
               else _covers_more(attempt, question, len(unused)))
    if not cleared:
        return ballot
    fresh = _Ballot()
    fresh.add(attempt.value, len(outcome.attempts) - 1)
    return fresh


def _nth_sampling(sampling: Sampling, index: int) -> Sampling:
    """The first program uses the caller's settings; later ones must differ to be worth it."""
    if index == 0:
        return sampling
    seed = None if sampling.seed is None or sampling.seed < 0 else sampling.seed + index
    return replace(sampling, temperature=sampling.temperature or SAMPLE_TEMPERATURE, seed=seed)


def _program(backend: Backend, messages: list[Message], sampling: Sampling,
             execute: Executor, outcome: PalOutcome) -> Generator[Event, None, Attempt | None]:
    """Ask for one program and run it; None when the reply held no code."""
    whole = complete_reply(backend, messages, sampling)
    reply, usage = whole.text, whole.usage
    outcome.programs += 1
    outcome.model_seconds += usage.seconds_total
    yield usage
    code = extract_code(reply)
    if not code:
        return None
    result = execute(code + HARNESS)
    outcome.sandbox_seconds += result.seconds
    outcome.layers = tuple(result.layers)
    printed, value = format_value(result.stdout)
    attempt = Attempt(code, printed, result.stderr, result.exit_code, result.timed_out,
                      result.seconds, value if result.exit_code == 0 else None,
                      program=outcome.programs,
                      least_sure=least_sure_arithmetic(whole.token_chances))
    outcome.attempts.append(attempt)
    yield CodeRun(code=code, stdout=printed, stderr=result.stderr,
                  exit_code=result.exit_code, seconds=result.seconds)
    return attempt


NOT_NEGATIVE = "(The answer is zero or more.)"

# Words under which a negative answer makes sense (temperatures, losses, debts, balances).
_SIGNED = re.compile(
    r"temperat|degree|below|negative|minus|loss|lose money|lost money|debt|owe|deficit|"
    r"overdrawn|balance|profit|net change|elevation|sea level|영하|온도|기온|손실|손해|빚|"
    r"부채|적자|마이너스|음수|잔액|순이익|해수면", re.I)


def _is_negative(value: str) -> bool:
    number = as_number(value)
    return number is not None and number < 0


def implausibly_negative(value: str | None, question: str) -> bool:
    """A negative value for a question that speaks of no quantity that can go below zero:
    usually a subtraction the wrong way round, worth one check by the model."""
    return value is not None and _is_negative(value) and not _SIGNED.search(question)


def _listed(texts: list[str]) -> str:
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def _every_number_note(unused: list[str]) -> str:
    return f"(Every number given matters, including {_listed(unused)}.)"


def _covers_more(attempt: Attempt, question: str, unused_before: int) -> bool:
    """Whether the re-asked program replaces the first (whose value was not in doubt as
    negative): it leaves out fewer of the question's numbers and is not negative where
    that makes no sense."""
    return (len(unused_numbers(question, attempt.code)) < unused_before
            and not implausibly_negative(attempt.value, question))


def _problem(attempt: Attempt) -> str:
    if attempt.timed_out:
        return "it ran past the time limit"
    if attempt.exit_code == 0:
        return "it printed and returned nothing"
    return f"it failed with:\n{neutralize(_tail(attempt.stderr))}"  # the program's own text


def vote_key(value: str) -> str:
    """Values that mean the same number vote together: "1,200", "1200.0" and "1200"."""
    text = value.strip()
    number = as_number(text)
    if number is None:
        return text.casefold()
    return format(number, ".9g") if number == number else text


class _Ballot:
    """Votes by value; remembers where each value first appeared, to break ties."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}
        self._count: dict[str, int] = {}

    def __bool__(self) -> bool:
        return bool(self._count)

    def add(self, value: str, attempt_index: int) -> None:
        key = vote_key(value)
        self._first.setdefault(key, attempt_index)
        self._count[key] = self._count.get(key, 0) + 1

    def settled(self, remaining: int) -> bool:
        """True when no outcome of the remaining programs could change the winner."""
        ranked = [*sorted(self._count.values(), reverse=True), 0, 0]
        return ranked[0] - ranked[1] > remaining

    def winner(self) -> int:
        key = max(self._count, key=lambda k: (self._count[k], -self._first[k]))
        return self._first[key]

    def counts(self, attempts: list[Attempt]) -> dict[str, int]:
        return {str(attempts[self._first[k]].value): n for k, n in self._count.items()}


def _explain(backend: Backend, question: str, value: str, sampling: Sampling) -> Iterator[Event]:
    messages = [
        Message("system", "You state answers to word problems in one clear sentence."),
        Message("user", f"Problem: {question}\nA program computed the answer: {value}\n"
                        "Write one sentence that answers the problem using exactly this value."),
    ]
    for chunk in backend.stream_chat(messages, replace(sampling, max_tokens=80)):
        if chunk.text:
            yield TextDelta(chunk.text)


def _tail(stderr: str, limit: int = 800) -> str:
    text = stderr.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def _chosen_or_last(outcome: PalOutcome) -> Attempt:
    return outcome.attempts[-1 if outcome.chosen is None else outcome.chosen]


def _record(outcome: PalOutcome) -> PalRecord:
    """The published, frozen account of ``outcome`` (``FinalAnswer.steps[0]``)."""
    return PalRecord(
        question=outcome.question,
        value=outcome.value,
        code=outcome.code,
        stdout=_chosen_or_last(outcome).stdout if outcome.attempts else "",
        retries=outcome.retries,
        failure=outcome.failure,
        programs=outcome.programs,
        votes=dict(outcome.votes),
        sandbox_layers=tuple(outcome.layers),
        attempts=tuple(
            PalAttemptRecord(program=a.program, code=a.code, value=a.value, stdout=a.stdout,
                             stderr=_tail(a.stderr), exit_code=a.exit_code,
                             timed_out=a.timed_out, seconds=round(a.seconds, 4),
                             least_sure=(round(a.least_sure.chance, 4)
                                         if a.least_sure is not None else None))
            for a in outcome.attempts),
        model_s=round(outcome.model_seconds, 4),
        sandbox_s=round(outcome.sandbox_seconds, 4),
        value_note=outcome.value_note,
        doubts=tuple(outcome.doubts),
        value_before_doubt=outcome.value_before_doubt,
        doubt_s=round(outcome.doubt_seconds, 4),
        restated=outcome.restated,
    )
