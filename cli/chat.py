"""`lamp chat`: a REPL that streams Markdown, keeps input history, and survives Ctrl-C.

Input: readline gives line editing and a persistent history file. A line ending
in a backslash continues on the next line; a line of three double quotes opens
a block that ends at the next such line (for pasting). Ctrl-C while an answer
streams stops that answer only; Ctrl-C at the prompt clears the line; Ctrl-D
leaves.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lamp.agent.config import paths
from lamp.agent.conversation import Conversation
from lamp.agent.errors import LampError
from lamp.agent.grounded.attachments import Attachment

from .common import with_model_options
from .errors import is_reported, report
from .memory_session import Continue, MemoryChoice, MemoryUrl, NoMemory, SessionName
from .render import PlainRenderer, Renderer, RichRenderer
from .runtime import Runtime

if TYPE_CHECKING:
    from lamp.agent.react.answer import ToolsRequest

__all__ = ["ChatSession", "chat", "run_chat"]

HELP = """\
/help            this help
/reset           forget the conversation so far (keeps the system prompt)
/system [TEXT]   show the system prompt, or replace it (and reset)
/tools [NAMES]   answer with tools (comma list or 'default'); '/tools off' stops;
                 no argument shows what is on
/attach PATHS    attach files, globs or directories to your next message
/docs [NAME]     answer from ingested documents (collection NAME, default all), citing
                 them as [n]; '/docs off' stops
/exit            leave (Ctrl-D works too)
Multi-line: end a line with \\ to continue, or wrap a block in lines of \"\"\"."""

BLOCK = '"""'


@dataclass
class ChatSession:
    """Slash-command handling and turn taking, separate from terminal I/O for testing."""

    conversation: Conversation
    say: Callable[[str], None]
    tools: str | None = None  # agent mode: the tools spec, as for `ask --tools`
    mcp_servers: Collection[str] = ()  # configured MCP server names, usable in /tools
    attachments: list[Attachment] = field(default_factory=list)  # for the next message
    docs: bool = False  # answer from ingested documents (`ask --docs`)
    collection: str | None = None  # with docs: only this collection
    # Checks a tools request before tools are switched on (the sandbox policy, MCP servers
    # starting): a refusal is said at once and leaves tools off, as `ask --tools` exits 2.
    preflight: Callable[[ToolsRequest], None] | None = None

    def handle_command(self, line: str) -> bool:
        """Run a slash command; return False when the chat should end."""
        name, _, arg = line[1:].partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in {"exit", "quit", "q"}:
            return False
        if name == "help":
            self.say(HELP)
        elif name == "reset":
            self.conversation.reset()
            self.say("(conversation cleared)")
        elif name == "system":
            if arg:
                self.conversation.system = arg
                self.conversation.reset()
                self.say("(system prompt set; conversation cleared)")
            else:
                self.say(self.conversation.system or "(no system prompt)")
        elif name == "tools":
            self._tools(arg)
        elif name == "attach":
            self._attach(arg)
        elif name == "docs":
            self._docs(arg)
        else:
            self.say(f"unknown command /{name}; /help lists them")
        return True

    def _tools(self, arg: str) -> None:
        from lamp.agent.react.answer import ToolsRequest
        from lamp.agent.tools import load_tools

        if not arg:
            known = ", ".join([*load_tools(), *self.mcp_servers])
            self.say(f"tools: {self.tools or 'off'} (available: {known})")
        elif arg == "off":
            self.tools = None
            self.say("(tools off)")
        else:
            try:
                request = ToolsRequest(tools=arg)
                request.check(mcp_servers=self.mcp_servers)
                if self.preflight is not None:
                    self.preflight(request)
            except LampError as exc:
                self.say(str(exc))
                return
            self.tools = arg
            self.say(f"(tools on: {arg}; tools that change things ask first)")


    def _attach(self, arg: str) -> None:
        import shlex

        from lamp.memory.errors import MemoryStoreError

        from .attach import read_attachments

        if not arg:
            names = ", ".join(a.name for a in self.attachments) or "nothing"
            self.say(f"attached for the next message: {names}")
            return
        try:
            found = read_attachments(shlex.split(arg))
        except (MemoryStoreError, ValueError) as exc:
            self.say(str(exc))
            return
        self.attachments.extend(found)
        self.say(f"(attached {', '.join(a.name for a in found)}; they go with your next message)")

    def _docs(self, arg: str) -> None:
        if arg == "off":
            self.docs, self.collection = False, None
            self.say("(documents off)")
            return
        self.docs, self.collection = True, arg or None
        self.say(f"(answering from documents: {arg or 'all collections'}; sources cited as [n])")


def _read_message(read: Callable[[str], str]) -> str:
    """One user message, possibly spanning several lines."""
    line = read(">>> ")
    if line.strip() == BLOCK:
        lines: list[str] = []
        while (nxt := read("... ")).strip() != BLOCK:
            lines.append(nxt)
        return "\n".join(lines)
    parts = [line]
    while parts[-1].endswith("\\"):
        parts[-1] = parts[-1][:-1]
        parts.append(read("... "))
    return "\n".join(parts)


def _setup_readline() -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    history = paths.data_dir() / "chat_history"
    with contextlib.suppress(OSError):
        paths.private_dir(history.parent)
        readline.read_history_file(history)
    readline.set_history_length(2000)
    import atexit

    atexit.register(lambda: _save_history(readline, history))


def _save_history(readline: object, history: Path) -> None:
    """Every line typed is in here: the file is made 0600 before readline writes it."""
    from lamp.memory.private_fs import create_private

    with contextlib.suppress(OSError):
        create_private(history)
        readline.write_history_file(history)  # type: ignore[attr-defined]


@with_model_options
def chat(
    session: SessionName = None,
    continue_last: Continue = False,
    no_memory: NoMemory = False,
    memory_url: MemoryUrl = None,
    *,
    rt: Runtime,
) -> None:
    """Interactive chat: streaming Markdown, history, multi-line input, /help for commands."""
    choice = MemoryChoice(session=session, continue_last=continue_last, disabled=no_memory,
                          url=memory_url, long_lived=True)
    run_chat(rt, choice)


def run_chat(rt: Runtime, choice: MemoryChoice) -> None:
    settings = rt.settings  # a bad setting fails before the terminal is touched
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if interactive:
        _setup_readline()
        _catch_ctrl_c()
    rt.open_memory(choice)
    backend = rt.model()
    conversation = Conversation(backend=backend, sampling=rt.sampling(),
                                system=settings.system, truncate=False)
    link = rt.attach_memory(conversation, load_history=True)
    from .docs_run import DocsStore

    docs_store = DocsStore(rt, choice.url)
    try:
        _loop(rt, conversation, interactive,
              banner=f"session {link.session}" if link else "memory off", docs_store=docs_store)
    finally:
        docs_store.close()


def _catch_ctrl_c() -> None:
    """On a terminal Ctrl-C stops the answer, even when lamp was started with SIGINT
    ignored (a background job of a script inherits that, and Python then leaves it
    ignored); a chat the user cannot interrupt would have to be killed."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)


def _loop(rt: Runtime, conversation: Conversation, interactive: bool, banner: str,
          docs_store: Any = None) -> None:
    verbose = rt.verbose
    from .agent_run import start_servers

    def preflight(request: ToolsRequest) -> None:
        start_servers(rt, request, show=interactive)

    if interactive:
        from rich.console import Console

        console = Console()
        session = ChatSession(conversation, mcp_servers=list(rt.settings.mcp_servers),
                              say=lambda s: console.print(
            s, style="dim", markup=False, highlight=False), preflight=preflight)
        console.print(f"lamp chat ({banner}) — /help for commands, Ctrl-D to leave",
                      style="dim", highlight=False)
        renderer: Renderer = RichRenderer(console=console, verbose=verbose, said=rt.said)
    else:
        session = ChatSession(conversation, mcp_servers=list(rt.settings.mcp_servers),
                              say=lambda s: print(s, flush=True), preflight=preflight)
        renderer = PlainRenderer(verbose=verbose, said=rt.said)

    while True:
        try:
            text = _read_message(input)
        except EOFError:
            if interactive:
                print()
            return
        except KeyboardInterrupt:
            print("^C" if interactive else "")
            continue
        if not text.strip():
            continue
        if text.startswith("/"):
            if not session.handle_command(text.strip()):
                return
            continue
        if session.tools:
            _agent_turn(rt, conversation, session.tools, text)
            continue
        try:
            events, sources = _turn_events(rt, conversation, session, text, docs_store)
        except LampError as exc:
            report(exc, verbose)
            continue
        except Exception as exc:  # a store failure: say it, keep the chat
            if not is_reported(exc):
                raise
            report(exc, verbose)
            continue
        try:
            shown = renderer.render(events)
            if session.docs:
                from lamp.agent.grounded.answer import check_citations

                from .docs_run import show_sources

                show_sources(sources, check_citations(shown.answer, len(sources))
                             if sources else [], quiet=False)
        except KeyboardInterrupt:
            events.close()
            session.say("(answer stopped)")
        except LampError as exc:
            report(exc, verbose)


def _turn_events(rt: Runtime, conversation: Conversation, session: ChatSession, text: str,
                 docs_store: Any) -> tuple[Iterator[Any], list[Any]]:
    """The events of one plain or grounded turn, with its attachments; and its sources."""
    backend, max_tokens = conversation.backend, conversation.sampling.max_tokens
    message = text
    if session.attachments:
        from .attach import attach_budget, attached_material
        from .render import warn

        budget = attach_budget(backend, conversation.system, text, max_tokens,
                               reserve=backend.context_size // 4 if session.docs else 128)
        attached = attached_material(session.attachments, text, budget, backend)
        for notice in attached.notices:
            warn(notice)
        message, session.attachments = f"{attached.text}\n\n{text}", []
    if not session.docs:
        return conversation.send(message), []
    from lamp.agent.grounded.answer import ask_grounded

    from .docs_run import docs_sources, source_budget

    budget = source_budget(backend, conversation.system, message, max_tokens,
                           reserve=conversation.memory_budget if conversation.memory else 0)
    sources = docs_sources(docs_store.get(), text, collection=session.collection, k=5,
                           budget=budget, backend=backend)
    return ask_grounded(conversation, message, sources, base_system=conversation.system), sources


def _agent_turn(rt: Runtime, conversation: Conversation, tools: str, text: str) -> None:
    """One message answered by the tool agent; the exchange joins the chat history."""
    import time

    from lamp.agent.models import Message
    from lamp.agent.react.answer import ToolsRequest

    from .agent_run import run_tools, step_format, tool_routing

    answer = ""
    try:
        request = ToolsRequest(tools=tools, tool_format=step_format("auto", rt.settings),
                               route=tool_routing("auto", rt.settings))
        answer = run_tools(rt, conversation.backend, text, request,
                           conversation.sampling, started=time.perf_counter())
    except KeyboardInterrupt:
        print("(answer stopped)")
    except LampError as exc:
        report(exc, rt.verbose)
    conversation.record_exchange(Message("user", text), answer)
