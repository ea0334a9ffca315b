"""The CLI's side of a command's Runtime: what it hands in, and the model load drawn on a terminal.

``execute()`` builds one ``Invocation`` per command line (who it runs for, a
model someone already holds, ``--verbose``) and the ``with_model_options``
decorator turns it into the application layer's ``Runtime``
(lamp.agent.app.runtime). Drawing belongs here: a progress bar while a preset is
assembled or verified, a spinner while weights load or MCP servers start, only
when the caller's stderr is a terminal. `lamp serve` hands over its warm model,
tests a scripted one. Nothing is patched at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lamp.agent.app.output import Caller, Output
from lamp.agent.app.runtime import (
    Loader,
    ModelSource,
    Preloaded,
    Runtime,
    Waiting,
    sampling_from,
)
from lamp.agent.config.paths import Paths
from lamp.agent.config.settings import Settings
from lamp.agent.models import Backend
from lamp.agent.models.factory import open_backend, resolve_model_file

from .render.terminal import console_for

__all__ = ["Invocation", "ModelSource", "Preloaded", "Runtime", "load_backend", "loader_for",
           "progress_bar", "resolve_model", "sampling_from", "spinner_for"]


@dataclass
class Invocation:
    """One command line being run: what its caller hands in, and what the error report needs
    to know from the options (``--verbose``). ``execute()`` creates it and passes it down as
    Click's context object, so nothing about a run is kept in module state."""

    model_source: ModelSource | None = None
    caller: Caller = field(default_factory=Caller.of_process)
    verbose: bool = False
    # Stores whose journals this run wrote, for a long-lived caller (`lamp serve`) to index
    # once the reply is out. None in a one-shot process: the next store opener indexes them.
    journals_written: set[Path] | None = None


@contextmanager
def progress_bar(show: bool, output: Output | None = None
                 ) -> Iterator[tuple[Callable[[str], None] | None,
                                     Callable[[int, int], None] | None]]:
    """The model factory's callbacks drawn on stderr: a bar while a preset is assembled,
    verified or downloaded, then a spinner while the weights load (``on_start("load")``).
    ``show`` False: no callbacks, nothing drawn."""
    if not show:
        yield None, None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    console = console_for(output, stderr=True) if output is not None else Console(stderr=True)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), TimeRemainingColumn(),
                        console=console, transient=True)
    task: list[int] = []
    spinner: list[Any] = []
    labels = {"assemble": "assembling model", "verify": "verifying model",
              "download": "downloading model"}

    def on_start(kind: str) -> None:
        if kind == "load":  # one live display at a time: the bar goes, the spinner comes
            if task:
                progress.stop()
                task.clear()
            if not spinner:
                spinner.append(console.status("loading model…", spinner="dots"))
                spinner[0].start()
            return
        if not task:
            progress.start()
        else:
            progress.remove_task(task.pop())
        task.append(progress.add_task(labels.get(kind, kind), total=None))

    def on_progress(done: int, total: int) -> None:
        progress.update(task[-1], completed=done, total=total)

    try:
        yield on_start, on_progress
    finally:
        if task:
            progress.stop()
        for status in spinner:
            status.stop()


def resolve_model(settings: Settings, output: Output, quiet: bool = False,
                  folders: Paths | None = None) -> Path:
    """The model file the settings name (preset, pulled model or path), with a progress
    bar on a terminal while a preset is assembled or verified."""
    with progress_bar(output.stderr_terminal and not quiet, output) as (on_start, on_progress):
        return resolve_model_file(settings.model_config(folders=folders), on_start=on_start,
                                  on_progress=on_progress)


def load_backend(settings: Settings, output: Output, *, verbose: bool = False,
                 quiet: bool = False, folders: Paths | None = None) -> Backend:
    """Open the configured backend (lamp.agent.models.factory), drawing its progress on a
    terminal; `lamp --help` never loads llama.cpp."""
    with progress_bar(output.stderr_terminal and not quiet, output) as (on_start, on_progress):
        return open_backend(settings.model_config(verbose=verbose, folders=folders),
                            on_start=on_start,
                            on_progress=on_progress)


def loader_for(caller: Caller, *, verbose: bool = False) -> Loader:
    """How a command's Runtime loads its model: from the caller's folders, with progress
    on the caller's terminal."""
    folders = Paths(caller.env)

    def load(settings: Settings, quiet: bool) -> Backend:
        return load_backend(settings, caller.output, verbose=verbose, quiet=quiet,
                            folders=folders)
    return load


def spinner_for(output: Output) -> Waiting | None:
    """A spinner on ``output``'s stderr for the Runtime's long waits; None off a terminal
    (a pipe stays silent)."""
    if not output.stderr_terminal:
        return None

    @contextmanager
    def spin(label: str) -> Iterator[None]:
        with console_for(output, stderr=True).status(label, spinner="dots"):
            yield

    return spin
