"""`lamp pal`: the model writes a program, the sandbox computes the answer."""

from __future__ import annotations

from typing import Annotated

import typer

from lamp.agent.config.settings import MAX_PAL_SAMPLES

from . import options
from .common import with_model_options
from .runtime import Runtime

__all__ = ["pal"]


@with_model_options
def pal(
    question: Annotated[str | None, typer.Argument(help="The word problem (or pipe it on stdin).",
                                                   show_default=False)] = None,
    show_code: Annotated[bool, typer.Option("--show-code", help="Print the program too.")] = False,
    explain: Annotated[bool, typer.Option("--explain",
                                          help="Let the model phrase a sentence around the "
                                          "computed value.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    sandbox_policy: options.SandboxFlag = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds the program may run.")] = 10,
    samples: Annotated[int | None, typer.Option(
        "--samples", min=1, max=MAX_PAL_SAMPLES, show_default=False,
        help="Programs to draw; the value most of them compute wins (self-consistency). "
        "Slower, usually more accurate; 5 measured best here. [default: pal_samples "
        "setting, 1]")] = None,
    *,
    rt: Runtime,
) -> None:
    """Program-aided answer: the model writes Python, a sandbox runs it, its value is the answer.

    Exit 0 with the answer; 1 when no runnable program came out after one retry; 2 when
    the sandbox policy finds no isolating layer here (checked first: no model loads).
    """
    from lamp.agent.errors import LampError
    from lamp.agent.pal.solve import pal_question, program_sampling, solve_in_sandbox
    from lamp.agent.records import PalRecord

    from .inputs import read_user_input
    from .render import JsonRenderer, PlainRenderer, Renderer, warn

    settings = rt.settings
    rt.sandbox_flag = sandbox_policy
    rt.require_sandbox("PAL's model-written programs")  # fail fast: before input and model
    given = read_user_input(question)
    for message in given.warnings:
        warn(message)
    text = pal_question(given.prompt, given.material)
    sandbox = rt.sandbox(timeout=timeout)
    backend = rt.model(quiet=json_out)
    sampling = program_sampling(rt.sampling(), rt.chosen)
    # Plain text even on a terminal: the answer is a value (or one sentence around it).
    renderer: Renderer = (JsonRenderer(verbose=rt.verbose, said=rt.said) if json_out else
                          PlainRenderer(verbose=rt.verbose, stream=False, show_code=show_code,
                                        said=rt.said))
    result = renderer.render(solve_in_sandbox(backend, text, sandbox, sampling, explain=explain,
                                              samples=samples or settings.pal_samples))
    record = result.final.steps[0] if result.final else None
    assert record is None or isinstance(record, PalRecord)
    if json_out:
        renderer.emit({**(record.to_dict() if record else {}),
                       "explanation": result.text.strip() or None, "warnings": result.notices})
    if not result.answer:
        tries, failure = (record.attempt_count, record.failure) if record else (1, None)
        raise LampError(f"no runnable program after {tries} attempt(s) "
                        f"({failure or 'no answer'})")
    # With --explain the model's sentence is the answer; without, the computed value.
    renderer.finish(result.text.strip() if result.text else result.answer)
