"""``shell``: run a command with /bin/sh in the working directory, after the user says yes.

Off unless the user allows it (``--allow shell``), and it always asks: a shell
command can change anything the user can. The approval shows the warnings of
``lamp cmd``'s risk rules; a flagged command is refused where nobody can be asked,
even under ``--approve all`` (as ``lamp cmd --yes`` refuses it without ``--force``).
The command runs in its own process group so a timeout kills everything it
started, not just the shell.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from typing import Any, ClassVar

from ..base import Tool, ToolContext

__all__ = ["ShellTool"]

_STREAM_LIMIT = 1800  # per stream: both together stay under the runner's cap


class ShellTool(Tool):
    name = "shell"
    description = ("Run a shell command (/bin/sh) in the current directory and return its "
                   "exit code, stdout and stderr. The user approves each command.")
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "description": "The command line to run."},
        },
        "required": ["command"],
        "additionalProperties": False,
    }
    needs_approval = True
    enabled_by_default = False
    timeout = 30.0

    def needs_approval_for(self, args: dict[str, Any], ctx: ToolContext) -> str | None:
        return "a shell command can change anything you can"

    def risks(self, args: dict[str, Any], ctx: ToolContext) -> tuple[str, ...]:
        """The same warnings ``lamp cmd`` shows (``lamp.agent.shell.risk``): a flagged
        command asks even under ``--approve all``, and is refused with no terminal."""
        from lamp.agent.shell.risk import assess

        try:
            found = assess(str(args.get("command", "")), ctx.cwd)
        except Exception as exc:  # the rules failing must not wave a command through
            return (f"lamp could not check this command ({type(exc).__name__}: {exc})",)
        return tuple(f"this command {risk.reason}" for risk in found)

    def preview(self, args: dict[str, Any]) -> str:
        return str(args.get("command", ""))

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        # Kill a little before the runner's deadline so our own message (with whatever
        # the command printed so far) is the one the model sees.
        limit = max(self.timeout - 1.0, 0.1)
        proc = subprocess.Popen(["/bin/sh", "-c", args["command"]], cwd=ctx.cwd,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            try:
                out, err = proc.communicate(timeout=2.0)
            except subprocess.TimeoutExpired:  # a process left the group and holds the pipes
                out, err = b"", b""
        finally:
            if proc.poll() is None:  # an exception other than the timeout
                _kill_group(proc)
                proc.wait()
        head = (f"timed out after {limit:g} s (killed)" if timed_out
                else f"exit code {proc.returncode}")
        return "\n".join([head, *_stream("stdout", out), *_stream("stderr", err)])


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _stream(label: str, data: bytes) -> list[str]:
    text = data.decode("utf-8", errors="replace").rstrip("\n")
    if not text:
        return []
    if len(text) > _STREAM_LIMIT:
        keep = _STREAM_LIMIT // 2
        text = f"{text[:keep]}\n[... {len(text) - 2 * keep:,} characters cut ...]\n{text[-keep:]}"
    return [f"{label}:", text]
