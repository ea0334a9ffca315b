"""`lamp ask --each`: one answer line per input line, for scripts.

The loop is the agent's (lamp.agent.app.each); this module checks the flags
before any model loads, reads stdin, and writes exactly one stdout line per
input, in input order, so ``paste``, ``jq`` and ``while read`` can line
them up. What a line holds:

- plain text: the answer with ``\\`` ``\\n`` ``\\r`` escaped as backslash
  sequences (an answer of several lines stays one line); empty when it failed.
- ``--schema``: the validated document as compact JSON; ``null`` when it failed
  (never a partial document).
- ``--json``: an object with the line number, input, answer, error and usage.

A failed input also gets a ``lamp: error: line N: ...`` line on stderr; the run
goes on, and the exit status at the end is the first failed input's (see
README, Exit codes), after a one-line summary.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer

from lamp.agent.app.each import EachInput, EachResult
from lamp.agent.errors import InputError, UsageError
from lamp.agent.events import Notice
from lamp.agent.structured.output import OutputSchema
from lamp.agent.templates import PromptTemplate

from .errors import exit_code_for
from .render._base import jsonable
from .render.structured import timings_json, usage_json

if TYPE_CHECKING:
    from rich.console import Console

    from lamp.agent.app.output import Output
    from lamp.agent.app.runtime import Runtime

__all__ = ["EachFlags", "EachProgress", "escape_line", "run_each"]

_LISTED_FAILURES = 10  # line numbers named in the closing summary


@dataclass(frozen=True)
class EachFlags:
    """``--each``, ``--field`` and ``--parallel`` as given (``field``: stdin is JSON lines)."""

    each: bool = False
    field: str | None = None
    parallel: int | None = None

    @property
    def given(self) -> bool:
        return self.each or self.field is not None or self.parallel is not None

    def check(self, *, tools: str | None, session: str | None, continue_last: bool,
              jsonl: bool, backend: str) -> None:
        """Every flag conflict, before stdin is read or a model loads (exit 2)."""
        if not self.each:
            raise UsageError(f"{'--field' if self.field is not None else '--parallel'} "
                             "needs --each")
        if tools is not None:
            raise UsageError("--each cannot be combined with --tools")
        if session is not None or continue_last:
            raise UsageError("--each answers every input on its own, without a session: "
                             "drop --session / --continue")
        if jsonl:
            raise UsageError("--jsonl cannot be combined with --each (each input's answer "
                             "is one line already)")
        if self.field is not None and not self.field.strip():
            raise UsageError("--field needs the name of the JSON field that holds the input")
        if self.parallel is not None and self.parallel > 1 and backend != "openai":
            raise UsageError("--parallel needs a model server (--backend openai --base-url "
                             "...): the in-process model answers one input at a time")


def escape_line(text: str) -> str:
    """An answer as one line: backslash, newline and carriage return become ``\\\\``,
    ``\\n``, ``\\r`` (what ``printf '%b'`` or Python's ``unicode_escape`` undo)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


class EachProgress:
    """A bar on a terminal's stderr: inputs done of all, and the time left."""

    def __init__(self, console: Console, total: int) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        # Lines printed while the bar shows pass through its console when stdout is the
        # same terminal; into a file or pipe they go straight, never into the bar's stream.
        self._progress = Progress(
            TextColumn("answering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TimeRemainingColumn(), console=console, transient=True,
            redirect_stdout=False, redirect_stderr=False)
        self._task = self._progress.add_task("answering", total=total)

    def __enter__(self) -> EachProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def write(self, line: str) -> None:
        """A line for a stdout that is the bar's own terminal: printed above the bar."""
        self._progress.console.out(line, highlight=False)

    def advance(self) -> None:
        self._progress.advance(self._task)


def run_each(rt: Runtime, flags: EachFlags, *, prompt: str | None,
             template: PromptTemplate | None, output: OutputSchema | None, json_out: bool,
             quiet: bool, truncate: bool, progress_console: Console | None = None) -> None:
    """Answer every stdin line; raises ``typer.Exit`` with the first failure's code.

    ``progress_console``: where the bar draws (None: stderr, only when it is a terminal
    and not ``--quiet``)."""
    from lamp.agent.app.each import answer_many
    from lamp.agent.app.requests import EachRequest

    from .inputs import read_given

    given = read_given(rt, prompt, need_text=False)
    if given.material is None:
        raise InputError("--each reads its inputs from stdin, one per line, and none came "
                         "(stdin is empty or blank)")
    out = rt.output
    run = answer_many(EachRequest(prompt=given.prompt, material=given.material,
                                  field=flags.field, template=template, truncate=truncate,
                                  schema=output, parallel=flags.parallel or 1), rt)
    if progress_console is None and out.stderr_terminal and not quiet:
        from .render.terminal import console_for

        progress_console = console_for(out, stderr=True)
    failed: list[EachResult] = []
    bar = EachProgress(progress_console, len(run.inputs)) if progress_console is not None \
        else None
    with bar if bar is not None else nullcontext() as progress:
        for event in run.results:
            if isinstance(event, Notice):
                if event.level == "warning" and not quiet:
                    out.warn(event.message)
                elif event.level != "warning" and rt.verbose:
                    out.note(event.message)
                continue
            _report(event, out, quiet=quiet)
            line = _line(event, json_out=json_out, schema=output is not None)
            if progress is not None and out.stdout_terminal:
                progress.write(line)  # the same terminal: above the bar, not through it
            else:
                out.write(line + "\n")
            if not event.ok:
                failed.append(event)
            if progress is not None:
                progress.advance()
    if failed:
        named = ", ".join(str(r.input.line) for r in failed[:_LISTED_FAILURES])
        more = f" and {len(failed) - _LISTED_FAILURES} more" if len(failed) > _LISTED_FAILURES \
            else ""
        word = "line" if len(failed) == 1 else "lines"
        out.error(f"{len(failed)} of {len(run.inputs)} inputs failed ({word} {named}{more})")
        assert failed[0].error is not None
        raise typer.Exit(exit_code_for(failed[0].error))


def _report(result: EachResult, out: Output, *, quiet: bool) -> None:
    where = f"line {result.input.line}"
    if not quiet:
        for notice in result.notices:
            out.warn(f"{where}: {notice}")
    if result.error is not None:
        first = str(result.error).strip().splitlines()
        out.error(f"{where}: {first[0] if first else type(result.error).__name__}")


def _line(result: EachResult, *, json_out: bool, schema: bool) -> str:
    if json_out:
        return _json_text(_json_record(result.input, result))
    if schema:
        return _json_text(result.answer if result.ok else None)
    return escape_line(result.answer) if result.ok else ""


def _json_record(item: EachInput, result: EachResult) -> dict[str, Any]:
    """One input's line: lamp's usage and timings keys, as in every --json object."""
    return {
        "line": item.line,
        "input": item.text if item.error is None else None,
        "answer": result.answer,
        "error": (str(result.error).strip().splitlines() or [""])[0]
        if result.error is not None else None,
        "usage": usage_json(result.usage),
        "timings": timings_json(result.usage, load_s=None, total_s=result.seconds),
        "warnings": list(result.notices),
    }


def _json_text(payload: Any) -> str:
    return json.dumps(payload, ensure_ascii=False, default=jsonable)
