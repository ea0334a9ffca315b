"""The real default model through the in-process llama.cpp backend (greedy, short)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.conversation import Conversation
from lamp.agent.errors import ModelFileError
from lamp.agent.events import FinalAnswer
from lamp.agent.models import Message, Sampling
from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions

pytestmark = pytest.mark.integration
GREEDY = Sampling(temperature=0, max_tokens=16)


@pytest.fixture(scope="module")
def backend(default_model: Path) -> LlamaCppBackend:
    return LlamaCppBackend(LlamaOptions(default_model, n_ctx=2048))


def answer(backend: LlamaCppBackend, messages: list[Message], sampling: Sampling = GREEDY,
           grammar: str | None = None) -> tuple[str, object]:
    chunks = list(backend.stream_chat(messages, sampling, grammar))
    return "".join(c.text for c in chunks), chunks[-1]


def test_uses_the_gguf_chat_template(backend: LlamaCppBackend) -> None:
    rendered = backend.render([Message("system", "S"), Message("user", "U")])
    assert rendered == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n" \
                       "<|im_start|>assistant\n"


def test_greedy_capital_question(backend: LlamaCppBackend) -> None:
    msgs = [Message("system", "Answer in one word."),
            Message("user", "What is the capital of France?")]
    text, last = answer(backend, msgs)
    assert "Paris" in text
    assert last.prompt_tokens == backend.count_tokens(msgs)
    assert last.finish_reason == "stop" and last.completion_tokens >= 1


def test_greedy_is_deterministic(backend: LlamaCppBackend) -> None:
    msgs = [Message("user", "Name three colors.")]
    assert answer(backend, msgs)[0] == answer(backend, msgs)[0]


def test_max_tokens_caps_generation(backend: LlamaCppBackend) -> None:
    _, last = answer(backend, [Message("user", "Count from 1 to 100 separated by spaces.")],
                        Sampling(temperature=0, max_tokens=5))
    assert last.completion_tokens == 5 and last.finish_reason == "length"


def test_stop_string_ends_without_leaking(backend: LlamaCppBackend) -> None:
    text, last = answer(backend, [Message("user", "Count from 1 to 10 separated by spaces.")],
                        Sampling(temperature=0, max_tokens=40, stop=("5",)))
    assert "5" not in text and "4" in text and last.finish_reason == "stop"



def test_token_chances_come_with_the_reply_only_when_asked(backend: LlamaCppBackend) -> None:
    msgs = [Message("system", "Answer in one word."),
            Message("user", "What is the capital of France?")]
    plain, last_plain = answer(backend, msgs)
    text, last = answer(backend, msgs, Sampling(temperature=0, max_tokens=16,
                                                token_chances=True))
    assert last_plain.token_chances == () and text == plain  # asking changes no token
    chances = last.token_chances
    assert len(chances) == last.completion_tokens >= 1
    assert "".join(t.text for t in chances) == text
    assert all(0 < t.chance <= 1 for t in chances)
    # The answer to a question this easy is no close call.
    assert chances[0].chance > 0.5
    assert all(t.rivals == () for t in chances)  # rivals only when asked for


def test_a_grammar_choice_reports_what_it_was_weighed_against(backend: LlamaCppBackend) -> None:
    # The router reads "yes" against "no" from these: the chances before the grammar.
    msgs = [Message("user", "Is Paris in France? Answer yes or no.")]
    _, last = answer(backend, msgs, Sampling(temperature=0, max_tokens=3, token_chances=True,
                                             token_rivals=4), grammar='root ::= "yes" | "no"')
    head = last.token_chances[0]
    assert head.text == "yes" and len(head.rivals) == 4
    weights = [chance for _, chance in head.rivals]
    assert weights == sorted(weights, reverse=True) and all(0 < w <= 1 for w in weights)
    assert head.text not in [text for text, _ in head.rivals]
    assert head.chance + sum(weights) <= 1 + 1e-6

def test_grammar_constrains_output(backend: LlamaCppBackend) -> None:
    text, _ = answer(backend, [Message("user", "Is the sky blue? Reply yes or no.")],
                     Sampling(temperature=0, max_tokens=4), grammar='root ::= "YES" | "NO"')
    assert text in {"YES", "NO"}


def test_special_tokens_are_named_in_grammars(backend: LlamaCppBackend) -> None:
    """Quoted text never matches a special token, so the native tool-call grammar must name
    <tool_call> by id; with that rule the model writes the real token."""
    rule = backend.special_token_rule("<tool_call>")
    assert rule is not None and rule.startswith("<[")
    assert backend.special_token_rule("hello") is None
    text, _ = answer(backend, [Message("user", "hi")], Sampling(temperature=0, max_tokens=3),
                     grammar=f"root ::= {rule} [a-z]*")
    assert text.startswith("<tool_call>")


def test_multi_turn_recall_through_conversation(backend: LlamaCppBackend) -> None:
    conv = Conversation(backend, Sampling(temperature=0, max_tokens=20),
                        system="You are a helpful assistant.")
    list(conv.send("My favourite fruit is the mango. Just say OK."))
    final = [e for e in conv.send("What is my favourite fruit? One word.")
             if isinstance(e, FinalAnswer)]
    assert "mango" in final[0].text.lower()


def test_truncated_model_is_explained(default_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with default_model.open("rb") as src:
        cut.write_bytes(src.read(30_000_000))
    with pytest.raises(ModelFileError, match="truncated"):
        LlamaCppBackend(LlamaOptions(cut))
