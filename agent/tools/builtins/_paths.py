"""Where file tools may look: under the working directory unless the user allowed more."""

from __future__ import annotations

from pathlib import Path

from ..base import ToolContext, ToolError

__all__ = ["resolve_inside", "shown"]


def resolve_inside(ctx: ToolContext, path: str) -> Path:
    """The real path ``path`` names, relative to ``ctx.cwd``, symlinks resolved.

    Resolving first means neither ``../`` nor a symlink planted inside the
    directory can lead a tool outside it; the check is on where the bytes are,
    not on how the path is spelled.
    """
    if not path.strip():
        raise ToolError("path is empty")
    if "\0" in path:
        raise ToolError("path contains a NUL character")
    root = ctx.cwd.resolve()
    given = Path(path).expanduser() if ctx.allow_outside_cwd else Path(path)
    target = (root / given).resolve()
    if not ctx.allow_outside_cwd and not target.is_relative_to(root):
        raise ToolError(f"refused: {path} is outside the working directory {root} "
                        "(file tools stay inside it unless the user allows more)")
    return target


def shown(ctx: ToolContext, target: Path) -> str:
    """``target`` as the model should refer to it: relative to the working directory."""
    root = ctx.cwd.resolve()
    if target == root:
        return "."
    return str(target.relative_to(root)) if target.is_relative_to(root) else str(target)
