"""The router's two questions read as leans: how the model's token chances decide."""

from __future__ import annotations

from lamp.agent.models import Capabilities, Reply, Sampling, ScriptedBackend, TokenChance
from lamp.agent.models.usage import Usage
from lamp.agent.react.formats import ToolSpec
from lamp.agent.react.route import TOOL_FROM, lean_toward, needs_tool

CAPITAL = [ToolSpec("country_capital", "The capital city of a country.",
                    {"type": "object", "properties": {"country": {"type": "string"}}})]


def _reply(*chances: TokenChance) -> Reply:
    return Reply("".join(c.text for c in chances), Usage(0, 0, 0.0, 0.0), chances)


def _weighing(**chances: tuple[float, tuple[tuple[str, float], ...]]) -> ScriptedBackend:
    """A grammar model that reports each word's chance and what it was weighed against."""
    return ScriptedBackend(
        capabilities=Capabilities(grammar=True, token_chances=True),
        word_chances={word: chance for word, (chance, _) in chances.items()},
        word_rivals={word: rivals for word, (_, rivals) in chances.items()})


def test_a_lean_is_the_chance_of_one_word_against_the_other() -> None:
    reply = _reply(TokenChance("yes", 0.6, (("no", 0.2), ("Yes", 0.1))))
    assert abs(lean_toward(reply, "yes", "no") - 0.75) < 1e-9
    assert abs(lean_toward(reply, "no", "yes") - 0.25) < 1e-9


def test_a_word_split_by_the_tokenizer_counts_through_its_first_token() -> None:
    reply = _reply(TokenChance("tool", 0.3, (("dir", 0.6), ("calculate", 0.1))))
    assert abs(lean_toward(reply, "tool", "direct") - 1 / 3) < 1e-9


def test_no_chances_means_no_lean() -> None:
    assert lean_toward(_reply(), "yes", "no") is None
    assert lean_toward(Reply("yes", Usage(0, 0, 0.0, 0.0)), "yes", "no") is None


def test_two_unsure_yeses_are_not_a_call() -> None:
    # "tool" at 0.7 and "yes" at 0.6: greedy decoding would call; together they lean
    # toward the tool by 0.42, under the shipped bar.
    backend = _weighing(tool=(0.7, (("direct", 0.3),)), yes=(0.6, (("no", 0.4),)))
    route = needs_tool(backend.enqueue("tool", "yes"), "What is the capital of Peru?",
                       CAPITAL, Sampling())
    assert TOOL_FROM > 0.42 and not route.tool and route.leans == (0.7, 0.6)
    sent = backend.requests[0][1]
    assert sent.token_chances and sent.token_rivals > 0 and sent.temperature == 0


def test_two_sure_yeses_are_a_call() -> None:
    backend = _weighing(tool=(0.95, (("direct", 0.05),)), yes=(0.9, (("no", 0.1),)))
    route = needs_tool(backend.enqueue("tool", "yes"), "What is the capital of Peru?",
                       CAPITAL, Sampling())
    assert route.tool and route.leans == (0.95, 0.9)


def test_a_first_lean_under_the_bar_skips_the_second_question() -> None:
    backend = _weighing(tool=(0.55, (("direct", 0.45),)))
    route = needs_tool(backend.enqueue("tool"), "What is the capital of Peru?", CAPITAL,
                       Sampling(), tool_from=0.6)
    assert not route.tool and len(backend.requests) == 1 and route.leans == (0.55,)


def test_without_chances_the_words_chosen_decide_whatever_the_bar() -> None:
    backend = ScriptedBackend().enqueue("tool", "yes")  # grammar, no token chances
    route = needs_tool(backend, "Capital of Peru?", CAPITAL, Sampling(), tool_from=0.99)
    assert route.tool and route.leans == () and not backend.requests[0][1].token_chances
    backend = ScriptedBackend().enqueue("tool", "no")
    assert not needs_tool(backend, "Capital of Peru?", CAPITAL, Sampling()).tool
