"""Before the first agent step: does this question need a tool at all?

Shown a list of functions, a small model calls one even for "Which planet is
known as the Red Planet?" (the calculator, with numbers it made up) and then
answers with the result. Asked the narrower question first, with a few worked
cases, it keeps plain questions plain: those are answered the way `lamp ask`
answers them, and only the rest go through the tool loop (docs/tools.md has the
figures). The decision is one grammar-constrained token pair, so it costs a
prompt evaluation and almost no generation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .formats import ToolSpec
from .models import Backend, Message, Sampling, complete

__all__ = ["ROUTE_EXAMPLES", "Route", "needs_tool", "route_messages"]

_SYSTEM = (
    "Available tools:\n{tools}\n\n"
    "Decide whether one of these tools should be called to answer the user's question. "
    "Reply `tool` only when a listed tool can do what the question asks and its result "
    "is needed for a correct answer (exact arithmetic on given numbers, running code, "
    "reading files). Reply `direct` when general knowledge, explanation, writing, "
    "rewriting or translation is enough, or when none of the listed tools fits."
)

# Worked cases shown as earlier turns: (question, needs a tool). Written for this
# purpose; none is from a benchmark set.
ROUTE_EXAMPLES: tuple[tuple[str, bool], ...] = (
    ("What is 48213 * 377?", True),
    ("Who wrote the novel Don Quixote?", False),
    ("In what year did the Berlin Wall fall?", False),
    ("List the files in the current folder.", True),
    ("Write a two-line poem about rain.", False),
    ("What is 15% of 2,340 dollars?", True),
    ("'오늘 날씨가 참 좋네요'를 영어로 번역해 주세요.", False),
    ("How many days are there from 3 March 2021 to 19 August 2024?", True),
    ("Make this shorter: 'At this point in time we are unable to accept returns.'", False),
    ("조선 왕조를 세운 사람은 누구인가요?", False),
)

_GRAMMAR = 'root ::= "tool" | "direct"'


@dataclass(frozen=True)
class Route:
    """The decision and what it cost (for the step record)."""

    tool: bool
    prompt_tokens: int
    seconds: float


def route_messages(question: str, tools: Sequence[ToolSpec]) -> list[Message]:
    listing = "\n".join(f"- {t.name}: {t.description.strip().splitlines()[0]}" for t in tools)
    out = [Message("system", _SYSTEM.format(tools=listing))]
    for example, needs in ROUTE_EXAMPLES:
        out += [Message("user", example), Message("assistant", "tool" if needs else "direct")]
    return [*out, Message("user", question)]


def needs_tool(backend: Backend, question: str, tools: Sequence[ToolSpec],
               sampling: Sampling) -> Route:
    """Whether answering ``question`` needs one of ``tools`` (greedy, two tokens at most).
    A backend without grammar support cannot be held to the two words: it routes to the
    tool loop, as lamp did before there was a router."""
    if not tools or not backend.capabilities.grammar:
        return Route(bool(tools), 0, 0.0)
    pick = replace(sampling, temperature=0.0, max_tokens=3, stop=())
    text, usage = complete(backend, route_messages(question, tools), pick, _GRAMMAR)
    return Route(text.strip() != "direct", usage.prompt_tokens, usage.seconds_total)
