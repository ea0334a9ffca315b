from __future__ import annotations

from lamp.agent.ask import prepare_ask
from lamp.agent.backend import Message, Sampling
from lamp.agent.conversation import Conversation, compose_user_message
from lamp.agent.events import FinalAnswer, Notice, TextDelta, Usage
from lamp.agent.templates import BUILTIN_TEMPLATES
from lamp.agent.testing import ScriptedBackend


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
