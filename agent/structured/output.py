"""Answers that are one JSON document valid against a schema (``lamp ask --schema``).

Two guards, because neither is enough alone. Decoding is constrained (a grammar
compiled from the schema, gbnf.py, or a server's own ``json_schema`` support),
so even a small model cannot drift into prose or invent keys. Then the text is
validated with ``jsonschema`` (formats included, formats.py), because a grammar
follows only part of a schema (``multipleOf``, ``oneOf``'s exclusivity, a date
that does not exist), decoding can stop early (``--max-tokens``) and a server
may honour a schema loosely. An answer that fails is sent back once with the
validator's message (``send_for_schema``); one cut at ``--max-tokens`` is not,
since a second answer would get the same budget. A script downstream then
either gets a valid document or an exit status that says it did not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ..conversation import Conversation
from ..errors import InvalidOutput, UsageError
from ..events import Event, FinalAnswer, Notice, Usage
from ..models import Capabilities, Sampling
from .formats import format_checker
from .gbnf import SchemaGrammar
from .keywords import check_schema
from .spec import read_schema

__all__ = ["OutputSchema", "send_for_schema"]

_MESSAGE_CHARS = 200  # longest validator message kept on the one error line


@dataclass(frozen=True)
class OutputSchema:
    """``item``: the checked schema of the answer, or of each answer with ``multi``."""

    item: dict[str, Any]
    multi: bool = False

    @classmethod
    def parse(cls, spec: str, *, multi: bool = False, cwd: Path | None = None) -> OutputSchema:
        """Read and check ``spec`` now, so a bad schema fails before the model loads; a
        relative schema file starts at ``cwd`` (the caller's)."""
        output = cls(read_schema(spec, cwd), multi)
        output.validator  # noqa: B018 - checks the schema against its draft, keyword by keyword
        output.grammar()  # then refuses one that no document can satisfy within the bounds
        return output

    @cached_property
    def document(self) -> dict[str, Any]:
        """The schema of the whole answer (an array of items with ``multi``; the item's
        local ``$ref``s then point into ``items``)."""
        if not self.multi:
            return self.item
        outer: dict[str, Any] = {"type": "array", "items": _refs_under(self.item, "items")}
        if "$schema" in self.item:
            outer["$schema"] = self.item["$schema"]
            del outer["items"]["$schema"]
        return outer

    @cached_property
    def validator(self) -> Any:
        kind = check_schema(self.item)
        return kind(self.document, format_checker=format_checker())

    def grammar(self) -> str:
        return self._grammar

    @cached_property
    def _grammar(self) -> str:
        compiler = SchemaGrammar(self.item)
        item = compiler.document("item")
        if not self.multi:
            return compiler.render(item)
        # Unbounded, unlike arrays inside an item: extraction may find many; --max-tokens
        # still ends a runaway list, and validation then says it was cut. Items may start
        # on a new line: models write lists that way, and one forbidden from it after "["
        # tends to close the list at once.
        compiler.add("list-ws", '( " " | "\\n" " "{0,4} )?')
        return compiler.render(compiler.add(
            "root-list", f'"[" list-ws ( {item} ( list-ws "," list-ws {item} )* )? list-ws "]"'))

    def constraint(self, capabilities: Capabilities) -> dict[str, Any]:
        """How to constrain ``stream_chat``: the server's json_schema, else our grammar."""
        if capabilities.json_schema:
            return {"json_schema": self.document}
        if capabilities.grammar:
            return {"grammar": self.grammar()}
        raise UsageError("this model backend cannot constrain its output to a schema (it takes "
                         "neither a json_schema response_format nor a grammar); use the "
                         "in-process model, llama.cpp's server, llama-cpp-python's or vLLM")

    def instructions(self) -> str:
        """Told to the model: the grammar fixes the shape, but not what goes in it."""
        schema = json.dumps(self.item, ensure_ascii=False)
        if self.multi:
            # Mentioning an empty list here makes small models answer [] (0.5B, measured).
            return ("Reply with only a JSON array: one item for each match in the input, in "
                    f"order. Each item follows this JSON Schema:\n{schema}")
        return ("Reply with only JSON that follows this JSON Schema, with values taken from "
                f"the user's message and its input:\n{schema}")

    def sampling(self, sampling: Sampling, *, temperature_chosen: bool) -> Sampling:
        """Greedy unless someone chose a temperature: extraction wants the likeliest value."""
        return sampling if temperature_chosen else replace(sampling, temperature=0.0)

    def validate(self, text: str, *, finish_reason: str = "", max_tokens: int = 0) -> Any:
        """The parsed answer; InvalidOutput (exit 1) with one line when it is not valid."""
        try:
            data = json.loads(text)
        except ValueError as exc:
            if finish_reason == "length":
                raise InvalidOutput(f"the answer was cut at --max-tokens {max_tokens} before "
                                    "its JSON was complete; raise --max-tokens") from exc
            raise InvalidOutput(f"the answer is not valid JSON: {exc}") from exc
        from jsonschema.exceptions import best_match

        error = best_match(self.validator.iter_errors(data))
        if error is not None:
            where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}"
                                  for p in error.absolute_path)
            message = " ".join(error.message.split())
            if len(message) > _MESSAGE_CHARS:
                message = message[:_MESSAGE_CHARS - 3] + "..."
            raise InvalidOutput(f"the answer does not match the schema at {where}: {message}")
        return data


def send_for_schema(conversation: Conversation, user_text: str,
                    output: OutputSchema) -> Iterator[Event]:
    """The conversation's events for one constrained answer, asked once more (with the
    validator's message) when it does not validate; validate the final text after."""
    constraint = output.constraint(conversation.backend.capabilities)
    max_tokens = conversation.sampling.max_tokens
    usage: Usage | None = None
    final: FinalAnswer | None = None
    for event in conversation.send(user_text, **constraint):
        if isinstance(event, Usage):
            usage = event
        elif isinstance(event, FinalAnswer):
            final = event
        else:
            yield event
    cut = usage is not None and usage.finish_reason == "length"
    problem = None if final is None or cut else _problem(output, final.text, max_tokens)
    if problem is None:
        yield from (e for e in (usage, final) if e is not None)
        return
    yield Notice(f"{problem}; asking the model once more", level="info")
    # The corrected answer replaces the first in the history and in memory.
    for event in conversation.amend_last(_correction(problem), **constraint):
        yield _sum(usage, event) if isinstance(event, Usage) else event


def _problem(output: OutputSchema, text: str, max_tokens: int) -> str | None:
    try:
        output.validate(text, max_tokens=max_tokens)
    except InvalidOutput as exc:
        return str(exc)
    return None


def _correction(problem: str) -> str:
    return (f"That reply is not accepted: {problem}. Reply again with only the corrected "
            "JSON, following the JSON Schema.")


def _sum(first: Usage | None, second: Usage) -> Usage:
    """Both answers' tokens and time, so --json and the log show what the retry cost."""
    if first is None:
        return second
    return Usage(prompt_tokens=first.prompt_tokens + second.prompt_tokens,
                 completion_tokens=first.completion_tokens + second.completion_tokens,
                 seconds_to_first_token=first.seconds_to_first_token,
                 seconds_total=first.seconds_total + second.seconds_total,
                 finish_reason=second.finish_reason)


def _refs_under(node: Any, key: str) -> Any:
    """``node`` (a copy) with its local ``$ref``s pointing under ``#/key``, for a schema
    that becomes ``key`` of an outer one."""
    if isinstance(node, list):
        return [_refs_under(v, key) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _refs_under(v, key) for k, v in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and (ref == "#" or ref.startswith("#/")):
        out["$ref"] = f"#/{key}{ref[1:]}"
    return out
