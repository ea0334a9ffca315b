"""``python``: run model-written code in lamp's sandbox (a confined child process)."""

from __future__ import annotations

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

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        if ctx.sandbox is None:
            from lamp.agent.sandbox import Sandbox

            ctx.sandbox = Sandbox()
        result = ctx.sandbox.run(args["code"])
        return describe_run(result)


def describe_run(result: Any) -> str:
    """A SandboxResult as the model should read it: what was printed, then, on failure,
    why and the end of stderr (the traceback's last lines say what went wrong)."""
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
    parts += [f"note: {w}" for w in result.warnings]
    return "\n".join(parts)
