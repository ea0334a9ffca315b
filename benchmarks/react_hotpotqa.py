"""ReAct on HotpotQA (distractor): offline search/lookup tools over each question's paragraphs.

    python benchmarks/react_hotpotqa.py --data ../shared/bench-data/hotpotqa_dev.jsonl --limit 30

Each question gets two tools that serve only its own ten paragraphs: `search`
(a title; returns that paragraph and makes it current) and `lookup` (a
keyword; the next sentence of the current paragraph containing it). Each
question is asked as `lamp ask --tools search,lookup --system SYSTEM --no-memory`
asks it: a ``ToolsRequest`` answered by ``lamp.agent.app.run.answer`` on one
Runtime (bench_backend.py, the model loaded once), the two tools handed to it
as a program's own (bench_tools.py), in each step format. The router sees the
system prompt, as it sees a user's.

The worked examples (our own, about invented pages) reach the model as text in
that system prompt: the shipped loop shows worked turns only for lamp's built-in
tools, so the old `--demos` (examples as earlier turns) and `--blind-router`
(a router that does not see the system prompt) went; `--demos-as-text ''` runs
without examples. Baseline on the same items: the model answering with no tools
and no paragraphs (a direct completion, not lamp's loop). Prints a line per item
and a final JSON summary: exact match, F1, mean steps, step-limit hits.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import json
import re
import statistics
import string
import time
from pathlib import Path
from typing import Any, NamedTuple

from bench_backend import bench_runtime
from bench_tools import CaseTools, Function

from lamp.agent.app.memory import MemoryChoice
from lamp.agent.app.requests import Given, ToolsRequest
from lamp.agent.app.run import answer
from lamp.agent.app.tools import tool_routing
from lamp.agent.models import Backend, Message, Sampling
from lamp.agent.react.answer import ToolOptions

SYSTEM = (
    "You answer questions from a few Wikipedia paragraphs that you can read only through "
    "the tools. Search the title of the first thing the question names, then the title of "
    "the next thing the answer depends on. The final answer is a short phrase copied from "
    "the paragraphs (a name, a date or a number; yes or no for a yes-or-no question), not a "
    "sentence.")

class Action(NamedTuple):
    """One call of a worked example."""

    tool: str
    args: dict[str, Any]
    thought: str


class Demo(NamedTuple):
    """A worked example: the question, its calls with what they returned, the answer."""

    question: str
    calls: tuple[tuple[Action, str], ...]
    answer: str
    explanation: str


# Worked examples about invented pages, written by us, given as text in the system prompt.
DEMOS = (
    Demo("Which river runs through the town where the painter of Blue Dawn was born?", (
        (Action("search", {"title": "Blue Dawn"}, "I need the painter of Blue Dawn."),
         "Blue Dawn: Blue Dawn is an 1898 oil painting by Ana Ruiz. Ruiz was born in Zorvan "
         "and painted it in Lisbon."),
        (Action("search", {"title": "Zorvan"}, "Ruiz was born in Zorvan; now the river."),
         "Zorvan: Zorvan is a market town in northern Portugal. The Telo river crosses the "
         "town from east to west."),
    ), "Telo river", "The painter was born in Zorvan, which the Telo river crosses."),
    Demo("Were the bands Glass Orchard and Nightline formed in the same country?", (
        (Action("search", {"title": "Glass Orchard"}, "Where was Glass Orchard formed?"),
         "Glass Orchard: Glass Orchard is a Canadian indie rock band formed in Halifax in "
         "2004."),
        (Action("search", {"title": "Nightline"}, "Now Nightline."),
         "Nightline: Nightline are an English synth-pop band from Leeds, formed in 1983."),
    ), "no", "Glass Orchard is Canadian and Nightline is English."),
    Demo("In what year did the founder of Marlow Press die?", (
        (Action("search", {"title": "Marlow Press"}, "Who founded Marlow Press?"),
         "Marlow Press: Marlow Press is a British publisher founded by Edwin Hale in 1921."),
        (Action("search", {"title": "Edwin Hale"}, "Now the founder, Edwin Hale."),
         "Edwin Hale: Edwin Hale was an English printer and publisher. He trained in London "
         "and later moved to Bath, where he ran the press for forty years."),
        (Action("lookup", {"keyword": "died"}, "The paragraph is long; find his death."),
         "Edwin Hale: Hale died in Bath in 1964."),
    ), "1964", "Edwin Hale founded Marlow Press and died in 1964."),
)


def _demo_text(demos: tuple[Demo, ...]) -> str:
    """The examples as plain text, for a system prompt."""
    parts = []
    for demo in demos:
        lines = [f"Question: {demo.question}"]
        for action, observation in demo.calls:
            arg = next(iter(action.args.values()))
            lines.append(f"{action.tool} {arg!r} -> {observation}")
        lines.append(f"Answer: {demo.answer}")
        parts.append("\n".join(lines))
    return "\n\nExamples of the method:\n\n" + "\n\n".join(parts)


DEMO_TEXT = _demo_text(DEMOS)


def normalize(text: str) -> str:
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def f1(prediction: str, gold: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = collections.Counter(pred) & collections.Counter(ref)
    same = sum(common.values())
    if not pred or not ref or same == 0:
        return float(pred == ref)
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


class Pages:
    """The question's paragraphs, with the one last searched as the current page."""

    def __init__(self, context: list[list[Any]]) -> None:
        self.pages = {title: sentences for title, sentences in context}
        self.current: list[str] = []
        self.keyword = ""
        self.hits: collections.deque[str] = collections.deque()

    def search(self, title: str) -> str:
        """The paragraph with this title; failing that, the one sharing most words with it."""
        found = next((t for t in self.pages if t.lower() == title.strip().lower()), None)
        if found is None:
            close = difflib.get_close_matches(title, list(self.pages), n=1, cutoff=0.6)
            found = close[0] if close else self._best_overlap(title)
        if found is None:
            return f"No page matches {title!r}. Titles: {', '.join(self.pages)}"
        self.current, self.hits, self.keyword = self.pages[found], collections.deque(), ""
        return f"{found}: " + " ".join(s.strip() for s in self.current)

    def _best_overlap(self, query: str) -> str | None:
        words = set(normalize(query).split())
        scored = [(len(words & set(normalize(t + " " + " ".join(p)).split())), t)
                  for t, p in self.pages.items()]
        best = max(scored, default=(0, ""))
        return best[1] if best[0] else None

    def lookup(self, keyword: str) -> str:
        """Next sentence with the keyword in the current paragraph (all of them before any
        search). With no exact hit, the sentences sharing most words with the keyword, so
        a model that looks up a whole phrase still gets somewhere."""
        if keyword.strip().lower() != self.keyword:
            self.keyword = keyword.strip().lower()
            pool = ([(t, s) for t, sents in self.pages.items() if sents is self.current
                     for s in sents] if self.current else
                    [(t, s) for t, sents in self.pages.items() for s in sents])
            exact = [(t, s) for t, s in pool if self.keyword in s.lower()]
            if not exact:
                words = set(normalize(keyword).split()) - STOPWORDS
                scored = sorted(((len(words & set(normalize(t + " " + s).split())), i)
                                 for i, (t, s) in enumerate(pool)), reverse=True)
                exact = [pool[i] for score, i in scored[:3] if score]
            self.hits = collections.deque(f"{t}: {s.strip()}" for t, s in exact)
        return self.hits.popleft() if self.hits else f"No (more) sentences with {keyword!r}."


NO_MEMORY = MemoryChoice(disabled=True)  # `--no-memory`
STOPWORDS = frozenset([
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "is", "it", "of",
    "on", "or", "the", "to", "was", "were", "what", "which", "who", "whom", "whose",
    "when", "where", "how", "did", "does", "do",
])


_TITLE = {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
_KEYWORD = {"type": "object", "properties": {"keyword": {"type": "string"}},
            "required": ["keyword"]}
LOOKUP = ("The next sentence containing the keyword, from the paragraph last searched (or "
          "from all paragraphs before any search).")


def offer_pages(source: CaseTools, pages: Pages) -> list[str]:
    """Give the loop this question's `search` and `lookup`; the names lamp knows them by."""
    titles = "; ".join(pages.pages)

    def run(name: str, args: dict[str, Any]) -> str:
        return pages.search(args["title"]) if name == "search" else pages.lookup(args["keyword"])

    return source.use([Function("search", f"Read the paragraph with this title. Titles: "
                                          f"{titles}.", _TITLE),
                       Function("lookup", LOOKUP, _KEYWORD)], run)


def closed_book(backend: Backend, question: str) -> str:
    messages = [Message("system", "Answer with a short phrase only (a name, a date, a number, "
                                  "or yes/no)."), Message("user", question)]
    return "".join(c.text for c in backend.stream_chat(
        messages, Sampling(temperature=0, max_tokens=32, repeat_penalty=1.0))).strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--formats", default="react,native")
    ap.add_argument("--max-steps", type=int, default=6)
    ap.add_argument("--demos-as-text", default="react,native",
                    help="formats that get the examples as text in the system prompt "
                    "(comma list; '' for none)")
    ap.add_argument("--no-route", action="store_true",
                    help="no router before the first step (lamp ask --route off)")
    ap.add_argument("--model", default="")
    ap.add_argument("--no-baseline", action="store_true", help="skip the closed-book answers")
    args = ap.parse_args()

    items = [json.loads(x) for x in args.data.read_text().splitlines() if x.strip()]
    items = items[: args.limit] if args.limit else items
    source = CaseTools()
    rt, model = bench_runtime(args.model, flags={"ctx": 8192}, tool_source=source)
    route = tool_routing("off" if args.no_route else "auto", rt.settings)
    print(f"model {model.name}, router {'on' if route else 'off'}", flush=True)
    scores: dict[str, dict[str, list[float]]] = {}
    as_text = set(args.demos_as_text.split(","))
    for fmt_name in [*([] if args.no_baseline else ["baseline"]), *args.formats.split(",")]:
        s = scores[fmt_name] = {"em": [], "f1": [], "steps": [], "limit": [], "seconds": []}
        for item in items:
            started = time.perf_counter()
            steps, hit_limit = 0, False
            if fmt_name == "baseline":
                reply = closed_book(rt.model(), item["question"])
            else:
                names = offer_pages(source, Pages(item["context"]))
                system = SYSTEM + (DEMO_TEXT if fmt_name in as_text else "")
                result = answer(ToolsRequest(
                    Given(prompt=item["question"]),
                    tools=ToolOptions(tools=",".join(names), tool_format=fmt_name, route=route,
                                      max_steps=args.max_steps, system=system),
                    approve=lambda request: True, memory=NO_MEMORY), rt).consume()
                hit_limit = result.stopped == "step limit"
                reply = "" if hit_limit else str(result.answer)
                steps = len(result.details.get("steps", []))
            s["em"].append(float(normalize(reply) == normalize(item["answer"])))
            s["f1"].append(f1(reply, item["answer"]))
            s["steps"].append(steps)
            s["limit"].append(float(hit_limit))
            s["seconds"].append(time.perf_counter() - started)
            print(f"{fmt_name:<8} {item['id'][:12]:<12} em {s['em'][-1]:.0f} f1 {s['f1'][-1]:.2f} "
                  f"steps {steps} {'LIMIT ' if hit_limit else ''}{s['seconds'][-1]:5.1f}s "
                  f"gold {item['answer']!r:.30} got {reply!r:.50}", flush=True)
    rt.close()
    summary = {
        "model": model.name, "items": len(items),
        **{name: {"exact_match": statistics.mean(v["em"]), "f1": statistics.mean(v["f1"]),
                  "mean_steps": statistics.mean(v["steps"]),
                  "step_limit_hits": int(sum(v["limit"])),
                  "seconds_per_item": statistics.mean(v["seconds"])}
           for name, v in scores.items()},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
