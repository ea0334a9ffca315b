"""Program-aided answers (``lamp pal``): the model writes programs, the sandbox runs them.

The sandbox policy is checked before anything else (``check_pal``): where it
finds no isolating layer, nothing is read and no model loads. The answer is
the computed value, or with ``explain`` the model's sentence around it; a run
that ends with no runnable program is an error (exit 1) after its record is in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lamp.agent.config.settings import pal_sample_count
from lamp.agent.errors import LampError
from lamp.agent.pal.doubt import DRAWS
from lamp.agent.pal.solve import pal_question, program_sampling, solve_in_sandbox
from lamp.agent.records import PalRecord

from .requests import PalRequest
from .result import Run, RunResult

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["answer_pal", "check_pal"]

WHAT = "PAL's model-written programs"


def check_pal(rt: Runtime) -> None:
    """Refuse now (exit 2) when the sandbox policy finds no isolating layer here."""
    rt.require_sandbox(WHAT)


def answer_pal(request: PalRequest, rt: Runtime) -> Run:
    check_pal(rt)
    text = pal_question(request.given.prompt, request.given.material)
    sandbox = rt.sandbox(timeout=request.timeout)
    backend = rt.model()
    sampling = program_sampling(rt.sampling(), rt.chosen)
    result = RunResult(model=backend.describe(), sampling=sampling.as_dict(),
                       notices=list(request.given.warnings), load_s=backend.load_seconds)
    count = (request.samples if request.samples is not None
             else pal_sample_count(rt.settings.pal_samples) or 0)
    events = solve_in_sandbox(backend, text, sandbox, sampling, explain=request.explain,
                              samples=count or 1, doubt_draws=0 if count else DRAWS,
                              restate=True)
    return Run(events, result, finish=_finish)


def _finish(result: RunResult) -> None:
    """The record of the programs into ``details``; the answer is the value, or the
    explanation around it; no value at all is an error."""
    record = result.final.steps[0] if result.final is not None and result.final.steps else None
    assert record is None or isinstance(record, PalRecord)
    explanation = result.text.strip() or None
    result.details = {**(record.to_dict() if record else {}), "explanation": explanation}
    if not result.answer:
        tries, failure = (record.attempt_count, record.failure) if record else (1, None)
        result.error = LampError(f"no runnable program after {tries} attempt(s) "
                                 f"({failure or 'no answer'})")
        return
    if explanation:
        result.answer = explanation
