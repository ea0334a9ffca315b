"""A chat: one conversation kept across turns, and the slash commands that change how it answers.

Each message is a turn answered within the conversation the chat holds:
plainly, from ingested documents (``/docs``), or with the tool loop
(``/tools``), with any files ``/attach`` gathered for it. The chat's terminal
side (readline, Ctrl-C, rendering) is the CLI's; what a command or a turn does
is decided here, so a chat run from a test or another front end behaves the same.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lamp.agent.conversation import Conversation
from lamp.agent.errors import LampError
from lamp.agent.models import Message
from lamp.agent.tools import Approver, deny_all

from .requests import ChatTurn
from .result import Run, RunResult

if TYPE_CHECKING:
    from lamp.agent.grounded.attachments import Attachment
    from lamp.agent.react.answer import ToolOptions

    from .memory import MemoryChoice
    from .runtime import Runtime

__all__ = ["HELP", "Chat"]

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


@dataclass
class Chat:
    """The conversation and what the next turn will use. ``say`` shows a command's reply;
    ``approve`` asks the person before a tool changes things; ``interactive``: a person
    is at the terminal (MCP servers starting are shown)."""

    rt: Runtime
    conversation: Conversation
    say: Callable[[str], None]
    approve: Approver = deny_all
    interactive: bool = False
    tools: str | None = None  # the tools spec, as for `ask --tools`; None: tools off
    attachments: list[Attachment] = field(default_factory=list)  # for the next message
    docs: bool = False  # answer from ingested documents (`ask --docs`)
    collection: str | None = None  # with docs: only this collection
    _store: Any = field(default=None, init=False, repr=False)  # docs store opened for chat

    @classmethod
    def start(cls, rt: Runtime, choice: MemoryChoice, say: Callable[[str], None], *,
              approve: Approver = deny_all, interactive: bool = False) -> Chat:
        """Memory opening behind the model load, then the conversation with its history."""
        rt.open_memory(choice)
        backend = rt.model()
        conversation = Conversation(backend=backend, sampling=rt.sampling(),
                                    system=rt.settings.system, truncate=False)
        rt.attach_memory(conversation, load_history=True)
        return cls(rt, conversation, say, approve=approve, interactive=interactive)

    @property
    def banner(self) -> str:
        link = self.rt.memory
        return f"session {link.session}" if link is not None else "memory off"

    def command(self, line: str) -> bool:
        """Run a slash command; False when the chat should end."""
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
        from lamp.agent.tools import load_tools

        from .tools import check_tools

        if not arg:
            known = ", ".join([*load_tools(), *self.rt.settings.mcp_servers])
            self.say(f"tools: {self.tools or 'off'} (available: {known})")
        elif arg == "off":
            self.tools = None
            self.say("(tools off)")
        else:
            try:  # a refusal (sandbox policy, a server that cannot start) leaves tools off
                check_tools(self.rt, self._options(arg), show=self.interactive)
            except LampError as exc:
                self.say(str(exc))
                return
            self.tools = arg
            self.say(f"(tools on: {arg}; tools that change things ask first)")

    def _options(self, tools: str) -> ToolOptions:
        from lamp.agent.react.answer import ToolOptions

        from .tools import step_format, tool_routing

        return ToolOptions(tools=tools, tool_format=step_format("auto", self.rt.settings),
                           route=tool_routing("auto", self.rt.settings))

    def _attach(self, arg: str) -> None:
        from lamp.agent.grounded.attachments import read_attachments
        from lamp.memory.errors import MemoryStoreError

        if not arg:
            names = ", ".join(a.name for a in self.attachments) or "nothing"
            self.say(f"attached for the next message: {names}")
            return
        caller = self.rt.caller
        try:
            found = read_attachments(shlex.split(arg), shown=caller.shown, cwd=caller.cwd)
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

    def next_turn(self, text: str) -> ChatTurn:
        """The turn ``text`` makes with what the chat holds now; the attachments go with it."""
        turn = ChatTurn(text, attachments=tuple(self.attachments), docs=self.docs,
                        collection=self.collection,
                        tools=self._options(self.tools) if self.tools else None,
                        approve=self.approve)
        self.attachments = []
        return turn

    def answer(self, turn: ChatTurn) -> Run:
        """Start answering ``turn`` in the conversation."""
        if turn.tools is not None:
            return self._tool_turn(turn)
        conversation = self.conversation
        backend, max_tokens = conversation.backend, conversation.sampling.max_tokens
        message = turn.text
        if turn.attachments:
            from .ask import attach_files

            message = attach_files(self.rt, backend, turn.attachments, question=turn.text,
                                   material="", system=conversation.system,
                                   budget_text=turn.text, max_tokens=max_tokens,
                                   reserve=backend.context_size // 4 if turn.docs else 128)
        if not turn.docs:
            return Run(conversation.send(message))
        from lamp.agent.grounded.answer import ask_grounded

        from .ask import cite_sources, docs_sources

        sources = docs_sources(self.rt, backend, question=turn.text, user_text=message,
                               system=conversation.system, max_tokens=max_tokens,
                               reserve=conversation.memory_budget if conversation.memory
                               else 0, store=self._docs_store(), url=None,
                               collection=turn.collection, k=5)
        result = RunResult(grounded=True, sources=sources)
        return Run(ask_grounded(conversation, message, sources,
                                base_system=conversation.system), result, finish=cite_sources)

    def _tool_turn(self, turn: ChatTurn) -> Run:
        """The tool loop on the message; the exchange joins the history when the run ends
        (``settle``), answered or not."""
        from .tools import run_tool_loop

        assert turn.tools is not None
        conversation = self.conversation
        return run_tool_loop(self.rt, conversation.backend, turn.text, turn.tools,
                             conversation.sampling, approve=turn.approve)

    def settle(self, turn: ChatTurn, run: Run | None) -> None:
        """After a turn, whatever its end: a tool turn's exchange joins the history as a
        plain one (a turn that failed, with an empty answer)."""
        if turn.tools is None:
            return
        answer = str(run.result.answer) if run is not None and run.result.error is None \
            else ""
        self.conversation.record_exchange(Message("user", turn.text), answer)

    def _docs_store(self) -> Any:
        """The store ``/docs`` turns read: memory's own when it has one open (one client per
        store in a process), else one opened on first use and closed with the chat."""
        link = self.rt.memory
        if link is not None and link.store is not None:
            return link.store
        if self._store is None:
            from .memory import open_store

            self._store = open_store(self.rt.memory_location(self._url()))
        return self._store

    def _url(self) -> str | None:
        choice = self.rt.memory_choice
        return choice.url if choice is not None else None

    def close(self) -> None:
        own, self._store = self._store, None
        if own is not None:
            own.close()
