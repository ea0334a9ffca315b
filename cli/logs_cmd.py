"""``lamp logs``: what lamp ran, from the run log (memory/runlog.py).

``lamp logs`` lists the newest runs, one line each; ``lamp logs show ID`` prints
one run whole, with its tool calls and who approved them, PAL's programs and
the shell commands ``lamp cmd`` ran; ``prune`` forgets old runs; ``path`` says
where the file is. Everything shown from the log was typed by someone or
written by a model, so it goes through ``lamp.agent.visible_text``: an escape
sequence in an old answer shows as ``\\x1b`` instead of acting on the terminal.
Times are shown in local time and stored in UTC; ``--json`` prints them as stored.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import errors
from .common import caller_of, echo

if TYPE_CHECKING:
    from lamp.agent.app.output import Caller, Output
    from lamp.memory.runlog import LogEvent, LogRun, RunLog

__all__ = ["app", "parse_when"]

app = typer.Typer(help="What lamp ran: every answer, tool call, PAL program and shell command "
                  "(see docs/logs.md).")

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time as the user writes it: ``3h``/``1d``/``2w`` ago, or a date or time
    (``2026-12-06``, ``2026-12-06T14:30``; local time unless it names a zone). ValueError
    with the reason when it is neither."""
    now = now or datetime.now(timezone.utc)
    spoken = _DURATION.match(text.strip().lower())
    if spoken:
        return now - timedelta(**{_UNITS[spoken.group(2)]: float(spoken.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is neither a time ago (30m, 3h, 1d, 2w) nor a date "
                         "(2026-12-06, 2026-12-06T14:30)") from None
    return moment if moment.tzinfo is not None else moment.astimezone()


def _log(caller: Caller) -> RunLog:
    from lamp.agent.app.runlog import log_path
    from lamp.agent.config.paths import Paths
    from lamp.memory.runlog import RunLog

    return RunLog(log_path(Paths(caller.env).data_dir()))


def _stamp(text: str | None, name: str, err: Any) -> str | None:
    if text is None:
        return None
    from lamp.agent.app.runlog import utc_stamp

    try:
        return utc_stamp(parse_when(text))
    except ValueError as exc:
        raise errors.usage_exit(f"{name}: {exc}", err) from None


@app.callback(invoke_without_command=True)
def logs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("-n", "--limit", min=1, help="How many runs.")] = 20,
    query: Annotated[str | None, typer.Option(
        "-q", "--query", help="Only runs whose request, answer or tool traffic holds all these "
        "words.", show_default=False)] = None,
    session: Annotated[str | None, typer.Option(
        "--session", "-s", help="Only this session's runs.", show_default=False)] = None,
    tool: Annotated[str | None, typer.Option(
        "--tool", help="Only runs that called this tool.", show_default=False)] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="Only runs since then: 30m, 3h, 1d, 2w ago, or a date "
        "(2026-12-06).", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Print one JSON object per line.")
                     ] = False,
) -> None:
    """List the newest runs, one line each (id, time, command, model, tokens, seconds, the
    request's start); `lamp logs show ID` prints one whole."""
    if ctx.invoked_subcommand is not None:
        return
    from lamp.memory.runlog import LogFilter

    caller = caller_of(ctx)
    output = caller.output
    if as_json and jsonl:
        raise errors.usage_exit("--json and --jsonl: choose one", output.stderr)
    which = LogFilter(text=query or "", session=session, tool=tool,
                      since=_stamp(since, "--since", output.stderr), limit=limit)
    log = _log(caller)
    try:
        runs = log.runs(which)
        if query and log.search_kind == "like":
            output.note("this SQLite has no FTS5 trigram search; searching with LIKE")
    finally:
        log.close()
    if as_json or jsonl:
        _print_json([r.to_dict() for r in runs], output, lines=jsonl)
        return
    if not runs:
        filtered = any((query, session, tool, since))
        output.note("no runs match" if filtered else _empty(caller, log.path))
        return
    # A terminal's width; a pipe gets longer lines (grep sees more of each request).
    width = (output.width or 100) if output.stdout_terminal else 160
    echo(output, *(_line(r, width) for r in runs))


@app.command()
def show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The run's id (first column of `lamp logs`).",
                                          show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Print one run whole: request, answer, model, sampling, usage, tool calls with their
    approvals, PAL programs, shell commands."""
    caller = caller_of(ctx)
    log = _log(caller)
    try:
        run = log.get(run_id)
    finally:
        log.close()
    if run is None:
        raise errors.usage_exit(f"no run {run_id} in the run log", caller.output.stderr)
    if as_json:
        _print_json(run.to_dict(), caller.output)
        return
    echo(caller.output, *_details(run))


@app.command()
def prune(
    ctx: typer.Context,
    older_than: Annotated[str, typer.Option(
        "--older-than", help="Forget runs older than this: 30d, 12h, 2w, or a date.",
        show_default=False)],
) -> None:
    """Forget old runs (their tool calls, programs and commands with them)."""
    from lamp.agent.app.runlog import utc_stamp

    caller = caller_of(ctx)
    stderr = caller.output.stderr
    try:
        before = parse_when(older_than)
    except ValueError as exc:
        raise errors.usage_exit(f"--older-than: {exc}", stderr) from None
    log = _log(caller)
    try:
        gone = log.prune(utc_stamp(before))
    finally:
        log.close()
    echo(caller.output, f"forgot {gone} run{'' if gone == 1 else 's'} started before "
         f"{_local(utc_stamp(before))}")


@app.command()
def path(ctx: typer.Context) -> None:
    """Print where the run log is kept."""
    caller = caller_of(ctx)
    echo(caller.output, str(_log(caller).path))


def _print_json(payload: Any, output: Output, *, lines: bool = False) -> None:
    from .render import print_json

    if not lines:
        print_json(payload, output.stdout)
        return
    for item in payload:
        print_json(item, output.stdout)


def _empty(caller: Caller, where: Path) -> str:
    """The friendly line for an empty log, saying when it is turned off."""
    from lamp.agent.config.settings import load_settings
    from lamp.agent.errors import LampError

    try:
        settings = load_settings(env=caller.env)
    except LampError:
        settings = None
    off = settings is not None and not settings.log
    return ("no runs logged yet" + (f" (the log is off: {settings.sources['log']})"
                                    if off and settings is not None else "")
            + f"; lamp records ask, pal, cmd and chat runs in {where}")


def _local(stamp: str) -> str:
    """A stored UTC time as local time, to the second."""
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, cells: int) -> str:
    """``text`` on one line, cut to ``cells`` terminal columns (wide characters count 2)."""
    from lamp.agent.visible_text import visible

    flat = visible(" ".join(text.split()))
    if _cells(flat) <= cells:
        return flat
    out, used = "", 0
    for char in flat:
        width = _cells(char)
        if used + width > cells - 1:
            break
        out, used = out + char, used + width
    return out + "…"


def _model_name(run: LogRun) -> str:
    return Path(run.model_file).name if run.model_file else "-"


def _line(run: LogRun, width: int) -> str:
    tokens = (f"{run.prompt_tokens or 0}+{run.completion_tokens or 0}"
              if run.prompt_tokens is not None or run.completion_tokens is not None else "-")
    seconds = f"{run.total_s:.1f}s" if run.total_s is not None else "-"
    what = run.command if run.mode == run.command else f"{run.command}/{run.mode}"
    status = f"[exit {run.exit_status}] " if run.exit_status not in (0, None) else ""
    head = (f"{run.id:>5}  {_local(run.started_at)[:16]}  {what:<10}  "
            f"{_fit(_model_name(run), 24):<24}  {tokens:>9}  {seconds:>6}  {status}")
    return head + _fit(run.request, max(width - _cells(head), 20))


def _block(label: str, text: str | None) -> list[str]:
    from lamp.agent.visible_text import visible_lines

    if not text:
        return [f"{label}: -"]
    return [f"{label}:", *(f"  │ {line}" for line in visible_lines(text))]


def _details(run: LogRun) -> list[str]:
    from lamp.agent.visible_text import visible

    def field(label: str, value: object) -> str:
        return f"{label:<10}{visible(str(value)) if value not in (None, '') else '-'}"

    usage = (f"{run.prompt_tokens} prompt + {run.completion_tokens} completion tokens; "
             f"first token {run.first_token_s} s; {run.tokens_per_s} tokens/s"
             if run.prompt_tokens is not None else None)
    sampling = " ".join(f"{k}={v}" for k, v in (run.sampling or {}).items()) or None
    lines = [
        f"run {run.id}  {_local(run.started_at)} ({run.started_at})",
        field("command", run.command if run.mode == run.command
              else f"{run.command} ({run.mode})"),
        field("session", run.session), field("cwd", run.cwd),
        field("model", run.model_file), field("sha256", run.model_sha256),
        field("sampling", sampling), field("usage", usage),
        field("seconds", run.total_s), field("exit", run.exit_status),
    ]
    if run.error:
        lines.append(field("error", run.error))
    lines += _block("request", run.request) + _block("answer", run.answer)
    if run.events:
        lines.append("events:")
        for n, event in enumerate(run.events, 1):
            lines += _event_lines(n, event)
    return lines


def _event_lines(n: int, event: LogEvent) -> list[str]:
    import json

    from lamp.agent.visible_text import visible, visible_lines

    facts = [f"approval: {event.approval or 'not run'}"]
    if event.value is not None:
        facts.append(f"value: {visible(event.value)}")
    if event.exit_status is not None:
        facts.append(f"exit {event.exit_status}")
    if event.seconds is not None:
        facts.append(f"{event.seconds} s")
    lines = [f"  {n}. {event.kind} {visible(event.name)}  ({'; '.join(facts)})"]
    args = event.arguments or {}
    shown = args.get("command") if event.kind == "shell_command" else \
        args.get("code") if event.kind == "pal_program" else \
        json.dumps(args, ensure_ascii=False, indent=2) if args else None
    label = {"shell_command": "command", "pal_program": "code"}.get(event.kind, "arguments")
    for title, text in ((label, shown), ("result", event.result)):
        if text:
            lines.append(f"     {title}:")
            lines += [f"       │ {line}" for line in visible_lines(str(text))]
    return lines
