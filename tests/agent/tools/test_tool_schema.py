"""The schema subset: tool classes are checked when defined; arguments by validate_args."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pytest

from lamp.agent.tools import Tool, ToolContext, validate_args
from lamp.agent.tools._function import parse_docstring


def _schema(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(props),
            "additionalProperties": False}


def _define(**attrs: Any) -> type[Tool]:
    namespace = {"name": "ok_tool", "description": "Does a thing.",
                 "input_schema": _schema(x={"type": "string"}),
                 "run": lambda self, args, ctx: "ok", **attrs}
    return type("T", (Tool,), namespace)


def test_a_valid_tool_class_defines() -> None:
    class Echo(Tool):
        name = "echo"
        description = "Echo the text back."
        input_schema: ClassVar[dict[str, Any]] = _schema(text={"type": "string"})

        def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
            return args["text"]

    assert Echo().run({"text": "hi"}, ToolContext(cwd=".")) == "hi"  # type: ignore[arg-type]


@pytest.mark.parametrize(("attrs", "fragment"), [
    ({"name": "Bad-Name"}, "name must match"),
    ({"name": "1tool"}, "name must match"),
    ({"description": "  "}, "description"),
    ({"input_schema": {"type": "string"}}, "top level must have type 'object'"),
    ({"input_schema": {"type": "object", "properties": {}}}, "additionalProperties"),
    ({"input_schema": _schema(x={"type": "string", "pattern": "a+"})}, "'pattern'"),
    ({"input_schema": _schema(x={"type": "list"})}, "'type' must be one of"),
    ({"input_schema": _schema(x={"type": "array"})}, "needs 'items'"),
    ({"input_schema": _schema(x={"type": "string", "enum": [1, 2]})}, "not of type string"),
    ({"input_schema": _schema(x={"type": "integer", "default": "3"})}, "default '3'"),
    ({"input_schema": {**_schema(x={"type": "string"}), "required": ["y"]}},
     "'y' is not in properties"),
    ({"input_schema": _schema(o={"type": "object", "properties": {"a": {"type": "date"}},
                                 "additionalProperties": False})}, "input_schema.o.a"),
    ({"run": Tool.run}, "run() is not implemented"),
    ({"timeout": 0}, "timeout"),
    ({"needs_approval": "yes"}, "needs_approval"),
])
def test_bad_tool_classes_fail_at_definition(attrs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(TypeError, match="is invalid") as info:
        _define(**attrs)
    assert fragment in str(info.value)


def test_abstract_base_classes_skip_the_checks() -> None:
    class Base(Tool, abstract=True):
        timeout = 5.0

    class Concrete(Base):
        name = "concrete"
        description = "A concrete tool."
        input_schema: ClassVar[dict[str, Any]] = _schema()

        def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
            return "done"

    assert Concrete.timeout == 5.0


NESTED = _schema(
    text={"type": "string"},
    count={"type": "integer"},
    ratio={"type": "number"},
    flag={"type": "boolean"},
    mode={"type": "string", "enum": ["fast", "slow"]},
    tags={"type": "array", "items": {"type": "string"}},
    point={"type": "object", "properties": {"x": {"type": "number"}},
           "required": ["x"], "additionalProperties": False},
)
GOOD = {"text": "a", "count": 2, "ratio": 1, "flag": True, "mode": "fast", "tags": ["x"],
        "point": {"x": 1.5}}


def test_validate_args_accepts_valid_input_and_int_for_number() -> None:
    assert validate_args(NESTED, GOOD) == []
    assert validate_args(NESTED, {**GOOD, "ratio": 0.25}) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"count": True}, "count: expected an integer, got boolean"),
    ({"count": 2.0}, "count: expected an integer, got number"),
    ({"ratio": "1"}, "ratio: expected a number, got string"),
    ({"mode": "medium"}, "mode: 'medium' is not one of 'fast', 'slow'"),
    ({"tags": ["x", 3]}, "tags[1]: expected a string, got integer"),
    ({"point": {"x": 1, "y": 2}}, "unknown key 'point.y' (allowed: x)"),
    ({"point": {}}, "missing required key 'point.x'"),
    ({"extra": 1}, "unknown key 'extra' (allowed: text, count, ratio, flag, mode, tags, point)"),
    ({"text": None}, "text: expected a string, got null"),
])
def test_validate_args_names_what_is_wrong(change: dict[str, Any], expected: str) -> None:
    assert validate_args(NESTED, {**GOOD, **change}) == [expected]


def test_validate_args_reports_missing_keys_and_non_objects() -> None:
    assert validate_args(NESTED, {k: v for k, v in GOOD.items() if k != "text"}) == [
        "missing required key 'text'"]
    assert validate_args(NESTED, ["a"]) == ["expected an object, got array"]


def test_from_function_builds_schema_from_hints_and_docstring() -> None:
    def convert(amount: float, unit: Literal["km", "mi"], places: int = 2,
                labels: list[str] | None = None, verbose: bool = False) -> str:
        """Convert a distance between kilometres and miles.

        Handy for travel questions.

        Args:
            amount: How far, in the source unit.
            unit: The unit to convert *from*; the answer is in
                the other one.
            places (int): Decimal places.
            labels: Ignored labels.

        Returns:
            The converted distance.
        """
        factor = 0.621371 if unit == "km" else 1 / 0.621371
        return f"{round(amount * factor, places)}"

    cls = Tool.from_function(convert, needs_approval=True)
    assert cls.name == "convert" and cls.needs_approval is True
    assert cls.description == ("Convert a distance between kilometres and miles.\n"
                               "Handy for travel questions.")
    assert cls.input_schema == {
        "type": "object",
        "properties": {
            "amount": {"type": "number", "description": "How far, in the source unit."},
            "unit": {"type": "string", "enum": ["km", "mi"],
                     "description": "The unit to convert *from*; the answer is in the other one."},
            "places": {"type": "integer", "default": 2, "description": "Decimal places."},
            "labels": {"type": "array", "items": {"type": "string"},
                       "description": "Ignored labels."},
            "verbose": {"type": "boolean", "default": False},
        },
        "required": ["amount", "unit"],
        "additionalProperties": False,
    }
    assert cls().run({"amount": 10, "unit": "km", "places": 1}, ToolContext(cwd=".")) == "6.2"  # type: ignore[arg-type]


def test_from_function_passes_ctx_and_stringifies_the_result(tmp_path: Any) -> None:
    def where(ctx: ToolContext) -> object:
        """Say the working directory."""
        return ctx.cwd

    cls = Tool.from_function(where, name="where_am_i")
    assert cls.name == "where_am_i" and cls.input_schema["properties"] == {}
    assert cls().run({}, ToolContext(cwd=tmp_path)) == str(tmp_path)


def _dict_arg(x: dict) -> str:  # type: ignore[type-arg]
    """Doc."""
    return ""


def _no_hint(x) -> str:  # type: ignore[no-untyped-def]
    """Doc."""
    return ""


def _star(*xs: int) -> str:
    """Doc."""
    return ""


def _union(x: int | str) -> str:
    """Doc."""
    return ""


def _bare_list(x: list) -> str:  # type: ignore[type-arg]
    """Doc."""
    return ""


def _no_doc(x: int) -> str:
    return ""


@pytest.mark.parametrize(("fn", "fragment"), [
    (_dict_arg, "is not supported"),
    (_no_hint, "has no type hint"),
    (_star, "plain named parameter"),
    (_union, "unions"),
    (_bare_list, "item type"),
    (_no_doc, "description must be a non-empty string"),
])
def test_from_function_refuses_what_the_schema_cannot_say(fn: Any, fragment: str) -> None:
    with pytest.raises(TypeError) as info:
        Tool.from_function(fn)
    assert fragment in str(info.value)


def test_parse_docstring_stops_at_other_sections() -> None:
    summary, args = parse_docstring("Sum.\n\nArgs:\n    a: first\n    b: second\n"
                                    "Raises:\n    ValueError: never\n")
    assert summary == "Sum." and args == {"a": "first", "b": "second"}
