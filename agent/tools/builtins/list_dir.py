"""``list_dir``: what a directory under the working directory holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ..base import Tool, ToolContext, ToolError
from ._paths import resolve_inside, shown

__all__ = ["ListDirTool"]

MAX_ENTRIES = 200


class ListDirTool(Tool):
    name = "list_dir"
    description = ("List the files and folders in a directory under the current directory "
                   "(folders end with /).")
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Directory, relative to the current "
                                                      "directory.", "default": "."},
        },
        "required": [],
        "additionalProperties": False,
    }

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        path = args.get("path", ".")
        target = resolve_inside(ctx, path)
        if not target.exists():
            raise ToolError(f"no such directory: {path}")
        if not target.is_dir():
            raise ToolError(f"{path} is a file, not a directory; use read_file to read it")
        try:
            entries = sorted(target.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower()))
        except OSError as exc:
            raise ToolError(f"cannot list {path}: {exc.strerror or exc}") from exc
        where = shown(ctx, target)
        if not entries:
            return f"{where} is empty"
        lines = [f"{where}: {len(entries)} entries"]
        for entry in entries[:MAX_ENTRIES]:
            lines.append(_describe(entry))
        if len(entries) > MAX_ENTRIES:
            lines.append(f"[... {len(entries) - MAX_ENTRIES} more not shown]")
        return "\n".join(lines)


def _describe(entry: Path) -> str:
    try:
        if entry.is_symlink():
            return f"{entry.name} -> {entry.readlink()}"
        if entry.is_dir():
            return f"{entry.name}/"
        return f"{entry.name}  ({entry.stat().st_size:,} bytes)"
    except OSError:
        return f"{entry.name}  (unreadable)"
