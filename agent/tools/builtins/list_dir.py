"""``list_dir``: what a directory under the working directory holds.

Listing a folder of secrets (``.ssh``, any dot-folder, ``_secrets``) asks first,
like reading one. In any listing, names that may hold secrets are shown with a
mark and without their size, so the model knows that reading them asks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ..base import Tool, ToolContext, ToolError
from ._paths import approval_reason, path_risks, resolve_inside, shown
from ._secrets import secret_reasons

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

    asks_when = "folders of secrets (dot-folders, .ssh, ...)"

    def needs_approval_for(self, args: dict[str, Any], ctx: ToolContext) -> str | None:
        return approval_reason(ctx, str(args.get("path", ".")), whole_home=False)

    def risks(self, args: dict[str, Any], ctx: ToolContext) -> tuple[str, ...]:
        return path_risks(ctx, str(args.get("path", ".")))

    def preview(self, args: dict[str, Any]) -> str:
        return f"list {args.get('path', '.')}"

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
        root = ctx.cwd.resolve()
        for entry in entries[:MAX_ENTRIES]:
            lines.append(_describe(entry, root))
        if len(entries) > MAX_ENTRIES:
            lines.append(f"[... {len(entries) - MAX_ENTRIES} more not shown]")
        return "\n".join(lines)


_SECRET_MARK = "[may hold secrets: reading it asks the user first]"


def _describe(entry: Path, root: Path) -> str:
    try:
        real = entry.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        real = entry
    if secret_reasons(root, str(entry.relative_to(root)) if entry.is_relative_to(root)
                      else str(entry), real):
        return f"{entry.name}{'/' if entry.is_dir() else ''}  {_SECRET_MARK}"
    try:
        if entry.is_symlink():
            return f"{entry.name} -> {entry.readlink()}"
        if entry.is_dir():
            return f"{entry.name}/"
        return f"{entry.name}  ({entry.stat().st_size:,} bytes)"
    except OSError:
        return f"{entry.name}  (unreadable)"
