"""Before the first agent step: does this question need a tool at all?

Shown a list of functions, a small model calls one even for "Which planet is
known as the Red Planet?" (the calculator, with numbers it made up) and then
answers with the result. Asked the narrower question first, with a few worked
cases, it keeps plain questions plain: those are answered the way `lamp ask`
answers them, and only the rest go through the tool loop (docs/tools.md has the
figures). The decision is one grammar-constrained token pair, so it costs a
prompt evaluation and almost no generation.

Where the backend reports token chances, each answer is read as a lean rather than
a word: the chance the model gave the tool-ward word ("tool", "yes") against the
other one. A model that says "tool" at 60% and then "yes" at 60% to a tool of the
wrong subject is not sure of the call it is about to make; greedy decoding would
make it anyway. The bar both leans must reach together was chosen on half a of
five sets: BFCL's three categories and lamp's own tool and plain questions
(docs/tools.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..models import Backend, Message, Reply, Sampling, complete_reply, worked_turns
from .formats import ToolSpec

__all__ = ["FIT_EXAMPLES", "ROUTE_EXAMPLES", "TOOL_FROM", "Route", "fit_messages",
           "lean_toward", "leans_reach", "needs_tool", "route_messages"]

# How far the two answers together must lean toward the tool: the first's lean toward
# "tool" times the second's toward "yes". Without token chances each lean is 1 or 0 by
# the word chosen, so any bar up to 1 means "both said so", as greedy decoding did.
# 0.5 was the best bar on half a of five sets together (BFCL simple, multiple and
# irrelevance end to end; lamp's own tool and plain questions with its default tools,
# routed); half b and what it costs beside it in docs/tools.md. Higher bars turned
# BFCL's misfires away but also lamp's own arithmetic: the right "yes" is less sure
# when two listed tools (calculator, python) both fit.
TOOL_FROM = 0.5
# The likeliest other first tokens read beside the chosen one. A word outside them
# weighs less than the eighth likeliest token and counts as nothing.
_RIVALS = 8

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

# A caller's own system prompt can decide what needs a tool ("the paragraphs can only
# be read through the tools", "check every sum with the calculator"), so both questions
# see it after their own instructions.
_INSTRUCTIONS = "\n\nThe user gave the assistant these instructions, which apply here too:\n{}"


def _with_instructions(system: str, instructions: str) -> str:
    return system + _INSTRUCTIONS.format(instructions.strip()) if instructions.strip() else system

# The second question, asked only after "tool": can one of *these* tools do it? Asked
# alone, the first question is answered from the kind of request ("a computation needs a
# tool"), so a request to compute one thing goes to a tool that computes another. Here
# every worked case carries its own tool list, and the decision is a match between the
# two. The instructions and cases are the same for every question (a cached prefix).
_FIT_SYSTEM = (
    "Each message lists the available tools and a request. Reply `yes` when one of the "
    "listed tools does what the request asks. Reply `no` when none of them does: a tool "
    "for a different quantity, subject, place or task does not fit, however close its "
    "name sounds."
)
_CALC = ("calculator", "Exact arithmetic on an expression.")
_PY = ("python", "Run a short Python program and return what it prints.")
_FILES = (("list_dir", "List the entries of a directory."), ("read_file", "Read a text file."))
# (tools offered, request, one of them fits). Written for this purpose; none is from a
# benchmark set.
FIT_EXAMPLES: tuple[tuple[tuple[tuple[str, str], ...], str, bool], ...] = (
    ((_CALC, _PY), "What is 48213 * 377?", True),
    ((("get_weather", "Current weather for a city."),), "What is 15% of 2,340 dollars?", False),
    (_FILES, "List the files in the current folder.", True),
    ((("circle_area", "Area of a circle from its radius."),),
     "What is the area of a rectangle 4 m wide and 7 m long?", False),
    ((("convert_currency", "Convert an amount between two currencies at today's rate."),),
     "How many Japanese yen is 250 euros today?", True),
    ((("translate_text", "Translate text between languages."),),
     "How many days are there from 3 March 2021 to 19 August 2024?", False),
    ((("stock_price", "Latest share price for a ticker symbol."),),
     "삼성전자 주가가 지금 얼마야?", True),
    ((("find_hotels", "Hotels in a city with prices per night."),),
     "서울에서 부산까지 KTX로 몇 시간 걸려?", False),
    ((_PY, *_FILES), "How many days are there from 3 March 2021 to 19 August 2024?", True),
    ((("movie_showtimes", "Show times at cinemas in a city."),),
     "Book me a table for two at an Italian restaurant tonight.", False),
    # A tool on the request's subject that gives another quantity or fact than the one
    # asked for does not fit; one that gives exactly it does, however the request is put.
    ((("planet_distance", "Distance between two planets."),),
     "How many moons does Jupiter have?", False),
    ((("song_lyrics", "Lyrics of a song by title and artist."),),
     "Find the lyrics of Yesterday by the Beatles.", True),
    ((("get_team_roster", "Players currently on a sports team."),),
     "Who won the 1998 football World Cup?", False),
    ((("unit_convert", "Convert a quantity between units."),),
     "How many centimeters are in 14 inches?", True),
    ((("bmi_calculator", "Body mass index from weight and height."),),
     "How many calories does a 30-minute run burn?", False),
    ((("recipe_search", "Recipes that use given ingredients."),),
     "김치찌개 1인분의 칼로리는 얼마야?", False),
)

_FIT_GRAMMAR = 'root ::= "yes" | "no"'


@dataclass(frozen=True)
class Route:
    """The decision and what it cost (for the step record)."""

    tool: bool
    prompt_tokens: int
    seconds: float
    prefix_cache: tuple[str, ...] = ()  # warm_prefix status of each question asked
    leans: tuple[float, ...] = ()  # each question's lean toward the tool, where measured


def _summaries(tools: Sequence[ToolSpec]) -> list[tuple[str, str]]:
    """Each tool's name and the first line of its description (empty when it has none)."""
    return [(t.name, (t.description.strip().splitlines() or [""])[0]) for t in tools]


def _listing(tools: Sequence[tuple[str, str]]) -> str:
    return "\n".join(f"- {name}: {about}" for name, about in tools)


def route_messages(question: str, tools: Sequence[ToolSpec],
                   instructions: str = "") -> list[Message]:
    system = _SYSTEM.format(tools=_listing(_summaries(tools)))
    return [Message("system", _with_instructions(system, instructions)),
            *worked_turns((example, "tool" if needs else "direct")
                          for example, needs in ROUTE_EXAMPLES),
            Message("user", question)]


def _offer(tools: Sequence[tuple[str, str]], request: str) -> str:
    return f"Tools:\n{_listing(tools)}\n\nRequest: {request}"


def fit_messages(question: str, tools: Sequence[ToolSpec],
                 instructions: str = "") -> list[Message]:
    return [Message("system", _with_instructions(_FIT_SYSTEM, instructions)),
            *worked_turns((_offer(offered, request), "yes" if fits else "no")
                          for offered, request, fits in FIT_EXAMPLES),
            Message("user", _offer(_summaries(tools), question))]


def lean_toward(reply: Reply, word: str, other: str) -> float | None:
    """The chance of ``word`` against ``other`` as the reply's first token (0 to 1), from
    the chances the backend reported; None when it reported none. A token counts for a
    word it begins (the tokenizer may split a word)."""
    if not reply.token_chances:
        return None
    head = reply.token_chances[0]
    weights = [(head.text, head.chance), *head.rivals]

    def weight(target: str) -> float:
        return max((chance for text, chance in weights if text and target.startswith(text)),
                   default=0.0)

    toward, away = weight(word), weight(other)
    return toward / (toward + away) if toward + away > 0 else None


def leans_reach(need: float, fit: float, bar: float = TOOL_FROM) -> bool:
    """The router's rule: a tool when the first lean alone and the two multiplied both
    reach ``bar`` (the first alone below it is never asked the second question)."""
    return need >= bar and need * fit >= bar


def needs_tool(backend: Backend, question: str, tools: Sequence[ToolSpec],
               sampling: Sampling, instructions: str = "", tool_from: float = TOOL_FROM,
               ) -> Route:
    """Whether answering ``question`` needs one of ``tools`` (greedy, two tokens at most
    per question). ``instructions`` is the caller's own system prompt, if any. A backend
    without grammar support cannot be held to the two words: it routes to the tool loop,
    as lamp did before there was a router."""
    if not tools or not backend.capabilities.grammar:
        return Route(bool(tools), 0, 0.0)
    weighs = backend.capabilities.token_chances
    pick = replace(sampling, temperature=0.0, max_tokens=3, stop=(), lookup=False,
                   token_chances=weighs, token_rivals=_RIVALS if weighs else 0)
    statuses: list[str] = []
    leans: list[float] = []
    started = time.perf_counter()
    tokens = 0

    def ask(messages: list[Message], grammar: str, word: str, other: str) -> float:
        """The answer's lean toward ``word``: measured, or 1/0 from the word chosen."""
        nonlocal tokens
        # Each question's instructions and worked cases are fixed: a prefix cache holds
        # their state, so switching between the two prompts costs no re-reading.
        if backend.capabilities.warm_prefix:
            statuses.append(backend.warm_prefix(messages[:-1]))
        reply = complete_reply(backend, messages, pick, grammar)
        tokens += reply.usage.prompt_tokens
        lean = lean_toward(reply, word, other)
        if lean is not None:
            leans.append(round(lean, 3))
            return lean
        return 1.0 if reply.text.strip() == word else 0.0

    def decided(tool: bool) -> Route:
        return Route(tool, tokens, time.perf_counter() - started, tuple(statuses),
                     tuple(leans))

    need = ask(route_messages(question, tools, instructions), _GRAMMAR, "tool", "direct")
    if need < tool_from:  # no fit can lift the product to the bar: not asked
        return decided(False)
    fit = ask(fit_messages(question, tools, instructions), _FIT_GRAMMAR, "yes", "no")
    return decided(leans_reach(need, fit, tool_from))
