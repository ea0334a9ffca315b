"""``read_file``: show the text of a file under the working directory.

Read-only, so it runs unasked, except where what it would hand the model may be a
secret: a dotfile, a key or credential file, anything in a folder of them
(``_secrets``), or, when lamp was started in the home folder, any file in it.
Those calls ask first, and are refused where there is nobody to ask.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..base import Tool, ToolContext, ToolError
from ._paths import approval_reason, path_risks, resolve_inside, shown

__all__ = ["ReadFileTool"]

_SNIFF = 8192


class ReadFileTool(Tool):
    name = "read_file"
    description = ("Read a text file under the current directory. Returns its text, "
                   "cut at max_chars characters.")
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path, relative to the current "
                                                      "directory."},
            "max_chars": {"type": "integer", "description": "Most characters to return.",
                          "default": 3000},
        },
        "required": ["path"],
        "additionalProperties": False,
    }

    asks_when = "dotfiles, key and credential files; every file when started in ~"

    def needs_approval_for(self, args: dict[str, Any], ctx: ToolContext) -> str | None:
        return approval_reason(ctx, str(args.get("path", "")), whole_home=True)

    def risks(self, args: dict[str, Any], ctx: ToolContext) -> tuple[str, ...]:
        return path_risks(ctx, str(args.get("path", "")))

    def preview(self, args: dict[str, Any]) -> str:
        return f"read {args.get('path', '')} (at most {args.get('max_chars', 3000)} characters)"

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = args["path"]
        max_chars = args.get("max_chars", 3000)
        if max_chars < 1:
            raise ToolError("max_chars must be at least 1")
        target = resolve_inside(ctx, path)
        if target.is_dir():
            raise ToolError(f"{path} is a directory; use list_dir to see what it holds")
        if not target.exists():
            raise ToolError(f"no such file: {path}")
        if not target.is_file():
            raise ToolError(f"{path} is not a regular file")
        try:
            size = target.stat().st_size
            with target.open("rb") as f:
                # Enough bytes for max_chars characters of UTF-8, never the whole of a big file.
                data = f.read(max(max_chars * 4, _SNIFF) + 1)
        except OSError as exc:
            raise ToolError(f"cannot read {path}: {exc.strerror or exc}") from exc
        if b"\0" in data[:_SNIFF]:
            raise ToolError(f"{path} is a binary file ({size:,} bytes); read_file shows text only")
        text = data.decode("utf-8", errors="replace")
        if len(text) <= max_chars and len(data) >= size:
            return text if text else f"({shown(ctx, target)} is empty)"
        return (f"{text[:max_chars]}\n[... showed the first {max_chars:,} characters of "
                f"{shown(ctx, target)} ({size:,} bytes)]")
