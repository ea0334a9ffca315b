"""`lamp cmd`'s agent side: the one-line grammar, the prompt, proposals and revisions."""

from __future__ import annotations

import re

import pytest

from lamp.agent.errors import InvalidOutput
from lamp.agent.events import TextDelta
from lamp.agent.models import Capabilities, Sampling, ScriptedBackend
from lamp.agent.shell.drafter import (
    COMMAND_MAX_CHARS,
    CommandDrafter,
    ShellTarget,
    command_grammar,
)

BASH = ShellTarget("bash", "Linux")


def test_the_grammar_compiles_with_llama_cpp() -> None:
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(command_grammar(), verbose=False)


def _as_regex(grammar: str) -> re.Pattern[str]:
    """The grammar read as a regular expression (it is one: two character classes)."""
    rules = dict(line.split(" ::= ", 1) for line in grammar.strip().splitlines())
    assert rules["root"] == f"first rest{{0,{COMMAND_MAX_CHARS - 1}}}"
    first = rules["first"].encode().decode("unicode_escape")
    rest = rules["rest"].encode().decode("unicode_escape")
    return re.compile(f"{first}{rest}{{0,{COMMAND_MAX_CHARS - 1}}}")


@pytest.mark.parametrize("text, ok", [
    ("ls -la", True),
    ("find . -name '*.py' | xargs wc -l", True),
    ("du -sh 사진", True),
    ("ls\nrm -rf /", False),
    ("ls\r", False),
    ("```bash", False),
    (" ls", False),
    ("# a comment", False),
    ("x" * COMMAND_MAX_CHARS, True),
    ("x" * (COMMAND_MAX_CHARS + 1), False),
])
def test_the_grammar_admits_one_bounded_line(text: str, ok: bool) -> None:
    assert bool(_as_regex(command_grammar()).fullmatch(text)) is ok


def test_a_proposal_is_greedy_short_and_constrained() -> None:
    backend = ScriptedBackend().enqueue("ls -a")
    drafter = CommandDrafter(backend, Sampling(temperature=0.8, max_tokens=2048), BASH)
    assert drafter.propose("list all files").command == "ls -a"
    messages, sampling, grammar = backend.requests[0]
    assert grammar == command_grammar()
    assert sampling.temperature == 0.0 and sampling.max_tokens <= 200
    assert "bash" in messages[0].content and "Linux" in messages[0].content
    # Worked examples in English and Korean come before the request.
    examples = [m.content for m in messages[1:-1]]
    assert any(re.search("[가-힣]", m) for m in examples)
    assert messages[-1].content == "list all files"


def test_chosen_sampling_is_kept_and_fish_gets_fish_examples() -> None:
    backend = ScriptedBackend().enqueue("ls -a")
    drafter = CommandDrafter(backend, Sampling(temperature=0.8, max_tokens=999),
                             ShellTarget("fish", "macOS"), greedy=False, cap_tokens=False)
    drafter.propose("list")
    messages, sampling, _ = backend.requests[0]
    assert (sampling.temperature, sampling.max_tokens) == (0.8, 999)
    assert not any("done" in m.content for m in messages if m.role == "assistant")


def test_a_revision_sees_the_proposal_and_the_correction() -> None:
    backend = ScriptedBackend().enqueue("ls", "ls -la")
    drafter = CommandDrafter(backend, Sampling(), BASH)
    drafter.propose("list files")
    assert drafter.revise("include hidden ones, long format").command == "ls -la"
    messages, _, grammar = backend.requests[1]
    texts = [m.content for m in messages]
    assert texts[-3:-1] == ["list files", "ls"]
    assert "include hidden ones" in texts[-1] and grammar == command_grammar()


def test_describe_streams_prose_in_a_conversation_of_its_own() -> None:
    backend = ScriptedBackend().enqueue("ls -a", "ls: lists files\n-a: hidden ones too", "ls")
    drafter = CommandDrafter(backend, Sampling(), BASH)
    drafter.propose("list all")
    text = "".join(e.text for e in drafter.describe("ls -a") if isinstance(e, TextDelta))
    assert text.startswith("ls: lists files")
    messages, _, grammar = backend.requests[1]
    assert grammar is None and "ls -a" in messages[-1].content
    # Worked explanations in the request's language, not placeholders to fill in.
    shown = [m.content for m in messages[1:-1]]
    assert len(shown) == 4 and "**Effect:**" in shown[1] and "<" not in " ".join(shown)
    assert "Write in English" in messages[0].content
    drafter.revise("shorter")  # the explanation is not in the proposing conversation
    assert "lists files" not in " ".join(m.content for m in backend.requests[2][0])


def test_a_korean_request_is_explained_in_korean() -> None:
    backend = ScriptedBackend().enqueue("du -sh .", "- `du` — 크기")
    drafter = CommandDrafter(backend, Sampling(), BASH)
    drafter.propose("이 폴더 크기 알려줘")
    list(drafter.describe("du -sh ."))
    messages = backend.requests[1][0]
    assert "Write in Korean" in messages[0].content
    assert "**결과:**" in messages[2].content and "이 폴더 크기 알려줘" in messages[-1].content


def test_no_command_is_invalid_output() -> None:
    drafter = CommandDrafter(ScriptedBackend().enqueue("   "), Sampling(), BASH)
    with pytest.raises(InvalidOutput, match="proposed no command"):
        drafter.propose("do it")


def test_a_backend_without_grammars_stops_at_the_first_line() -> None:
    backend = ScriptedBackend(capabilities=Capabilities()).enqueue("```bash\nls -a\n```")
    drafter = CommandDrafter(backend, Sampling(), BASH)
    assert drafter.propose("list").command == "ls -a"
    _, sampling, grammar = backend.requests[0]
    assert grammar is None and "\n" in sampling.stop
