"""Chat for a whole day (lamp.agent.app.chat): /retry, /continue, /undo, /copy, /save, /model,
/set, /stats, /session, /sessions and the running summary, on scripted models."""

from __future__ import annotations

import io
import json
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lamp.agent.app.chat import CONTINUE_PROMPT, HELP, Chat
from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.output import Caller, Output
from lamp.agent.app.requests import ChatTurn
from lamp.agent.app.result import Run
from lamp.agent.app.runtime import Runtime
from lamp.agent.config.settings import Settings
from lamp.agent.errors import ModelError, UsageError
from lamp.agent.events import Notice
from lamp.agent.models import Chunk, Message, Sampling, ScriptedBackend

CODE_ANSWER = "Here:\n\n```python\nprint('hi')\n```\n\nand\n\n~~~\nls -l\n~~~\n\nDone."


@dataclass
class Held:
    chat: Chat
    backend: ScriptedBackend
    rt: Runtime
    said: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)

    def ask(self, text: str, *replies: str) -> Run:
        """One message answered (and settled, as the CLI does)."""
        self.backend.enqueue(*replies)
        return self.run(self.chat.next_turn(text))

    def command(self, line: str, *replies: str) -> Run | None:
        """A slash command; the turn it makes (/retry, /continue) answered and settled."""
        done = self.chat.command(line)
        assert done is not False
        if done is True:
            return None
        self.backend.enqueue(*replies)
        return self.run(done)

    def run(self, turn: ChatTurn) -> Run:
        run = None
        try:
            run = self.chat.answer(turn)
            run.consume()
        finally:
            self.chat.settle(turn, run)
        return run

    @property
    def history(self) -> list[str]:
        return [m.content for m in self.chat.conversation.history]


class Models:
    """A model source that opens a scripted model per name (``/model``); an unknown name
    fails as a bad model name does."""

    def __init__(self, **backends: ScriptedBackend) -> None:
        self.backends = backends

    def __call__(self, settings: Settings) -> ScriptedBackend:
        name = settings.model or "default"
        if name not in self.backends:
            raise UsageError(f"no model named {name!r}")
        return self.backends[name]


def start(tmp_path: Path, *, flags: dict | None = None, backend: ScriptedBackend | None = None,
          memory: MemoryChoice | None = None, copier: object = None,
          others: dict[str, ScriptedBackend] | None = None) -> Held:
    backend = backend or ScriptedBackend()
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({"system": "old", **(flags or {})}, Caller(output, dict(os.environ), tmp_path),
                 model_source=Models(default=backend, **(others or {})))
    said: list[str] = []
    copied: list[str] = []

    def copy(text: str) -> str | None:
        copied.append(text)
        return "with a test clipboard"

    chat = Chat.start(rt, memory or MemoryChoice(disabled=True), said.append,
                      copy=copier if copier is not None else copy)  # type: ignore[arg-type]
    return Held(chat, backend, rt, said, copied)


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Held]:
    got = start(tmp_path)
    yield got
    got.chat.close()
    got.rt.close()


def sent(backend: ScriptedBackend, index: int = -1) -> list[tuple[str, str]]:
    messages, _, _ = backend.requests[index]
    return [(m.role, m.content) for m in messages]


class FailingBackend(ScriptedBackend):
    """Fails the next call the way a model does (a ModelError)."""

    fail_next: bool = False

    def stream_chat(self, messages: Sequence[Message], sampling: Sampling,
                    grammar: str | None = None, tools: list[dict] | None = None,
                    json_schema: dict | None = None) -> Iterator[Chunk]:
        if self.fail_next:
            self.fail_next = False
            raise ModelError("the model fell over")
        return super().stream_chat(messages, sampling, grammar, tools, json_schema)


def test_help_lists_every_command(held: Held) -> None:
    for name in ("help", "reset", "system", "retry", "continue", "undo", "copy", "save",
                 "save!", "model", "set", "stats", "session", "sessions", "tools", "attach",
                 "docs", "exit"):
        assert f"/{name}" in HELP, name
    assert held.chat.command("/help") is True and held.said[-1] == HELP


# -- /retry -----------------------------------------------------------------------------

def test_retry_asks_the_same_message_again_in_place_of_the_answer(held: Held) -> None:
    held.ask("Name a colour.", "Blue.")
    held.command("/retry", "Green.")
    assert held.history == ["Name a colour.", "Green."]
    assert sent(held.backend) == [("system", "old"), ("user", "Name a colour.")]
    assert held.backend.requests[-1][1].temperature == 0.7  # the chat's own


def test_retry_at_a_temperature_is_for_that_answer_only(held: Held) -> None:
    held.ask("Name a colour.", "Blue.")
    held.command("/retry 0.2", "Red.")
    assert held.backend.requests[-1][1].temperature == 0.2
    held.ask("Another?", "Yellow.")
    assert held.backend.requests[-1][1].temperature == 0.7
    assert held.history == ["Name a colour.", "Red.", "Another?", "Yellow."]


def test_retry_with_bad_arguments_or_nothing_to_retry_says_one_line(held: Held) -> None:
    assert held.command("/retry") is None and held.said[-1] == "(nothing to retry yet)"
    held.ask("hi", "Hello.")
    for bad in ("/retry hot", "/retry -1", "/retry nan", "/retry 0.2 0.3"):
        assert held.command(bad) is None
        assert held.said[-1].startswith("/retry takes a temperature (a number >= 0)")
        assert "\n" not in held.said[-1]
    assert held.history == ["hi", "Hello."]


def test_a_retry_that_fails_keeps_the_old_answer(tmp_path: Path) -> None:
    backend = FailingBackend()
    got = start(tmp_path, backend=backend)
    got.ask("Name a colour.", "Blue.")
    backend.fail_next = True
    with pytest.raises(ModelError):
        got.command("/retry")
    assert got.history == ["Name a colour.", "Blue."]
    got.command("/retry", "Green.")  # and a later retry still works
    assert got.history == ["Name a colour.", "Green."]


def test_retry_answers_the_way_the_last_turn_was_answered(held: Held, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("The ledger is green.\n", encoding="utf-8")
    held.chat.command("/attach notes.txt")
    held.ask("What colour is the ledger?", "Red.")
    held.command("/retry", "Green.")
    assert "The ledger is green." in sent(held.backend)[-1][1]  # attached again
    assert held.history[-1] == "Green." and len(held.history) == 2


# -- /continue --------------------------------------------------------------------------

def test_continue_goes_on_with_a_cut_off_answer(held: Held) -> None:
    held.chat.command("/set max_tokens 3")
    run = held.ask("Count to five.", "one two three four five")
    assert run.result.usage is not None and run.result.usage.finish_reason == "length"
    held.command("/continue", "four five")
    assert held.history == ["Count to five.", "one two three four five"]
    assert sent(held.backend) == [("system", "old"), ("user", "Count to five."),
                                  ("assistant", "one two three"), ("user", CONTINUE_PROMPT)]


def test_continue_after_an_answer_was_stopped(held: Held) -> None:
    held.backend.enqueue("one two three four")
    turn = held.chat.next_turn("Count.")
    run = held.chat.answer(turn)
    events = iter(run)
    next(events)
    run.close()  # Ctrl-C
    held.chat.settle(turn, run)
    assert held.history[-1] == "one [interrupted]"
    held.command("/continue", "two three")
    assert held.history == ["Count.", "one two three"]
    assert ("assistant", "one") in sent(held.backend)


def test_continue_refuses_a_complete_answer_and_bad_arguments(held: Held) -> None:
    assert held.command("/continue") is None and held.said[-1] == "(no answer to continue)"
    held.ask("hi", "Hello there.")
    assert held.command("/continue") is None and "ended on its own" in held.said[-1]
    assert held.command("/continue please") is None
    assert held.said[-1] == "/continue takes no argument"
    assert len(held.backend.requests) == 1


def test_a_continuation_that_fails_leaves_the_answer_as_it_was(tmp_path: Path) -> None:
    backend = FailingBackend()
    got = start(tmp_path, backend=backend, flags={"max_tokens": 2})
    got.ask("Count.", "one two three")
    backend.fail_next = True
    with pytest.raises(ModelError):
        got.command("/continue")
    assert got.history == ["Count.", "one two"]


# -- /undo ------------------------------------------------------------------------------

def test_undo_removes_the_last_exchange_and_says_what(held: Held) -> None:
    assert held.command("/undo") is None and held.said[-1] == "(nothing to undo)"
    held.ask("My name is Ada.", "Hello Ada.")
    held.ask("I live in Oslo.", "Nice city.")
    held.chat.command("/undo")
    assert held.said[-1] == "(removed: “I live in Oslo.” and its answer “Nice city.”)"
    assert held.history == ["My name is Ada.", "Hello Ada."]
    held.ask("Where do I live?", "I don't know.")
    assert [c for r, c in sent(held.backend) if r == "user"] == ["My name is Ada.",
                                                                  "Where do I live?"]
    held.chat.command("/undo extra")
    assert held.said[-1] == "/undo takes no argument"


# -- /copy ------------------------------------------------------------------------------

def test_copy_the_last_answer_or_its_last_code_block(held: Held) -> None:
    assert held.command("/copy") is None and held.said[-1] == "(no answer to copy yet)"
    held.ask("Show me.", CODE_ANSWER)
    held.chat.command("/copy")
    assert held.copied[-1] == CODE_ANSWER
    assert held.said[-1] == (f"(copied the last answer, {len(CODE_ANSWER)} characters, "
                             "with a test clipboard)")
    held.chat.command("/copy code")
    assert held.copied[-1] == "ls -l" and "its last code block" in held.said[-1]
    held.chat.command("/copy everything")
    assert held.said[-1].startswith("/copy copies the last answer")
    held.ask("And without code?", "Plain words.")
    held.chat.command("/copy code")
    assert held.said[-1] == "(the last answer has no code block)"
    assert len(held.copied) == 2


def test_copy_without_a_clipboard_says_so(tmp_path: Path) -> None:
    got = start(tmp_path, copier=lambda text: None)
    got.ask("hi", "Hello.")
    got.chat.command("/copy")
    assert got.said[-1].startswith("could not copy: no clipboard tool found")


def test_a_code_block_cut_off_before_its_fence_is_copied() -> None:
    from lamp.agent.app.transcript import last_code_block

    assert last_code_block("Try:\n```bash\nls\nwc -l") == "ls\nwc -l"
    assert last_code_block("````\n```\ninner\n```\n````") == "```\ninner\n```"
    assert last_code_block("no code") is None


# -- /save ------------------------------------------------------------------------------

def test_save_markdown_never_replaces_a_file_unless_asked(held: Held, tmp_path: Path) -> None:
    held.ask("My name is Ada.", "Hello Ada.")
    held.chat.command("/save notes.md")  # relative to the caller's cwd
    target = tmp_path / "notes.md"
    assert held.said[-1] == "(saved 2 messages as Markdown to notes.md)"
    text = target.read_text(encoding="utf-8")
    assert "## You\n\nMy name is Ada." in text and "## lamp\n\nHello Ada." in text
    assert "> **System:**" in text and "session: (memory off)" in text
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    held.ask("Again?", "Yes.")
    held.chat.command("/save notes.md")
    assert held.said[-1] == "notes.md exists; '/save! notes.md' replaces it"
    assert target.read_text(encoding="utf-8") == text
    held.chat.command("/save! notes.md")
    assert "(saved 4 messages" in held.said[-1] and "Again?" in target.read_text()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".notes")] == []


def test_save_json_by_name_or_flag(held: Held, tmp_path: Path) -> None:
    held.ask("안녕하세요", "안녕하세요! 무엇을 도와드릴까요?")
    held.chat.command("/save chat.json")
    held.chat.command("/save --json 'two words'")
    for name in ("chat.json", "two words"):
        saved = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        assert saved["messages"] == [{"role": "system", "content": "old"},
                                     {"role": "user", "content": "안녕하세요"},
                                     {"role": "assistant",
                                      "content": "안녕하세요! 무엇을 도와드릴까요?"}]
        assert saved["session"] is None and saved["summary"] is None
    assert "as JSON to" in held.said[-1]


def test_save_with_bad_arguments_says_one_line(held: Held, tmp_path: Path) -> None:
    for line in ("/save", "/save a b", "/save 'unclosed"):
        held.chat.command(line)
        assert "\n" not in held.said[-1]
    held.chat.command("/save missing/dir/notes.md")
    assert held.said[-1].startswith("could not save to missing/dir/notes.md")
    held.chat.command(f"/save! {tmp_path}")
    assert held.said[-1].startswith("could not save to")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


# -- /model and /set --------------------------------------------------------------------

def test_model_switches_and_keeps_the_conversation(tmp_path: Path) -> None:
    other = ScriptedBackend(name="other")
    got = start(tmp_path, others={"small": other})
    got.ask("My name is Ada.", "Hello Ada.")
    got.chat.command("/model small")
    assert got.said[-1].startswith("(model: ") and "goes on" in got.said[-1]
    assert got.chat.conversation.backend is other and got.rt.model() is other
    other.enqueue("Ada.")
    got.run(got.chat.next_turn("What is my name?"))
    assert [c for _, c in sent(other)] == ["old", "My name is Ada.", "Hello Ada.",
                                           "What is my name?"]
    got.chat.command("/model nonesuch")
    assert got.said[-1] == "could not switch to nonesuch: no model named 'nonesuch'"
    assert got.chat.conversation.backend is other
    got.chat.command("/model")
    assert got.said[-1].startswith("model: ")


def test_set_changes_sampling_and_refuses_bad_values(held: Held) -> None:
    chat, said = held.chat, held.said
    chat.command("/set temperature 0.2")
    assert said[-1] == "(temperature 0.2)" and chat.conversation.sampling.temperature == 0.2
    chat.command("/set top-p 0.5")
    chat.command("/set seed 7")
    chat.command("/set max_tokens 64")
    sampling = chat.conversation.sampling
    assert (sampling.top_p, sampling.seed, sampling.max_tokens) == (0.5, 7, 64)
    for bad, why in (("/set top_p 2", "top_p must be in (0, 1]"),
                     ("/set temperature warm", "temperature must be float"),
                     ("/set colour blue", "/set knows temperature"),
                     ("/set seed", "/set seed VALUE")):
        chat.command(bad)
        assert why in said[-1] and "\n" not in said[-1], bad
    assert chat.conversation.sampling == sampling
    chat.command("/set")
    assert said[-1].startswith("temperature 0.2, top_p 0.5, top_k 40, max_tokens 64, seed 7")
    held.ask("hi", "Hello.")
    assert held.backend.requests[-1][1] == sampling
    chat.command("/set seed -1")
    assert said[-1] == "(seed random)"


# -- /stats, /session, /sessions --------------------------------------------------------

def test_stats_says_speed_context_memory_and_tools(held: Held) -> None:
    held.chat.command("/stats")
    assert held.said[-1].startswith("last answer: none yet\ncontext: ")
    held.ask("hi", "Hello there friend.")
    held.chat.command("/tools calculator")
    held.chat.command("/stats")
    lines = held.said[-1].splitlines()
    assert lines[0].startswith("last answer: 3 tokens in ") and "first token after" in lines[0]
    assert lines[0].endswith("; complete")
    window = held.chat.conversation.window_tokens()
    assert lines[1] == (f"context: {window:,} of 4,096 tokens used by the conversation, "
                        f"{4096 - window:,} left (each answer may take 512)")
    assert lines[2] == "history: 2 messages, 2 of them sent; no running summary"
    assert lines[3:5] == ["memory: off", "tools: calculator; documents: off"]


def test_session_commands_with_memory_off(held: Held) -> None:
    held.chat.command("/session")
    assert held.said[-1] == "memory off: this chat is not kept"
    held.chat.command("/sessions")
    assert held.said[-1] == "memory off: no sessions to list"


def test_memory_follows_undo_retry_and_continue(tmp_path: Path) -> None:
    """The session's store holds what the conversation holds: an undone exchange and the
    answers a retry or a continuation replaced are deleted from it."""
    got = start(tmp_path, memory=MemoryChoice(session="day", long_lived=True),
                flags={"max_tokens": 3})
    try:
        got.chat.command("/session")
        assert got.said[-1].startswith("session day ")
        got.ask("My name is Ada.", "Hello Ada.")
        got.ask("I live in Oslo.", "Nice city.")
        got.chat.command("/undo")
        assert got.said[-1].endswith("also taken out of session day's memory)")
        got.command("/retry", "Hi Ada.")
        got.ask("Count.", "one two three four")
        got.command("/continue", "four")
        got.chat.command("/sessions")
        assert got.said[-1].startswith("* day  turns=")
    finally:
        got.chat.close()
        got.rt.close()  # waits for the store's writes
    from lamp.agent.app.memory import open_store

    store = open_store(got.rt.memory_location())
    try:
        kept = [(t.role, t.text) for t in store.history("day")]
    finally:
        store.close()
    assert kept == [("user", "My name is Ada."), ("assistant", "Hi Ada."),
                    ("user", "Count."), ("assistant", "one two three four")]


# -- the running summary ----------------------------------------------------------------

def words(n: int, word: str = "w") -> str:
    return " ".join([word] * n)


def test_turns_that_no_longer_fit_are_folded_into_a_summary(tmp_path: Path) -> None:
    backend = ScriptedBackend(context=400)
    got = start(tmp_path, backend=backend, flags={"max_tokens": 40})
    conversation = got.chat.conversation
    for i in range(4):  # 4 exchanges of ~70 tokens: 280 of the 360 the history may take
        got.ask(f"q{i} {words(30)}", f"a{i} {words(30)}")
    assert conversation.summary == "" and len(backend.requests) == 4
    backend.enqueue("The user asked q0 and q1.", "Answer five.")
    run = Run(got.chat.conversation.send(f"q4 {words(100)}"))
    result = run.consume()
    summary_call, answer_call = backend.requests[-2], backend.requests[-1]
    assert summary_call[0][0].content.startswith("You keep a running summary")
    assert summary_call[1].max_tokens == 120 and summary_call[1].temperature == 0
    # The newest dropped turns that fit the summary's own small prompt; "w w w" is no
    # language in particular.
    given = summary_call[0][1].content
    assert "User: q1" in given and "Assistant: a2" in given and "q0" not in given
    assert "in the language of the conversation" in summary_call[0][0].content
    system = answer_call[0][0].content
    assert system.startswith("old\n\nSummary of earlier conversation (turns that no longer "
                             "fit):\n<memory>\nThe user asked q0 and q1.\n</memory>")
    assert conversation.summary == "The user asked q0 and q1."
    assert conversation.folded >= 2 and conversation.folded % 2 == 0
    first_sent = next(m.content for m in answer_call[0] if m.role == "user")
    assert first_sent == conversation.history[conversation.folded].content
    assert result.notices == ["the conversation no longer fits the context window: its "
                              "earliest turns are kept as a short summary in the system "
                              "prompt"]
    # Folded down to half the room: the next turn fits without another summary.
    backend.enqueue("Six.")
    events = list(conversation.send("q6 short"))
    assert not [e for e in events if isinstance(e, Notice)]
    assert len(backend.requests) == 7
    assert len(conversation.history) == 12  # nothing is lost: /save still has it all


def test_the_summary_is_written_in_the_conversations_language(tmp_path: Path) -> None:
    backend = ScriptedBackend(context=500)
    got = start(tmp_path, backend=backend, flags={"max_tokens": 40})
    for _ in range(4):
        got.ask(f"저는 서울에 살아요 {words(45, '그리고')}", f"좋아요 {words(45, '네')}")
    backend.enqueue("사용자는 서울에 산다.", "네.")
    list(got.chat.conversation.send(f"제 이름은 민수예요 {words(100, '그리고')}"))
    summary_call = next(r for r in backend.requests
                        if r[0][0].content.startswith("You keep a running summary"))
    assert "in Korean" in summary_call[0][0].content
    assert got.chat.conversation.summary == "사용자는 서울에 산다."


def test_a_long_summary_is_capped_and_reset_clears_it(tmp_path: Path) -> None:
    from lamp.agent.summary import SUMMARY_CHARS

    backend = ScriptedBackend(context=600)
    got = start(tmp_path, backend=backend, flags={"max_tokens": 150})
    for i in range(2):
        got.ask(f"q{i} {words(60)}", f"a{i} {words(60)}")
    long = ". ".join(["Extraordinarily comprehensive summarization sentence"] * 60)
    backend.enqueue(long, "ok")
    list(got.chat.conversation.send(words(200)))
    conversation = got.chat.conversation
    assert 0 < len(conversation.summary) <= SUMMARY_CHARS
    got.chat.command("/stats")
    assert "kept as a running summary" in got.said[-1]
    got.chat.command("/reset")
    assert (conversation.summary, conversation.folded) == ("", 0)


def test_turns_taken_out_are_never_recalled_again() -> None:
    from lamp.agent.conversation import Conversation

    class Hook:
        def __init__(self) -> None:
            self.excluded: list[set[int]] = []
            self.turn = 0

        def recall(self, query: str, exclude_turns: set[int], token_budget: int) -> str:
            self.excluded.append(set(exclude_turns))
            return ""

        def record(self, user: str, assistant: str) -> tuple[int, int]:
            self.turn += 2
            return self.turn - 2, self.turn - 1

    hook = Hook()
    backend = ScriptedBackend().enqueue("a", "b", "c")
    conversation = Conversation(backend, Sampling(), memory=hook)
    list(conversation.send("one"))
    list(conversation.send("two"))
    taken = conversation.take_last()
    assert taken is not None and taken.stored == [(2, "user"), (3, "assistant")]
    list(conversation.send("three"))
    assert hook.excluded[-1] == {0, 1, 2, 3}
    assert conversation.turn_numbers == [0, 1, 4, 5]
