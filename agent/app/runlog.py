"""What each run becomes in the run log (memory/runlog.py), recorded in one place.

A command line's Runtime holds one ``RunRecorder`` (``rt.log``; None when the
log is off: ``--no-log``, ``log = false``, ``LAMP_LOG=0``, or a program that did
not ask for one). ``answer`` hands it every run it starts (``track``), ``--each``
every input's result, ``lamp cmd`` what it proposed and every command it ran.
Nothing is written while the answer streams: when the command ends, the Runtime
closes and the recorder builds one row per run from its ``RunResult`` (the same
fold the renderers read) and writes them all in one transaction, then closes the
file. Chat, which lives for many turns, writes each turn as it ends
(``record_run``). The log is a record, not a dependency: a log that cannot be
written costs one warning, never the answer.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .requests import DocsRequest, PalRequest, SchemaRequest, ToolsRequest

if TYPE_CHECKING:
    from lamp.agent.events import Notice
    from lamp.agent.shell.drafter import CommandDrafter, ShellTarget
    from lamp.memory.runlog import LogEvent, LogRun

    from .each import EachResult
    from .requests import EachRequest, Request
    from .result import Run, RunResult
    from .runtime import Runtime

__all__ = ["RunRecorder", "ShellLog", "log_path", "model_identity", "record_each", "record_run",
           "shell_log", "utc_stamp"]

ShellRunner = Callable[[str, "ShellTarget", Path], int]
"""Runs a command line in a shell in a directory; its exit status (cli/shell_env.py)."""


def log_path(data_dir: Path) -> Path:
    """The log file in lamp's data directory, beside the memory store's folder."""
    from lamp.memory.runlog import LOG_NAME

    return data_dir / LOG_NAME


def utc_stamp(at: datetime | None = None) -> str:
    """``at`` (default: now) as the log writes times: UTC, ISO 8601, milliseconds, ``Z``;
    these strings sort as the times do."""
    moment = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def mode_of(request: Request) -> str:
    if isinstance(request, ToolsRequest):
        return "tools"
    if isinstance(request, PalRequest):
        return "pal"
    if isinstance(request, DocsRequest):
        return "docs"
    if isinstance(request, SchemaRequest):
        return "schema"
    return "ask"


def _request_text(prompt: str, material: str | None) -> str:
    return "\n\n".join(part for part in (prompt, material or "") if part)


@dataclass
class _Tracked:
    run: Run
    mode: str
    request: str
    started_at: str


@dataclass
class ShellLog:
    """``lamp cmd``'s run: the request, the command proposed, and each command that ran,
    with who let it run and its exit status. ``runner`` wraps the runner lamp uses."""

    request: str
    started_at: str
    model: dict[str, Any]
    sampling: dict[str, Any] | None
    started: float = field(default_factory=time.perf_counter)
    proposal: str = ""
    ran: list[LogEvent] = field(default_factory=list)

    def proposed(self, command: str) -> None:
        self.proposal = command

    def runner(self, run: ShellRunner, approval: str) -> ShellRunner:
        """``run``, recording each command it runs (``approval``: who let it run)."""
        def recorded(command: str, target: ShellTarget, cwd: Path) -> int:
            from lamp.memory.runlog import LogEvent

            began = time.perf_counter()
            status: int | None = None
            try:
                status = run(command, target, cwd)
                return status
            finally:
                self.proposal = command
                self.ran.append(LogEvent("shell_command", target.shell,
                                         {"command": command, "cwd": str(cwd)},
                                         approval=approval, exit_status=status,
                                         seconds=round(time.perf_counter() - began, 4)))
        return recorded


@dataclass
class RunRecorder:
    """The runs of one command line, written to the log in ``data_dir`` when it ends
    (``flush``). Nothing here loads SQLite or the store's module before then: they cost a
    one-shot call milliseconds, paid after its answer is out."""

    data_dir: Path
    command: str
    cwd: str
    models_dir: Path | None = None  # where pulled models' hashes are recorded
    invocation: str = field(default_factory=lambda: os.urandom(6).hex())
    warn: Callable[[str], None] | None = None  # says a log that could not be written
    _tracked: list[_Tracked] = field(default_factory=list, init=False)
    _shell: list[ShellLog] = field(default_factory=list, init=False)
    _ready: list[Callable[[], LogRun]] = field(default_factory=list, init=False)

    @property
    def path(self) -> Path:
        return log_path(self.data_dir)

    def track(self, run: Run, request: Request) -> None:
        """Record ``run`` when the command ends, however far it got."""
        self._tracked.append(_Tracked(run, mode_of(request),
                                      _request_text(request.given.prompt,
                                                    request.given.material),
                                      utc_stamp()))

    def shell(self, request: str, model: dict[str, Any],
              sampling: dict[str, Any] | None) -> ShellLog:
        """``lamp cmd``'s record, filled in as it goes."""
        log = ShellLog(request, utc_stamp(), model, sampling)
        self._shell.append(log)
        return log

    def add(self, run: Callable[[], LogRun]) -> None:
        """A run whose row is made when the command ends (``run()``)."""
        self._ready.append(run)

    def row(self, result: RunResult, *, mode: str, request: str, started_at: str,
            exit_status: int | None = None, error: BaseException | None = None) -> LogRun:
        """The log's row for one run's result."""
        from lamp.memory.runlog import LogRun

        usage = result.usage
        model_file, sha = model_identity(result.model, self.models_dir)
        failure = result.error if result.error is not None else error
        return LogRun(
            started_at=started_at, command=self.command, mode=mode, request=request,
            answer=_answer_text(result), invocation=self.invocation, session=result.session,
            model_file=model_file, model_sha256=sha, sampling=result.sampling,
            prompt_tokens=usage.prompt_tokens if usage else None,
            completion_tokens=usage.completion_tokens if usage else None,
            first_token_s=round(usage.seconds_to_first_token, 4) if usage else None,
            tokens_per_s=round(usage.tokens_per_second, 2) if usage else None,
            total_s=round(result.total_s, 4), exit_status=exit_status,
            error=_error_text(failure), cwd=self.cwd, events=_events(result))

    def flush(self, *, exit_status: int | None = None,
              error: BaseException | None = None) -> list[int]:
        """Write every run of the command (``exit_status``: the command line's) in one
        transaction; their ids. A failure to write is a warning."""
        tracked, shell, ready = self._tracked, self._shell, self._ready
        self._tracked, self._shell, self._ready = [], [], []
        try:
            rows = [self.row(t.run.result, mode=t.mode, request=t.request,
                             started_at=t.started_at, exit_status=exit_status, error=error)
                    for t in tracked]
            rows += [self._shell_row(s, exit_status, error) for s in shell]
            rows += [_with_status(made(), exit_status) for made in ready]
        except Exception as exc:  # a bug here must not cost the user their exit status
            self._failed(exc)
            return []
        return self.write(rows)

    def _failed(self, exc: Exception) -> None:
        if self.warn is not None:
            self.warn(f"could not write the run log: {exc}")

    def write(self, rows: list[LogRun]) -> list[int]:
        if not rows:
            return []
        from lamp.memory.runlog import RunLog

        log = RunLog(self.path)
        try:
            return log.write(rows)
        except Exception as exc:  # the answer is out; the log must not fail the command
            self._failed(exc)
            return []
        finally:
            log.close()

    def _shell_row(self, shell: ShellLog, exit_status: int | None,
                   error: BaseException | None) -> LogRun:
        from lamp.memory.runlog import LogRun

        model_file, sha = model_identity(shell.model, self.models_dir)
        return LogRun(
            started_at=shell.started_at, command=self.command, mode="cmd",
            request=shell.request, answer=shell.proposal, invocation=self.invocation,
            model_file=model_file, model_sha256=sha, sampling=shell.sampling,
            total_s=round(time.perf_counter() - shell.started, 4), exit_status=exit_status,
            error=_error_text(error), cwd=self.cwd, events=tuple(shell.ran))


def shell_log(rt: Runtime, drafter: CommandDrafter, request: str) -> ShellLog | None:
    """``lamp cmd``'s record for ``request`` (None when the log is off)."""
    if rt.log is None:
        return None
    sampling = drafter.sampling.as_dict()
    if drafter.greedy:  # proposals are greedy unless the user chose a temperature
        sampling["temperature"] = 0.0
    return rt.log.shell(request, drafter.backend.describe(), sampling)


def _with_status(row: LogRun, exit_status: int | None) -> LogRun:
    return row if row.exit_status is not None else replace(row, exit_status=exit_status)


def record_run(rt: Runtime, result: RunResult, *, request: str, mode: str = "chat",
               error: BaseException | None = None, exit_status: int | None = None
               ) -> int | None:
    """Write one run now (a chat turn, as it ends); its id, or None when the log is off
    or could not be written. ``request``: what the user typed."""
    log = rt.log
    if log is None:
        return None
    started = datetime.now(timezone.utc) - timedelta(seconds=result.total_s)
    ids = log.write([log.row(result, mode=mode, request=request, started_at=utc_stamp(started),
                             exit_status=exit_status, error=error)])
    return ids[0] if ids else None


def record_each(rt: Runtime, request: EachRequest, model: dict[str, Any],
                sampling: dict[str, Any] | None,
                results: Iterator[Notice | EachResult]) -> Iterator[Notice | EachResult]:
    """``results`` as they come, each input's result noted as a run of its own (mode
    ``each``, all of them sharing the command line's invocation)."""
    from .each import EachResult

    log = rt.log
    if log is None:
        yield from results
        return
    for item in results:
        if isinstance(item, EachResult):
            started = datetime.now(timezone.utc) - timedelta(seconds=item.seconds)
            log.add(partial(_each_row, log, request, model, sampling, item, utc_stamp(started)))
        yield item


def _each_row(log: RunRecorder, request: EachRequest, model: dict[str, Any],
              sampling: dict[str, Any] | None, item: EachResult, started_at: str) -> LogRun:
    from lamp.memory.runlog import LogRun

    usage = item.usage
    model_file, sha = model_identity(model, log.models_dir)
    answer = item.answer if isinstance(item.answer, str) or item.answer is None \
        else json.dumps(item.answer, ensure_ascii=False)
    return LogRun(
        started_at=started_at, command=log.command, mode="each",
        request=_request_text(request.prompt, item.input.text), answer=answer or "",
        invocation=log.invocation, model_file=model_file, model_sha256=sha, sampling=sampling,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        first_token_s=round(usage.seconds_to_first_token, 4) if usage else None,
        tokens_per_s=round(usage.tokens_per_second, 2) if usage else None,
        total_s=round(item.seconds, 4), error=_error_text(item.error), cwd=log.cwd)


def model_identity(model: dict[str, Any], models_dir: Path | None
                   ) -> tuple[str | None, str | None]:
    """The model's file (or a server's model name) and its SHA-256 when lamp already knows
    it: a preset's file in the models folder (verified when it was assembled) or a pulled
    model (verified when it arrived). Nothing is hashed here."""
    path = model.get("path")
    if not path:
        name = model.get("model") or model.get("backend")
        return (str(name) if name else None), None
    from lamp.agent.models.catalog import preset_for_model, pulled_models

    file = Path(str(path))
    preset = preset_for_model(str(file))
    if preset is not None and models_dir is not None and file.parent == models_dir:
        return str(file), preset.sha256
    if models_dir is not None:
        for pulled in pulled_models(models_dir).values():
            if Path(pulled.path) == file:
                return str(file), pulled.sha256
    return str(file), None


def _answer_text(result: RunResult) -> str:
    answer = result.answer
    if result.structured and not isinstance(answer, str):
        return json.dumps(answer, ensure_ascii=False)
    return str(answer) if answer not in (None, "") else result.text


def _error_text(error: BaseException | None) -> str | None:
    if error is None:
        return None
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    message = str(error).strip()
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _events(result: RunResult) -> tuple[LogEvent, ...]:
    """Tool calls with who approved them; PAL's programs with their values."""
    from lamp.memory.runlog import LogEvent

    events = [LogEvent("tool_call", use.tool, use.input, use.output, use.approval,
                       exit_status=None if use.output is None else int(use.is_error),
                       seconds=round(use.seconds, 4))
              for use in result.tool_uses]
    for attempt in result.details.get("attempts", ()) if "code" in result.details else ():
        output = attempt["stdout"] + (f"\n{attempt['stderr']}" if attempt["stderr"] else "")
        events.append(LogEvent("pal_program", "python", {"code": attempt["code"]}, output,
                               "policy", value=attempt["value"],
                               exit_status=attempt["exit_code"], seconds=attempt["seconds"]))
    return tuple(events)
