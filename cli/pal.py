"""`lamp pal`: the model writes a program, the sandbox computes the answer."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from .common import with_model_options
from .config import MAX_PAL_SAMPLES
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
    sandbox_policy: Annotated[str, typer.Option(
        "--sandbox", help="auto: strict where Landlock+seccomp work; strict: refuse otherwise; "
        "best: run with whatever layers exist.")] = "auto",
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

    Exit 0 with the answer; 1 when no runnable program came out after one retry.
    """
    from lamp.agent.errors import LampError
    from lamp.agent.events import CodeRun, FinalAnswer, Notice, TextDelta
    from lamp.agent.pal import pal_question, program_sampling, solve_in_sandbox

    from .inputs import read_user_input
    from .render import warn, warn_once

    settings = rt.settings
    verbose = rt.verbose
    given = read_user_input(question)
    for message in given.warnings:
        warn(message)
    text = pal_question(given.prompt, given.material)
    sandbox = rt.sandbox(sandbox_policy, timeout)
    backend = rt.model(quiet=json_out)
    sampling = program_sampling(rt.sampling(), rt.chosen)
    sandbox_warnings: list[str] = []

    final: FinalAnswer | None = None
    explanation: list[str] = []
    for event in solve_in_sandbox(backend, text, sandbox, sampling, explain=explain,
                                  samples=samples or settings.pal_samples):
        if isinstance(event, Notice) and event.level == "warning":  # about this machine
            if event.message not in sandbox_warnings:
                sandbox_warnings.append(event.message)
            warn_once(event.message)
        elif isinstance(event, CodeRun) and show_code and not json_out:
            sys.stderr.write(f"--- program ({'ok' if event.exit_code == 0 else 'failed'}) ---\n"
                             f"{event.code}\n")
            if event.stdout:
                sys.stderr.write(f"--- output ---\n{event.stdout}\n")
            if event.exit_code != 0:
                sys.stderr.write(f"--- error ---\n{event.stderr.strip()[-800:]}\n")
        elif isinstance(event, Notice) and verbose:
            warn(event.message)
        elif isinstance(event, TextDelta):
            explanation.append(event.text)
        elif isinstance(event, FinalAnswer):
            final = event
    outcome = final.steps[0] if final else {}
    if json_out:
        outcome = {**outcome, "explanation": "".join(explanation).strip() or None,
                   "warnings": sandbox_warnings}
        typer.echo(json.dumps(outcome, ensure_ascii=False))
    if not final or not final.text:
        raise LampError(f"no runnable program after {1 + outcome.get('retries', 0)} attempt(s) "
                        f"({outcome.get('failure') or 'no answer'})")
    if not json_out:
        typer.echo("".join(explanation).strip() if explain and explanation else final.text)
