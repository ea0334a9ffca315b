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
from collections.abc import Callable, Collection
from dataclasses import dataclass

from lamp.agent.conversation import Conversation
from lamp.agent.errors import LampError

from . import paths
from .common import with_model_options
from .errors import report
from .memory_session import Continue, MemoryChoice, MemoryUrl, NoMemory, SessionName
from .render import PlainRenderer, Renderer, RichRenderer
from .runtime import Runtime

__all__ = ["ChatSession", "chat", "run_chat"]

HELP = """\
/help            this help
/reset           forget the conversation so far (keeps the system prompt)
/system [TEXT]   show the system prompt, or replace it (and reset)
/tools [NAMES]   answer with tools (comma list or 'default'); '/tools off' stops;
                 no argument shows what is on
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
        else:
            self.say(f"unknown command /{name}; /help lists them")
        return True

    def _tools(self, arg: str) -> None:
        from lamp.agent.tool_agent import ToolsRequest
        from lamp.agent.tools import load_tools

        if not arg:
            known = ", ".join([*load_tools(), *self.mcp_servers])
            self.say(f"tools: {self.tools or 'off'} (available: {known})")
        elif arg == "off":
            self.tools = None
            self.say("(tools off)")
        else:
            try:
                ToolsRequest(tools=arg).check(mcp_servers=self.mcp_servers)
            except LampError as exc:
                self.say(str(exc))
                return
            self.tools = arg
            self.say(f"(tools on: {arg}; tools that change things ask first)")


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
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.read_history_file(history)
    readline.set_history_length(2000)
    import atexit

    atexit.register(lambda: _save_history(readline, history))


def _save_history(readline: object, history: object) -> None:
    with contextlib.suppress(OSError):
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
    _loop(rt, conversation, interactive,
          banner=f"session {link.session}" if link else "memory off")


def _catch_ctrl_c() -> None:
    """On a terminal Ctrl-C stops the answer, even when lamp was started with SIGINT
    ignored (a background job of a script inherits that, and Python then leaves it
    ignored); a chat the user cannot interrupt would have to be killed."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)


def _loop(rt: Runtime, conversation: Conversation, interactive: bool, banner: str) -> None:
    verbose = rt.verbose
    if interactive:
        from rich.console import Console

        console = Console()
        session = ChatSession(conversation, mcp_servers=list(rt.settings.mcp_servers),
                              say=lambda s: console.print(
            s, style="dim", markup=False, highlight=False))
        console.print(f"lamp chat ({banner}) — /help for commands, Ctrl-D to leave",
                      style="dim", highlight=False)
        renderer: Renderer = RichRenderer(console=console, verbose=verbose, said=rt.said)
    else:
        session = ChatSession(conversation, mcp_servers=list(rt.settings.mcp_servers),
                              say=lambda s: print(s, flush=True))
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
        events = conversation.send(text)
        try:
            renderer.render(events)
        except KeyboardInterrupt:
            events.close()
            session.say("(answer stopped)")
        except LampError as exc:
            report(exc, verbose)


def _agent_turn(rt: Runtime, conversation: Conversation, tools: str, text: str) -> None:
    """One message answered by the tool agent; the exchange joins the chat history."""
    import time

    from lamp.agent.models import Message
    from lamp.agent.tool_agent import ToolsRequest

    from .agent_run import run_tools, step_format

    answer = ""
    try:
        request = ToolsRequest(tools=tools, tool_format=step_format("auto", rt.settings))
        answer = run_tools(rt, conversation.backend, text, request,
                           conversation.sampling, started=time.perf_counter())
    except KeyboardInterrupt:
        print("(answer stopped)")
    except LampError as exc:
        report(exc, rt.verbose)
    conversation.record_exchange(Message("user", text), answer)
