"""Answers that are one JSON document valid against a schema (``lamp ask --schema``).

Two guards, because neither is enough alone. Decoding is constrained (a grammar
built from the schema, or a server's own ``json_schema`` support), so even a
small model cannot drift into prose or invent keys. Then the text is validated
with ``jsonschema``, because decoding can still stop early (``--max-tokens``)
and a server may honour a schema loosely. A script downstream then either gets
a valid document or an exit status that says it did not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..conversation import Conversation
from ..errors import InvalidOutput, UsageError
from ..events import Event
from ..grammar import GrammarBuilder
from ..models import Capabilities, Sampling
from .spec import check_supported, read_schema

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
        schema = check_supported(read_schema(spec, cwd))
        _validator_class(schema)
        return cls(schema, multi)

    @property
    def document(self) -> dict[str, Any]:
        """The schema of the whole answer (an array of items with ``multi``)."""
        return {"type": "array", "items": self.item} if self.multi else self.item

    def grammar(self) -> str:
        builder = GrammarBuilder()
        item = builder.schema_rule(self.item, "item")
        if not self.multi:
            return builder.render(item)
        # Unbounded, unlike arrays inside an item: extraction may find many; --max-tokens
        # still ends a runaway list, and validation then says it was cut. Items may start
        # on a new line: models write lists that way, and one forbidden from it after "["
        # tends to close the list at once.
        builder.add("list-ws", '( " " | "\\n" " "{0,4} )?')
        return builder.render(builder.add(
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

        error = best_match(_validator_class(self.document)(self.document).iter_errors(data))
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
    """The conversation's events for one constrained answer (validate its text after)."""
    yield from conversation.send(user_text,
                                 **output.constraint(conversation.backend.capabilities))


def _validator_class(schema: dict[str, Any]) -> Any:
    """The validator for the schema's own draft (2020-12 when it names none)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from jsonschema.validators import validator_for

    kind = validator_for(schema, default=Draft202012Validator)
    try:
        kind.check_schema(schema)
    except SchemaError as exc:
        raise UsageError(f"--schema is not a valid JSON Schema: "
                         f"{' '.join(exc.message.split())[:_MESSAGE_CHARS]}") from exc
    return kind
