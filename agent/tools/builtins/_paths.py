"""Where file tools may look: under the working directory unless the user allowed more."""

from __future__ import annotations

from pathlib import Path

from ..base import ToolContext, ToolError
from ._secrets import home_dirs, secret_reasons

__all__ = ["approval_reason", "path_risks", "resolve_inside", "shown"]


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


def path_risks(ctx: ToolContext, path: str) -> tuple[str, ...]:
    """Why handing the model what ``path`` holds may give away a secret (``_secrets``);
    () when nothing says so, or when the path is refused anyway (the tool's run then
    fails with the same error and reads nothing)."""
    try:
        target = resolve_inside(ctx, path)
    except ToolError:
        return ()
    given = str(Path(path).expanduser()) if ctx.allow_outside_cwd else path
    return secret_reasons(ctx.cwd.resolve(), given, target)


def approval_reason(ctx: ToolContext, path: str, *, whole_home: bool) -> str | None:
    """Why a file tool must ask before this call even when the path names no secret:
    it leaves the working directory (allowed by the user), or, with ``whole_home``,
    lamp was started in the home folder (or above it) and the path is in there, where
    every file is the user's own."""
    try:
        target = resolve_inside(ctx, path)
    except ToolError:
        return None
    root = ctx.cwd.resolve()
    if not target.is_relative_to(root):
        return f"{path} is outside the working directory {root}"
    if whole_home:
        for home in home_dirs():
            if home.is_relative_to(root) and target.is_relative_to(home):
                return ("lamp was started in your home folder (or above it), so every file "
                        "in your home asks first")
    return None
