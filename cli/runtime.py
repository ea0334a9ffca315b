"""One command's world: settings, a lazily opened model, memory and the sandbox.

A command builds one ``Runtime`` (the ``with_model_options`` decorator does it)
and asks it for what it needs, when it needs it: ``settings`` on first use, the
model when the answer starts (with a spinner or progress bar only on a
terminal), memory opened in a thread behind the model load, one sandbox.
Whoever runs the command line can hand in a model it already holds, through
``execute(argv, model_source=...)``: ``lamp serve`` hands over its warm model,
tests a scripted one. Nothing is patched at run time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lamp.agent.config import paths
from lamp.agent.config.settings import Settings, load_settings
from lamp.agent.errors import UsageError
from lamp.agent.models import Backend, Sampling
from lamp.agent.models.model_store import resolve_model as find_model

from .options import ModelOptions

if TYPE_CHECKING:
    from lamp.agent.conversation import Conversation
    from lamp.agent.mcp import McpTools
    from lamp.agent.memory_link import StoreMemory
    from lamp.agent.sandbox import Sandbox

    from .memory_session import MemoryChoice

__all__ = ["Invocation", "ModelSource", "Preloaded", "Runtime", "load_backend",
           "resolve_model", "sampling_from"]

ModelSource = Callable[[Settings], Backend]
"""Hands over a model someone already holds, for a command's settings (or raises)."""


@dataclass(frozen=True)
class Preloaded:
    """A model that is already open, handed to every command (tests; programs embedding lamp)."""

    backend: Backend

    def __call__(self, settings: Settings) -> Backend:
        return self.backend


@dataclass
class Invocation:
    """One command line being run: what its caller hands in, and what the error report needs
    to know from the options (``--verbose``). ``execute()`` creates it and passes it down as
    Click's context object, so nothing about a run is kept in module state."""

    model_source: ModelSource | None = None
    verbose: bool = False
    # Stores whose journals this run wrote, for a long-lived caller (`lamp serve`) to index
    # once the reply is out. None in a one-shot process: the next store opener indexes them.
    journals_written: set[Path] | None = None


@dataclass
class Runtime:
    """Settings, model, memory and sandbox of one command, each made on first use."""

    options: ModelOptions = field(default_factory=ModelOptions)
    verbose: bool = False
    model_source: ModelSource | None = None  # None: load the model the settings name
    journals_written: set[Path] | None = None  # see Invocation.journals_written
    # --sandbox as given on the command line; None: the `sandbox` setting decides.
    sandbox_flag: str | None = None
    memory: StoreMemory | None = field(default=None, init=False)
    # Warnings already said on stderr: each once per command, however many runs meet it.
    said: set[str] = field(default_factory=set, init=False)
    _model: Backend | None = field(default=None, init=False, repr=False)
    _opening: Any = field(default=None, init=False, repr=False)
    _choice: MemoryChoice | None = field(default=None, init=False, repr=False)
    _sandbox: Sandbox | None = field(default=None, init=False, repr=False)
    _mcp: McpTools | None = field(default=None, init=False, repr=False)

    @cached_property
    def settings(self) -> Settings:
        """Defaults, config file, LAMP_* environment, then the flags (a UsageError if bad)."""
        return load_settings(self.options.as_flags())

    @property
    def chosen(self) -> frozenset[str]:
        """The settings the user chose (by flag, environment or config file)."""
        return frozenset(k for k, source in self.settings.sources.items() if source != "default")

    def sampling(self) -> Sampling:
        return sampling_from(self.settings)

    def model(self, *, quiet: bool = False) -> Backend:
        """The model, opened on first call; ``quiet`` hides the loading spinner."""
        if self._model is None:
            if self.model_source is not None:
                self._model = self.model_source(self.settings)
            else:
                self._model = load_backend(self.settings, verbose=self.verbose, quiet=quiet)
        return self._model

    @property
    def sandbox_policy(self) -> str:
        """The sandbox policy of this command: --sandbox, else the `sandbox` setting."""
        return self.sandbox_flag or self.settings.sandbox

    def require_sandbox(self, what: str) -> None:
        """Refuse now (IsolationRefused, exit 2), before a model loads or anything runs,
        when the sandbox policy finds no isolating layer on this machine for ``what``."""
        from lamp.agent.sandbox import require_isolation

        require_isolation(self.sandbox_policy, what, as_sandbox_uid=True)

    def sandbox(self, policy: str | None = None, timeout: float = 10.0) -> Sandbox:
        """The sandbox for model-written code; one per command, shared by its runs.
        ``policy`` None: ``sandbox_policy``."""
        from lamp.agent.sandbox import Sandbox

        policy = policy or self.sandbox_policy
        held = self._sandbox
        if held is None or (held.policy, held.timeout) != (policy, float(timeout)):
            self._sandbox = Sandbox(policy=policy, timeout=timeout)  # type: ignore[arg-type]
        assert self._sandbox is not None
        return self._sandbox

    def mcp_tools(self) -> McpTools | None:
        """The configured MCP servers as a tool source (None when none are configured).
        Nothing starts here: a server starts when one of its tools is selected."""
        if not self.settings.mcp_servers:
            return None
        if self._mcp is None:
            from dataclasses import replace

            from lamp.agent.mcp import McpTools

            # The servers lamp starts are held to this command's policy (--sandbox too).
            servers = {name: replace(cfg, sandbox=self.sandbox_policy)
                       for name, cfg in self.settings.mcp_servers.items()}
            self._mcp = McpTools.from_config(servers)
        return self._mcp

    def open_memory(self, choice: MemoryChoice) -> None:
        """Start opening the memory store in a thread, so it overlaps the model load."""
        from .memory_session import start_memory

        self._choice, self._opening = choice, start_memory(choice)

    def attach_memory(self, conversation: Conversation, *, load_history: bool
                      ) -> StoreMemory | None:
        """Wire the opened store into ``conversation`` (None: memory off or unavailable)."""
        from .memory_session import attach_memory, model_name

        if self._choice is None:
            return None
        model = self.model()
        self.memory = attach_memory(conversation, self._opening, self._choice,
                                    count_text=model.count_text, model=model_name(model),
                                    load_history=load_history)
        return self.memory

    def close(self) -> None:
        """Stop any MCP server, finish deferred memory writes (raising their errors) and
        release the store."""
        mcp, self._mcp = self._mcp, None
        try:
            if mcp is not None:
                mcp.close()
        finally:
            memory, self.memory = self.memory, None
            if memory is not None:
                memory.close()
                opening = self._opening
                if (self.journals_written is not None and opening is not None
                        and opening.journal is not None
                        and opening.location.path is not None):
                    self.journals_written.add(Path(opening.location.path))


def sampling_from(settings: Settings, temperature: float | None = None) -> Sampling:
    return Sampling(
        temperature=settings.temperature if temperature is None else temperature,
        top_k=settings.top_k,
        top_p=settings.top_p,
        max_tokens=settings.max_tokens,
        seed=settings.seed if settings.seed >= 0 else None,
        repeat_penalty=settings.repeat_penalty,
    )


@contextmanager
def progress_bar(show: bool) -> Iterator[tuple[Callable[[str], None] | None,
                                                Callable[[int, int], None] | None]]:
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

    progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                        TransferSpeedColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), transient=True)
    task: list[int] = []
    labels = {"assemble": "assembling model", "verify": "verifying model",
              "download": "downloading model"}

    def on_start(kind: str) -> None:
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


def resolve_model(settings: Settings, quiet: bool = False) -> Path:
    """The model file the settings name (preset, pulled model or path), with a progress
    bar on a terminal while a preset is assembled or verified."""
    show = sys.stderr.isatty() and not quiet
    with progress_bar(show) as (on_start, on_progress):
        return find_model(settings.model, paths.models_dir(), progress=on_progress,
                          on_start=on_start)


def load_backend(settings: Settings, *, verbose: bool = False, quiet: bool = False) -> Backend:
    """Load the configured backend (imported lazily: `lamp --help` never loads llama.cpp)."""
    if settings.backend == "openai":
        return _http_backend(settings)
    from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions

    model_path = resolve_model(settings, quiet=quiet)
    cache, sha = None, None
    if settings.prefix_cache:
        from functools import partial

        from lamp.agent.models.model_store import model_sha256
        from lamp.agent.models.prefix_cache import PrefixCache

        sha = partial(model_sha256, model_path, paths.cache_dir())
        cache = PrefixCache(paths.cache_dir() / "prefix", settings.cache_max_mb * 1024 * 1024)
    options = LlamaOptions(
        model_path=model_path,
        n_ctx=settings.ctx,
        n_threads=settings.effective_threads(),
        n_gpu_layers=settings.n_gpu_layers,
        seed=settings.seed,
        verbose=verbose,
        prefix_cache=cache,
        model_sha256=sha,
    )
    if sys.stderr.isatty() and not quiet:
        from rich.console import Console

        with Console(stderr=True).status("loading model…", spinner="dots"):
            return LlamaCppBackend(options)
    return LlamaCppBackend(options)


def _http_backend(settings: Settings) -> Backend:
    """An OpenAI-compatible server; ``--model`` names the server's model instead of a file."""
    from lamp.agent.models.http_backend import HttpOptions, OpenAIBackend

    if not settings.base_url:
        raise UsageError("--backend openai needs --base-url (or LAMP_BASE_URL), "
                         "e.g. http://127.0.0.1:8080/v1")
    return OpenAIBackend(HttpOptions(
        base_url=settings.base_url,
        model=settings.model,
        n_ctx=settings.ctx,
        timeout=settings.request_timeout,
    ))
