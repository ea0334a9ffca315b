"""A chat: one conversation kept across turns, and the slash commands that change how it answers.

Each message is a turn answered within the conversation the chat holds:
plainly, from ingested documents (``/docs``), or with the tool loop
(``/tools``), with any files ``/attach`` gathered for it. The chat's terminal
side (readline, Ctrl-C, rendering, the clipboard) is the CLI's; what a command or
a turn does is decided here, so a chat run from a test or another front end
behaves the same.

A chat meant to last a day can also redo its last turn: ``/retry`` asks again in
place of the last answer, ``/continue`` goes on with an answer cut off at
max_tokens, ``/undo`` takes the last exchange out. Those three leave the session's
memory as the conversation is: an exchange taken out or replaced is deleted from
the store (lamp.agent.memory_link ``forget``) and never recalled again; the
journal keeps its durable copy until the session is forgotten. Turns that no
longer fit the context are folded into a running summary (lamp.agent.summary).
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from lamp.agent.conversation import INTERRUPTED, Conversation, Exchange
from lamp.agent.errors import LampError
from lamp.agent.events import Event
from lamp.agent.models import Message, Sampling
from lamp.agent.tools import Approver, deny_all

from .requests import ChatTurn
from .result import Run, RunResult
from .transcript import Copier

if TYPE_CHECKING:
    from lamp.agent.grounded.attachments import Attachment
    from lamp.agent.react.answer import ToolOptions

    from .memory import MemoryChoice
    from .runtime import Runtime
    from .transcript import Transcript

__all__ = ["CONTINUE_PROMPT", "HELP", "SAMPLING_KEYS", "Chat", "Copier"]

HELP = """\
/help              this help
/reset             forget the conversation so far (keeps the system prompt)
/system [TEXT]     show the system prompt, or replace it (and reset)
/retry [TEMP]      answer your last message again, in place of its answer (at
                   temperature TEMP this once)
/continue          go on with the last answer (cut off at max_tokens, or stopped)
/undo              take your last message and its answer out (of memory too)
/copy [code]       copy the last answer, or its last code block, to the clipboard
/save FILE         save the conversation as Markdown; FILE.json or '/save --json FILE'
                   as JSON messages; '/save! FILE' replaces an existing file
/model [NAME]      show the model, or switch to a preset, pulled name or GGUF path
                   (the conversation goes on)
/set [KEY VALUE]   show or change sampling: temperature, top_p, top_k, max_tokens,
                   seed, repeat_penalty
/stats             speed of the last answer, context used and left, memory, tools
/session           this chat's memory session
/sessions          the sessions memory holds
/tools [NAMES]     answer with tools (comma list or 'default'); '/tools off' stops;
                   no argument shows what is on
/attach PATHS      attach files, globs or directories to your next message
/docs [NAME]       answer from ingested documents (collection NAME, default all), citing
                   them as [n]; '/docs off' stops
/exit              leave (Ctrl-D works too)
Multi-line: end a line with \\ to continue, or wrap a block in lines of \"\"\"."""

CONTINUE_PROMPT = ("Continue your last answer exactly where it stopped, in the same language "
                   "and format. Do not repeat anything you already wrote and do not start "
                   "over.")
"""The message that asks for the rest of a cut-off answer; it is not kept in the history."""

SAMPLING_KEYS = ("temperature", "top_p", "top_k", "max_tokens", "seed", "repeat_penalty")
"""What ``/set`` changes: the settings a ``Sampling`` is made of."""


def _no_clipboard(text: str) -> str | None:
    return None


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class Chat:
    """The conversation and what the next turn will use. ``say`` shows a command's reply;
    ``approve`` asks the person before a tool changes things; ``copy`` puts text on the
    clipboard; ``interactive``: a person is at the terminal (MCP servers starting are
    shown)."""

    rt: Runtime
    conversation: Conversation
    say: Callable[[str], None]
    approve: Approver = deny_all
    interactive: bool = False
    tools: str | None = None  # the tools spec, as for `ask --tools`; None: tools off
    attachments: list[Attachment] = field(default_factory=list)  # for the next message
    docs: bool = False  # answer from ingested documents (`ask --docs`)
    collection: str | None = None  # with docs: only this collection
    copy: Copier = _no_clipboard
    overrides: dict[str, str] = field(default_factory=dict)  # what /set changed
    last: RunResult | None = None  # the last turn's result (/stats, /continue)
    _store: Any = field(default=None, init=False, repr=False)  # docs store opened for chat
    _last_turn: ChatTurn | None = field(default=None, init=False, repr=False)  # /retry's
    # What the turn being answered took out of the conversation or may replace (/retry,
    # /continue): settled by ``settle``.
    _replaced: Exchange | None = field(default=None, init=False, repr=False)
    _answered_at: int = field(default=0, init=False, repr=False)  # history length before

    @classmethod
    def start(cls, rt: Runtime, choice: MemoryChoice, say: Callable[[str], None], *,
              approve: Approver = deny_all, interactive: bool = False,
              copy: Copier = _no_clipboard) -> Chat:
        """Memory opening behind the model load, then the conversation with its history."""
        rt.open_memory(choice)
        backend = rt.model()
        conversation = Conversation(backend=backend, sampling=rt.sampling(),
                                    system=rt.settings.system, truncate=False,
                                    running_summary=True)
        rt.attach_memory(conversation, load_history=True)
        return cls(rt, conversation, say, approve=approve, interactive=interactive,
                   copy=copy)

    @property
    def banner(self) -> str:
        link = self.rt.memory
        return f"session {link.session}" if link is not None else "memory off"

    def command(self, line: str) -> bool | ChatTurn:
        """Run a slash command: False when the chat should end, a turn to answer (``/retry``,
        ``/continue``), else True. A command given bad arguments says so in one line."""
        name, _, arg = line[1:].partition(" ")
        name, arg = name.lower(), arg.strip()
        if name in {"exit", "quit", "q"}:
            return False
        if name in {"retry", "continue"}:
            return (self._retry(arg) if name == "retry" else self._continue(arg)) or True
        simple: dict[str, Callable[[str], None]] = {
            "help": lambda _: self.say(HELP), "reset": self._reset, "system": self._system,
            "undo": self._undo, "copy": self._copy, "save": self._save,
            "save!": lambda a: self._save(a, overwrite=True), "model": self._model,
            "set": self._set, "stats": self._stats, "session": self._session,
            "sessions": self._sessions, "tools": self._tools, "attach": self._attach,
            "docs": self._docs,
        }
        if name in simple:
            simple[name](arg)
        else:
            self.say(f"unknown command /{name}; /help lists them")
        return True

    def _reset(self, arg: str) -> None:
        self.conversation.reset()
        self._last_turn, self.last = None, None
        self.say("(conversation cleared)")

    def _system(self, arg: str) -> None:
        if arg:
            self.conversation.system = arg
            self.conversation.reset()
            self._last_turn, self.last = None, None
            self.say("(system prompt set; conversation cleared)")
        else:
            self.say(self.conversation.system or "(no system prompt)")

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

    # -- redoing the last turn -------------------------------------------------
    def _retry(self, arg: str) -> ChatTurn | None:
        temperature = None
        if arg:
            try:
                temperature = float(arg)
            except ValueError:
                temperature = -1.0
            if not temperature >= 0:  # NaN too
                self.say(f"/retry takes a temperature (a number >= 0), got {arg!r}")
                return None
        history = self.conversation.history
        asked = next((m.content for m in reversed(history) if m.role == "user"), None)
        if asked is None:
            self.say("(nothing to retry yet)")
            return None
        last = self._last_turn
        if last is None or (last.text != asked and not last.attachments):
            last = ChatTurn(asked, approve=self.approve)  # a turn of an earlier chat
        return replace(last, redo="retry", temperature=temperature)

    def _continue(self, arg: str) -> ChatTurn | None:
        history = self.conversation.history
        if arg:
            self.say("/continue takes no argument")
        elif not history or history[-1].role != "assistant":
            self.say("(no answer to continue)")
        elif (self.last is not None and self.last.usage is not None
              and self.last.usage.finish_reason == "stop"
              and not history[-1].content.endswith(INTERRUPTED)):
            self.say("(the last answer ended on its own; /continue goes on with one cut off "
                     "at max_tokens or stopped; /retry asks again)")
        else:
            return ChatTurn(CONTINUE_PROMPT, redo="continue", approve=self.approve)
        return None

    def _undo(self, arg: str) -> None:
        if arg:
            self.say("/undo takes no argument")
            return
        conversation = self.conversation
        taken = conversation.take_last()
        if taken is None:
            self.say("(nothing to undo)")
            return
        self._last_turn, self.last = None, None
        self._forget(taken.stored)
        answer = next((m.content for m in taken.messages if m.role == "assistant"), "")
        said = f"(removed: “{_short(taken.messages[0].content)}”"
        said += f" and its answer “{_short(answer)}”" if answer else ""
        link = self.rt.memory
        if link is not None and taken.stored:
            said += f"; also taken out of session {link.session}'s memory"
        if conversation.summary and conversation.folded >= len(conversation.history):
            said += "; the running summary may still mention it"
        self.say(said + ")")

    def _forget(self, turns: list[tuple[int, str]]) -> None:
        """``(turn number, role)`` turns out of the session's memory, for good (the
        conversation already no longer recalls them)."""
        link = self.rt.memory
        if link is not None and turns:
            link.forget(turns)

    # -- what the chat hands out -------------------------------------------------
    def _last_answer(self) -> str | None:
        history = self.conversation.history
        if not history or history[-1].role != "assistant":
            return None
        return history[-1].content.removesuffix(INTERRUPTED)

    def _copy(self, arg: str) -> None:
        from .transcript import copy_reply

        self.say(copy_reply(arg, self._last_answer(), self.copy))

    def _save(self, arg: str, *, overwrite: bool = False) -> None:
        from .transcript import save_reply

        self.say(save_reply(arg, self._transcript(), self.rt.caller, overwrite=overwrite))

    def _transcript(self) -> Transcript:
        from .memory import model_name
        from .transcript import Transcript

        conversation, link = self.conversation, self.rt.memory
        return Transcript(list(conversation.history), system=conversation.system,
                          summary=conversation.summary,
                          session=link.session if link is not None else None,
                          model=model_name(conversation.backend), saved=time.time())

    # -- model and sampling ----------------------------------------------------
    def _model(self, arg: str) -> None:
        from .memory import model_name

        conversation = self.conversation
        if not arg:
            self.say(f"model: {model_name(conversation.backend) or conversation.backend.name}")
            return
        try:
            backend = self.rt.switch_model(arg)
        except LampError as exc:
            self.say(f"could not switch to {arg}: {exc}")
            return
        conversation.backend = backend
        link = self.rt.memory
        if link is not None:  # memory counts with the new model's tokens, records its name
            link.count_text, link.model = backend.count_text, model_name(backend)
        self.say(f"(model: {model_name(backend) or arg}; the conversation goes on with it)")

    def _set(self, arg: str) -> None:
        from .chat_info import sampling_line

        words = arg.split()
        if not words:
            self.say(sampling_line(self.conversation.sampling))
            return
        key = words[0].lower().replace("-", "_")
        if key not in SAMPLING_KEYS:
            self.say(f"/set knows {', '.join(SAMPLING_KEYS)}; got {words[0]!r}")
            return
        if len(words) != 2:
            self.say(f"/set {key} VALUE, e.g. /set temperature 0.2")
            return
        sampling = self._sampling({key: words[1]})
        if sampling is not None:
            self.conversation.sampling = sampling
            value = getattr(sampling, key)
            self.say(f"({key} {'random' if value is None else value})")

    def _sampling(self, change: dict[str, str]) -> Sampling | None:
        """The chat's sampling with ``change``, checked as a flag would be; None (said) if bad."""
        from lamp.agent.config.settings import load_settings

        from .runtime import sampling_from

        rt = self.rt
        try:
            settings = load_settings({**rt.flags, **self.overrides, **change},
                                     env=rt.caller.env)
        except LampError as exc:
            self.say(str(exc))
            return None
        self.overrides.update(change)
        return sampling_from(settings)

    # -- what the chat is --------------------------------------------------------
    def _stats(self, arg: str) -> None:
        from .chat_info import stats_lines

        self.say("\n".join(stats_lines(self.conversation, self.last, self.rt.memory,
                                        tools=self.tools, docs=self.docs,
                                        collection=self.collection)))

    def _session(self, arg: str) -> None:
        link = self.rt.memory
        self.say("memory off: this chat is not kept" if link is None else
                 f"session {link.session} (lamp chat --session {link.session} goes on with it)")

    def _sessions(self, arg: str) -> None:
        from .chat_info import sessions_reply

        self.say(sessions_reply(self.rt.memory))

    # -- turns -----------------------------------------------------------------
    def next_turn(self, text: str) -> ChatTurn:
        """The turn ``text`` makes with what the chat holds now; the attachments go with it."""
        turn = ChatTurn(text, attachments=tuple(self.attachments), docs=self.docs,
                        collection=self.collection,
                        tools=self._options(self.tools) if self.tools else None,
                        approve=self.approve)
        self.attachments = []
        return turn

    def answer(self, turn: ChatTurn) -> Run:
        """Start answering ``turn`` in the conversation. A retry takes the last exchange out
        now; ``settle`` puts it back if no answer replaced it."""
        conversation = self.conversation
        sampling = conversation.sampling
        if turn.temperature is not None:
            sampling = replace(sampling, temperature=turn.temperature)
        if turn.redo == "continue":
            self._replaced = Exchange(tuple(conversation.history[-2:]),
                                      tuple(conversation.turn_numbers[-2:]))
            return Run(conversation.continue_last(turn.text, sampling))
        if turn.redo == "retry":
            self._replaced = conversation.take_last()
        self._answered_at = len(conversation.history)
        if turn.tools is not None:
            return self._tool_turn(turn, sampling)
        backend, max_tokens = conversation.backend, sampling.max_tokens
        message = turn.text
        if turn.attachments:
            from .ask import attach_files

            message = attach_files(self.rt, backend, turn.attachments, question=turn.text,
                                   material="", system=conversation.system,
                                   budget_text=turn.text, max_tokens=max_tokens,
                                   reserve=backend.context_size // 4 if turn.docs else 128)
        if not turn.docs:
            return Run(conversation.send(message, sampling))
        from lamp.agent.grounded.answer import ask_grounded

        from .ask import cite_sources, docs_sources

        sources = docs_sources(self.rt, backend, question=turn.text, user_text=message,
                               system=conversation.system, max_tokens=max_tokens,
                               reserve=conversation.memory_budget if conversation.memory
                               else 0, store=self._docs_store(), url=None,
                               collection=turn.collection, k=5)
        result = RunResult(grounded=True, sources=sources)
        events = ask_grounded(conversation, message, sources, base_system=conversation.system)
        return Run(self._sampled(sampling, events), result, finish=cite_sources)

    def _sampled(self, sampling: Sampling, events: Iterator[Event]) -> Iterator[Event]:
        """``events`` of a turn whose loop reads the conversation's own sampling (a grounded
        answer), with ``sampling`` in its place while they run."""
        conversation = self.conversation
        held, conversation.sampling = conversation.sampling, sampling
        try:
            yield from events
        finally:
            conversation.sampling = held

    def _tool_turn(self, turn: ChatTurn, sampling: Sampling) -> Run:
        """The tool loop on the message; the exchange joins the history when the run ends
        (``settle``), answered or not."""
        from .tools import run_tool_loop

        assert turn.tools is not None
        return run_tool_loop(self.rt, self.conversation.backend, turn.text, turn.tools,
                             sampling, approve=turn.approve)

    def settle(self, turn: ChatTurn, run: Run | None) -> None:
        """After a turn, whatever its end: a tool turn's exchange joins the history as a
        plain one (a turn that failed, with an empty answer); a retry that got no answer
        puts the exchange it took out back; what an answer replaced leaves memory."""
        conversation = self.conversation
        failed = run is None or run.result.error is not None
        if run is not None:
            self.last = run.result
            from .runlog import record_run

            # Each turn goes to the run log as it ends (the chat may stay open all day).
            record_run(self.rt, run.result, request=turn.text, error=run.result.error,
                       exit_status=1 if failed else 0)
        replaced, self._replaced = self._replaced, None
        if turn.tools is not None and not (failed and turn.redo == "retry"):
            answer = str(run.result.answer) if run is not None and not failed else ""
            conversation.record_exchange(Message("user", turn.text), answer)
        answered = len(conversation.history) > self._answered_at
        if answered and turn.redo != "continue":
            self._last_turn = turn
        if replaced is None:
            return
        if turn.redo == "retry" and not answered:
            conversation.put_back(replaced)  # no answer came: the old one stays
            return
        kept = set(conversation.turn_numbers)
        self._forget([(n, role) for n, role in replaced.stored if n not in kept])

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
