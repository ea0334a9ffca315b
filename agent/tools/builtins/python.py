"""``python``: run model-written code in lamp's sandbox (a confined child process)."""

from __future__ import annotations

import ast
from typing import Any, ClassVar

from ..base import Tool, ToolContext

__all__ = ["PythonTool"]

_STDERR_TAIL = 1500


class PythonTool(Tool):
    name = "python"
    description = ("Run a Python 3 program in a sandbox (no network, no files outside a temp "
                   "dir) and return what it printed. Always print() the result you need; "
                   "each run starts fresh, with the standard library only.")
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "code": {"type": "string", "description": "Complete Python source that prints "
                                                      "its result."},
        },
        "required": ["code"],
        "additionalProperties": False,
    }
    # The sandbox kills the child at its own deadline (10 s by default); this is the
    # backstop for the sandbox itself getting stuck, e.g. while probing the machine.
    timeout = 60.0

    def preview(self, args: dict[str, Any]) -> str:
        return str(args.get("code", ""))

    def futile(self, args: dict[str, Any]) -> str | None:
        # Without a router the 0.5B answered rewrites and translations with
        # print('Send me the report now.'): the observation is the model's own text.
        code, _ = drop_json_spill(str(args.get("code", "")))
        return ("the program only prints text written in it, which computes nothing"
                if prints_only_literals(code) else None)

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        if ctx.sandbox is None:
            from lamp.agent.sandbox import Sandbox

            ctx.sandbox = Sandbox()
        code, dropped = drop_json_spill(args["code"])
        result = ctx.sandbox.run(echo_last_expression(code))
        for warning in result.warnings:  # about this machine, for the person only
            ctx.notify(warning)
        note = f"\nnote: dropped a stray {dropped!r} after the code's end" if dropped else ""
        return describe_run(result) + note


def drop_json_spill(code: str) -> tuple[str, str]:
    """Code with closing JSON characters that spilled into it removed, and what was removed.

    A model writing code inside a JSON string sometimes closes the object before the
    string (`print(x)}` then `"}`), because `)}` is one common token. When the program does
    not parse as written but does without up to three trailing `}`, `]` or `"`, those
    characters are the spill. Only parsed here, never run.
    """
    try:
        ast.parse(code)
        return code, ""
    except SyntaxError:
        pass
    stripped = code.rstrip()
    for cut in range(1, 4):
        tail = stripped[-cut:]
        if len(tail) < cut or any(c not in '}]"' for c in tail):
            break
        try:
            ast.parse(stripped[:-cut])
        except SyntaxError:
            continue
        return stripped[:-cut], tail
    return code, ""


def prints_only_literals(code: str) -> bool:
    """Whether every statement of ``code`` prints, or is, a literal (``print('Bonjour')``,
    ``42``). Only parsed here, never run; code that does not parse is not such a program."""
    try:
        body = ast.parse(code).body
    except SyntaxError:
        return False

    def literal(node: ast.expr) -> bool:
        return isinstance(node, ast.Constant) or (
            isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant)
                                                    for v in node.values))

    def prints_literal(stmt: ast.stmt) -> bool:
        if not isinstance(stmt, ast.Expr):
            return False
        value = stmt.value
        if literal(value):
            return True
        return (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "print" and all(literal(a) for a in value.args)
                and all(literal(k.value) for k in value.keywords))

    return bool(body) and all(prints_literal(stmt) for stmt in body)


def echo_last_expression(code: str) -> str:
    """Like a notebook cell: when the program ends in a bare expression, print its value.

    Small models often write ``123 * 456`` and expect to see the result. The code is
    only parsed here (never run); the rewritten program runs in the sandbox.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # let the sandbox report the error with its own traceback
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return code
    last = tree.body[-1]
    if isinstance(last.value, ast.Call) and getattr(last.value.func, "id", "") == "print":
        return code
    lines = code.splitlines()
    start, end = last.lineno - 1, (last.end_lineno or last.lineno) - 1
    if last.col_offset != 0:  # shares a line with another statement: leave it alone
        return code
    expr = ast.get_source_segment(code, last) or ""
    head = "\n".join(lines[:start])
    tail = "\n".join(lines[end + 1:])
    return f"{head}\n__lamp_value = ({expr})\nif __lamp_value is not None:\n" \
           f"    print(__lamp_value)\n{tail}".lstrip("\n")


def describe_run(result: Any) -> str:
    """A SandboxResult as the model should read it: what was printed, then, on failure,
    why and the end of stderr (the traceback's last lines say what went wrong). Which
    isolation layers ran is for the person (``ToolContext.notify``), not the model."""
    parts: list[str] = []
    stdout = result.stdout.rstrip("\n")
    if stdout:
        parts.append(stdout)
    if result.truncated:
        parts.append("[output was cut by the sandbox's output limit]")
    if result.timed_out:
        parts.append(f"error: the program was stopped after {result.seconds:.1f} s "
                     "(time limit)")
    elif result.killed_reason:
        parts.append(f"error: the program was stopped ({result.killed_reason})")
    elif result.exit_code != 0:
        parts.append(f"error: the program exited with status {result.exit_code}")
    stderr = result.stderr.strip()
    if stderr and not result.ok:
        if len(stderr) > _STDERR_TAIL:
            stderr = "..." + stderr[-_STDERR_TAIL:]
        parts.append(f"stderr:\n{stderr}")
    if not parts:
        parts.append("(the program printed nothing: print() the result)")
    return "\n".join(parts)
