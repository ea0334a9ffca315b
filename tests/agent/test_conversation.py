from __future__ import annotations

from lamp.agent.app.prepare import prepare_ask
from lamp.agent.conversation import Conversation, compose_user_message
from lamp.agent.events import FinalAnswer, Notice, TextDelta, Usage
from lamp.agent.models import Message, Sampling, ScriptedBackend
from lamp.agent.templates import BUILTIN_TEMPLATES


def test_send_streams_deltas_then_usage_then_answer() -> None:
    backend = ScriptedBackend().enqueue("Paris is the capital")
    conv = Conversation(backend, Sampling(max_tokens=50), system="be brief")
    events = list(conv.send("capital of France?"))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert "".join(deltas) == "Paris is the capital"
    assert len(deltas) == 4
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.completion_tokens == 4 and usage.finish_reason == "stop"
    assert isinstance(events[-1], FinalAnswer) and events[-1].text == "Paris is the capital"
    sent, sampling, _ = backend.requests[0]
    assert sent == [Message("system", "be brief"), Message("user", "capital of France?")]
    assert sampling.max_tokens == 50


def test_second_turn_sees_the_first() -> None:
    backend = ScriptedBackend().enqueue("Hi Ada.", "Your name is Ada.")
    conv = Conversation(backend, Sampling())
    list(conv.send("My name is Ada."))
    list(conv.send("What is my name?"))
    second = backend.requests[1][0]
    assert [m.content for m in second] == ["My name is Ada.", "Hi Ada.", "What is my name?"]


def test_reset_forgets_history() -> None:
    backend = ScriptedBackend().enqueue("a", "b")
    conv = Conversation(backend, Sampling())
    list(conv.send("one"))
    conv.reset()
    list(conv.send("two"))
    assert [m.content for m in backend.requests[1][0]] == ["two"]


def test_interrupted_answer_is_kept_marked_in_history() -> None:
    backend = ScriptedBackend().enqueue("one two three four")
    conv = Conversation(backend, Sampling())
    stream = conv.send("count")
    assert isinstance(next(stream), TextDelta)
    stream.close()  # what chat does on Ctrl-C
    assert conv.history[-1] == Message("assistant", "one [interrupted]")


def test_truncation_is_announced() -> None:
    backend = ScriptedBackend(context=300).enqueue("ok")
    conv = Conversation(backend, Sampling(max_tokens=50), truncate=True)
    events = list(conv.send("w " * 1000))
    notices = [e for e in events if isinstance(e, Notice)]
    assert notices and "truncated" in notices[0].message


def test_compose_puts_material_after_the_request() -> None:
    text = compose_user_message("summarize this", "line one\nline two\n")
    assert text.startswith("summarize this")
    assert "line one\nline two" in text
    assert compose_user_message("", "only material") == "only material"
    assert compose_user_message("only prompt", None) == "only prompt"


def test_template_brings_system_examples_and_temperature() -> None:
    backend = ScriptedBackend().enqueue("negative")
    prepared = prepare_ask(backend, Sampling(temperature=0.7), prompt="", material="awful, broke",
                           system="default system", template=BUILTIN_TEMPLATES["sentiment"])
    list(prepared.conversation.send(prepared.user_text))
    messages, sampling, _ = backend.requests[0]
    assert messages[0].role == "system" and "sentiment" in messages[0].content
    assert messages[1].role == "user" and messages[2].role == "assistant"  # few-shot pair
    assert "awful, broke" in messages[-1].content
    assert sampling.temperature == 0.0


def test_user_choices_beat_template_defaults() -> None:
    backend = ScriptedBackend().enqueue("x")
    prepared = prepare_ask(backend, Sampling(temperature=0.9), prompt="", material="text",
                           system="mine", template=BUILTIN_TEMPLATES["summarize"],
                           system_from_user=True, temperature_from_user=True)
    list(prepared.conversation.send(prepared.user_text))
    messages, sampling, _ = backend.requests[0]
    assert messages[0].content == "mine" and sampling.temperature == 0.9


class FakeMemory:
    def __init__(self, block: str = "") -> None:
        self.block = block
        self.recalls: list[tuple[str, set[int], int]] = []
        self.records: list[tuple[str, str]] = []
        self.next = 100

    def recall(self, query: str, exclude_turns: set[int], token_budget: int) -> str:
        self.recalls.append((query, exclude_turns, token_budget))
        return self.block

    def record(self, user: str, assistant: str) -> tuple[int, int]:
        self.records.append((user, assistant))
        self.next += 2
        return self.next - 2, self.next - 1

    def forget(self, turns: list[tuple[int, str]]) -> None:
        self.forgotten = [*getattr(self, "forgotten", []), *turns]


def test_an_amended_answer_replaces_the_first_in_history_and_memory() -> None:
    memory = FakeMemory()
    backend = ScriptedBackend().enqueue('{"age": "old"}', '{"age": 36}')
    conv = Conversation(backend, Sampling(max_tokens=50), system="s", memory=memory)
    list(conv.send("Ada is 36"))
    list(conv.amend_last("age must be an integer"))
    # The model saw its first answer and the complaint ...
    seen = [m.content for m in backend.requests[1][0][1:]]
    assert seen == ["Ada is 36", '{"age": "old"}', "age must be an integer"]
    # ... and one exchange is kept: the question with the answer that counts.
    assert [m.content for m in conv.history] == ["Ada is 36", '{"age": 36}']
    assert memory.records[-1] == ("Ada is 36", '{"age": 36}')
    assert memory.forgotten == [(100, "user"), (101, "assistant")]
    assert conv.turn_numbers == [102, 103]


def test_memory_block_goes_into_the_system_prompt_and_turns_are_recorded() -> None:
    memory = FakeMemory("Relevant memory from earlier:\n- fact: the dog is called Rex")
    backend = ScriptedBackend().enqueue("Rex")
    conv = Conversation(backend, Sampling(max_tokens=50), system="be brief", memory=memory)
    conv.load([(0, Message("user", "hello")), (1, Message("assistant", "hi"))])
    list(conv.send("what is my dog called?"))
    system = backend.requests[0][0][0]
    assert system.role == "system" and system.content.startswith("be brief")
    assert "the dog is called Rex" in system.content
    query, excluded, budget = memory.recalls[0]
    assert query == "what is my dog called?" and excluded == {0, 1} and 32 < budget <= 384
    assert memory.records == [("what is my dog called?", "Rex")]
    assert conv.turn_numbers == [0, 1, 100, 101]


def test_turns_that_fell_out_of_the_window_are_recallable() -> None:
    memory = FakeMemory()
    backend = ScriptedBackend(context=400).enqueue("ok")
    conv = Conversation(backend, Sampling(max_tokens=50), system="s", memory=memory)
    turns = []
    for i in range(40):
        turns += [(2 * i, Message("user", f"message {i} " + "w " * 10)),
                  (2 * i + 1, Message("assistant", f"reply {i}"))]
    conv.load(turns)
    list(conv.send("question"))
    excluded = memory.recalls[0][1]
    assert 0 not in excluded and 1 not in excluded  # oldest turns are out of the window
    assert 79 in excluded and 78 in excluded  # newest are in it
