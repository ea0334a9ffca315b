"""One command line's world: settings, a lazily opened model, memory, the sandbox, its Output.

A command builds one ``Runtime`` and every run it answers asks it for what it
needs, when it needs it: ``settings`` on first use (from the caller's flags and
environment), the model when the answer starts, memory opened in a thread behind
the model load, one sandbox. Whoever runs the command line hands in what only
it knows: the ``Caller`` (streams, environment, working directory), a model it
already holds (``model_source``: `lamp serve`'s warm model, a test's scripted
one) or how to load one with progress shown (``loader``: the CLI's). Nothing is
patched at run time, and nothing here imports Typer or Rich.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lamp.agent.config.paths import Paths
from lamp.agent.config.settings import Settings, load_settings
from lamp.agent.models import Backend, Sampling

from .memory import MemoryChoice, MemoryLocation, MemoryOpening
from .output import Caller, Output

if TYPE_CHECKING:
    from lamp.agent.conversation import Conversation
    from lamp.agent.mcp import McpTools
    from lamp.agent.memory_link import StoreMemory
    from lamp.agent.sandbox import Sandbox
    from lamp.agent.tools import ToolSource

    from .runlog import RunRecorder

__all__ = ["Loader", "ModelSource", "Preloaded", "Runtime", "Waiting", "sampling_from"]

ModelSource = Callable[[Settings], Backend]
"""Hands over a model someone already holds, for a command's settings (or raises)."""

Loader = Callable[[Settings, bool], Backend]
"""Loads the model the settings name; the bool asks it to show no progress."""

Waiting = Callable[[str], AbstractContextManager[object]]
"""Shows a long wait (``"starting MCP servers"``) for as long as the context lasts."""


@dataclass(frozen=True)
class Preloaded:
    """A model that is already open, handed to every command (tests; programs embedding lamp)."""

    backend: Backend

    def __call__(self, settings: Settings) -> Backend:
        return self.backend


@dataclass
class Runtime:
    """Settings, model, memory and sandbox of one command line, each made on first use."""

    flags: Mapping[str, Any] = field(default_factory=dict)  # options the user gave
    caller: Caller = field(default_factory=Caller.of_process)
    verbose: bool = False
    model_source: ModelSource | None = None  # None: ``loader`` loads what settings name
    loader: Loader | None = None  # None: the model layer's factory, silently
    # Stores whose journals this run wrote, for a long-lived caller (`lamp serve`) to index
    # once the reply is out. None in a one-shot process: the next store opener indexes them.
    journals_written: set[Path] | None = None
    # --sandbox as given on the command line; None: the `sandbox` setting decides.
    sandbox_flag: str | None = None
    # Tools known only to whoever runs lamp (a benchmark's functions, a program's own):
    # looked up like MCP servers' tools, in their place. None: the configured MCP servers.
    tool_source: ToolSource | None = None
    quiet: bool = False  # show no progress (--quiet, --json)
    waiting: Waiting | None = None  # the CLI's spinner; None: waits are silent
    # The command line's name (``ask``) and whether its runs go to the run log (`lamp logs`):
    # the CLI's commands do unless the `log` setting is off; a program embedding lamp opts in.
    command: str = ""
    keep_log: bool = False
    memory: StoreMemory | None = field(default=None, init=False)
    # Warnings already said on stderr: each once per command, however many runs meet it.
    said: set[str] = field(default_factory=set, init=False)
    _model: Backend | None = field(default=None, init=False, repr=False)
    _opening: MemoryOpening | None = field(default=None, init=False, repr=False)
    _choice: MemoryChoice | None = field(default=None, init=False, repr=False)
    _sandbox: Sandbox | None = field(default=None, init=False, repr=False)
    _mcp: McpTools | None = field(default=None, init=False, repr=False)

    @property
    def output(self) -> Output:
        return self.caller.output

    @cached_property
    def paths(self) -> Paths:
        """lamp's folders for the caller's environment."""
        return Paths(self.caller.env)

    @cached_property
    def settings(self) -> Settings:
        """Defaults, config file, LAMP_* environment, then the flags (a UsageError if bad)."""
        return load_settings(self.flags, env=self.caller.env)

    @cached_property
    def log(self) -> RunRecorder | None:
        """Where this command's runs are recorded (None: the log is off). Made on first use,
        after the settings (``--no-log``, ``log = false``, ``LAMP_LOG=0``) are read; nothing
        is opened until the command ends (``close``)."""
        if not self.keep_log or not self.settings.log:
            return None
        from .runlog import RunRecorder

        return RunRecorder(self.paths.data_dir(), self.command, str(self.caller.cwd),
                           models_dir=self.paths.models_dir(), warn=self.warn)

    @property
    def chosen(self) -> frozenset[str]:
        """The settings the user chose (by flag, environment or config file)."""
        return frozenset(k for k, source in self.settings.sources.items() if source != "default")

    def sampling(self) -> Sampling:
        return sampling_from(self.settings)

    def warn(self, message: str) -> None:
        """Say a warning on the caller's stderr, once per command line."""
        if message not in self.said:
            self.said.add(message)
            self.output.warn(message)

    def wait(self, label: str, *, show: bool = True) -> AbstractContextManager[object]:
        """A long wait shown on a terminal (a spinner), silent in a pipe or when quiet."""
        if self.waiting is None or self.quiet or not show:
            return nullcontext()
        return self.waiting(label)

    def model(self, *, quiet: bool = False) -> Backend:
        """The model, opened on first call; ``quiet`` hides the loading progress."""
        if self._model is None:
            self._model = self._open(self.settings, quiet)
        return self._model

    def switch_model(self, model: str) -> Backend:
        """Answer with ``model`` from now on (chat's ``/model``): a preset, a pulled name or
        a GGUF path, opened under this command's other settings. The model held before is
        let go only once the new one is open, so a name that fails changes nothing."""
        flags = {**self.flags, "model": model}
        settings = load_settings(flags, env=self.caller.env)
        backend = self._open(settings, False)
        self.flags, self._model = flags, backend
        self.__dict__["settings"] = settings  # the cached property's value
        return backend

    def _open(self, settings: Settings, quiet: bool) -> Backend:
        if self.model_source is not None:
            return self.model_source(settings)
        if self.loader is not None:
            return self.loader(settings, quiet or self.quiet)
        from lamp.agent.models.factory import open_backend

        return open_backend(settings.model_config(verbose=self.verbose, folders=self.paths))

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

    def mcp_tools(self) -> ToolSource | None:
        """The tools beyond the registry's: the handed-in ``tool_source``, else the configured
        MCP servers (None when none are configured). Nothing starts here: a server starts
        when one of its tools is selected."""
        if self.tool_source is not None:
            return self.tool_source
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

    @property
    def memory_choice(self) -> MemoryChoice | None:
        """What the command asked of memory (None: not opened yet)."""
        return self._choice

    def memory_location(self, url: str | None = None) -> MemoryLocation:
        """The store ``--memory-url`` names, else the ``memory_url`` setting, else the one
        in the caller's data dir."""
        return MemoryLocation.resolve(url, setting=self.settings.memory_url,
                                      data_dir=self.paths.data_dir())

    def open_memory(self, choice: MemoryChoice) -> None:
        """Start opening the memory store in a thread, so it overlaps the model load."""
        from .memory import start_memory

        location = self.memory_location(choice.url) if not choice.disabled else None
        self._choice = choice
        self._opening = start_memory(choice, location) if location is not None else None

    def attach_memory(self, conversation: Conversation, *, load_history: bool
                      ) -> StoreMemory | None:
        """Wire the opened store into ``conversation`` (None: memory off or unavailable)."""
        from .memory import attach_memory, model_name

        if self._choice is None:
            return None
        model = self.model()
        self.memory = attach_memory(conversation, self._opening, self._choice,
                                    count_text=model.count_text, model=model_name(model),
                                    load_history=load_history, warn=self.output.warn)
        return self.memory

    def close(self, *, exit_status: int | None = None,
              error: BaseException | None = None) -> None:
        """Write the command's runs to the run log (``exit_status``/``error``: how the
        command ended), stop any MCP server, finish deferred memory writes (raising their
        errors) and release the store."""
        log = self.__dict__.get("log")  # made only if a run asked for it
        if log is not None:
            log.flush(exit_status=exit_status, error=error)
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
        lookup=settings.prompt_lookup == "on",  # "auto": the mode decides (ask.py)
    )
