"""`lamp pal`: the model writes a program, the sandbox computes the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from lamp.agent.config.settings import MAX_PAL_SAMPLES, pal_sample_count
from lamp.agent.errors import UsageError
from lamp.agent.pal.doubt import DRAWS

from . import options
from .common import with_model_options

if TYPE_CHECKING:
    from lamp.agent.app.runtime import Runtime

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
    samples: Annotated[str | None, typer.Option(
        "--samples", metavar="auto|N", show_default=False,
        help="Programs to draw; the value most of them compute wins (self-consistency). "
        f"auto: one greedy program, up to {DRAWS} more when its answer is in doubt; N "
        f"(1 to {MAX_PAL_SAMPLES}): always up to N. [default: pal_samples setting, "
        "auto]")] = None,
    *,
    rt: Runtime,
) -> None:
    """Program-aided answer: the model writes Python, a sandbox runs it, its value is the answer.

    Exit 0 with the answer; 1 when no runnable program came out after one retry; 2 when
    the sandbox policy finds no isolating layer here (checked first: no model loads).
    """
    from lamp.agent.app.pal import check_pal
    from lamp.agent.app.requests import PalRequest
    from lamp.agent.app.run import answer

    from .inputs import read_given
    from .show import show_pal

    count = None if samples is None else pal_sample_count(samples)
    if samples is not None and count is None:
        raise UsageError(f"--samples must be auto or a number from 1 to {MAX_PAL_SAMPLES}, "
                         f"got {samples!r}")
    rt.sandbox_flag = sandbox_policy
    rt.quiet = json_out
    check_pal(rt)  # fail fast: before input and model
    request = PalRequest(read_given(rt, question), timeout=timeout, samples=count,
                         explain=explain)
    show_pal(answer(request, rt), rt, json_out=json_out, show_code=show_code)
