"""`lamp ask --schema / --schema-multi / --jsonl`: check the flags early, print the document.

The schema itself (reading, keyword checks, grammar, validation) is the agent's
(lamp.agent.structured.output); this module only decides which flags go together
and how a validated document looks on stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lamp.agent.app.output import Output
from lamp.agent.errors import UsageError
from lamp.agent.structured.output import OutputSchema

from .render import print_json

__all__ = ["output_schema", "print_document"]


def output_schema(schema: str | None, schema_multi: str | None, *, jsonl: bool,
                  json_out: bool, tools: str | None,
                  cwd: Path | None = None) -> OutputSchema | None:
    """The checked schema the flags ask for (None: a plain answer); UsageError before any
    model loads when the flags or the schema are wrong."""
    if schema is not None and schema_multi is not None:
        raise UsageError("give --schema or --schema-multi, not both")
    if jsonl and schema_multi is None:
        raise UsageError("--jsonl needs --schema-multi")
    if jsonl and json_out:
        raise UsageError("--jsonl and --json cannot be combined")
    spec = schema if schema is not None else schema_multi
    if spec is None:
        return None
    if tools is not None:
        raise UsageError("--schema cannot be combined with --tools")
    return OutputSchema.parse(spec, multi=schema_multi is not None, cwd=cwd)


def print_document(data: Any, output: Output, *, jsonl: bool = False) -> None:
    """One JSON document (indented on a terminal), or one line per item with ``--jsonl``."""
    if jsonl:
        for item in data:
            print_json(item, output.stdout)
        return
    print_json(data, output.stdout, indent=2 if output.stdout_terminal else None)
