"""Build a Tool class from a plain typed function (``Tool.from_function``).

Most third-party tools are one function; writing the JSON schema by hand for it
repeats what the signature and docstring already say, and drifts from them.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Union

if TYPE_CHECKING:
    from .base import Tool, ToolContext

__all__ = ["parse_docstring", "tool_class"]

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
_ARGS_HEADERS = {"args", "arguments", "parameters", "params"}
_OTHER_HEADERS = {"returns", "return", "yields", "raises", "example", "examples", "note",
                  "notes", "see also", "warning", "warnings", "attributes"}
_ENTRY = re.compile(r"(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)\Z")


def tool_class(base: type[Tool], fn: Callable[..., Any], *, name: str | None,
               needs_approval: bool, description: str | None, enabled_by_default: bool,
               timeout: float) -> type[Tool]:
    """The class ``Tool.from_function`` returns (validated like any hand-written tool)."""
    summary, arg_help = parse_docstring(inspect.getdoc(fn) or "")
    tool_name = name or getattr(fn, "__name__", "")
    try:
        hints = typing.get_type_hints(fn)
    except Exception as exc:  # a hint naming something undefined
        raise TypeError(f"cannot read the type hints of {tool_name}: {exc}") from exc
    properties: dict[str, Any] = {}
    required: list[str] = []
    wants_ctx = False
    for param in inspect.signature(fn).parameters.values():
        if param.name == "ctx":
            wants_ctx = True
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
            raise TypeError(f"tool function {tool_name}: parameter {param.name!r} must be a "
                            "plain named parameter (no *args, **kwargs or positional-only)")
        if param.name not in hints:
            raise TypeError(f"tool function {tool_name}: parameter {param.name!r} has no type hint")
        prop, optional = _schema_for(hints[param.name], f"{tool_name}.{param.name}")
        if param.name in arg_help:
            prop["description"] = arg_help[param.name]
        if param.default is inspect.Parameter.empty:
            if optional:
                raise TypeError(f"tool function {tool_name}: optional parameter "
                                f"{param.name!r} needs a default")
            required.append(param.name)
        elif param.default is not None:
            prop["default"] = param.default
        properties[param.name] = prop

    def run(self: Tool, args: dict[str, Any], ctx: ToolContext) -> str:
        result = fn(**args, ctx=ctx) if wants_ctx else fn(**args)
        return result if isinstance(result, str) else str(result)

    namespace = {
        "name": tool_name,
        "description": description if description is not None else summary,
        "input_schema": {"type": "object", "properties": properties, "required": required,
                         "additionalProperties": False},
        "needs_approval": needs_approval,
        "enabled_by_default": enabled_by_default,
        "timeout": timeout,
        "run": run,
        "function": staticmethod(fn),
        "__doc__": fn.__doc__,
        "__module__": getattr(fn, "__module__", __name__),
    }
    class_name = "".join(part.title() for part in tool_name.split("_")) + "Tool"
    return type(base)(class_name, (base,), namespace)


def _schema_for(hint: Any, where: str) -> tuple[dict[str, Any], bool]:
    """(schema, optional) for one parameter's type hint."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(members) == 1 and len(typing.get_args(hint)) == 2:
            return _schema_for(members[0], where)[0], True
        raise TypeError(f"{where}: unions other than `X | None` are not supported")
    if hint in _SCALARS:
        return {"type": _SCALARS[hint]}, False
    if origin is Literal:
        values = list(typing.get_args(hint))
        kinds = {_SCALARS.get(type(v)) for v in values}
        if len(kinds) != 1 or None in kinds:
            raise TypeError(f"{where}: Literal values must all be str, int, float or bool")
        return {"type": kinds.pop(), "enum": values}, False
    if origin in (list, tuple, typing.Sequence) or hint in (list, tuple):
        args = typing.get_args(hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            raise TypeError(f"{where}: use list[X] (or tuple[X, ...]) for a sequence")
        if not args:
            raise TypeError(f"{where}: say the item type, e.g. list[str]")
        return {"type": "array", "items": _schema_for(args[0], where)[0]}, False
    raise TypeError(f"{where}: type {hint!r} is not supported (str, int, float, bool, "
                    "list[...], Literal[...], X | None)")


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """(description, {argument: help}) from a Google-style docstring.

    The description is the text before the first section header; argument help is
    the ``Args:`` section, continuation lines joined to their entry.
    """
    description: list[str] = []
    arg_help: dict[str, str] = {}
    section: str | None = None
    entry_indent: int | None = None
    current: str | None = None
    for line in doc.splitlines():
        stripped = line.strip()
        header = stripped[:-1].lower() if stripped.endswith(":") else None
        if header in _ARGS_HEADERS or header in _OTHER_HEADERS:
            section, entry_indent, current = header, None, None
            continue
        if section is None:
            description.append(stripped)
        elif section in _ARGS_HEADERS and stripped:
            indent = len(line) - len(line.lstrip())
            match = _ENTRY.match(stripped)
            if match and (entry_indent is None or indent <= entry_indent):
                entry_indent = indent
                current = match.group(1).lstrip("*")
                arg_help[current] = match.group(2).strip()
            elif current is not None:
                arg_help[current] = f"{arg_help[current]} {stripped}".strip()
    text = "\n".join(description).strip()
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n".join(p for p in paragraphs if p), arg_help
