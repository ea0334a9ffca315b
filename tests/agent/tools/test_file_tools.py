"""read_file and list_dir stay under the working directory unless allowed out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lamp.agent.tools import ToolContext, ToolError, run_tool
from lamp.agent.tools.builtins import ListDirTool, ReadFileTool


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """(work dir, a sibling dir outside it with a secret)."""
    work, outside = tmp_path / "work", tmp_path / "outside"
    (work / "sub").mkdir(parents=True)
    outside.mkdir()
    (work / "notes.txt").write_text("hello\nworld\n")
    (work / "sub" / "deep.txt").write_text("deep")
    (work / "blob.bin").write_bytes(b"\x89PNG\0\0\0binary")
    (work / "empty.txt").write_text("")
    (outside / "secret.txt").write_text("TOP SECRET")
    os.symlink(outside / "secret.txt", work / "link_out.txt")
    os.symlink(outside, work / "dir_out")
    os.symlink(work / "notes.txt", work / "link_in.txt")
    return work, outside


def _read(ctx: ToolContext, **args: object) -> str:
    return ReadFileTool().run({"max_chars": 3000, **args}, ctx)


def test_reads_files_inside(tree: tuple[Path, Path]) -> None:
    ctx = ToolContext(cwd=tree[0])
    assert _read(ctx, path="notes.txt") == "hello\nworld\n"
    assert _read(ctx, path="sub/deep.txt") == "deep"
    assert _read(ctx, path="./sub/../notes.txt") == "hello\nworld\n"
    assert _read(ctx, path="link_in.txt") == "hello\nworld\n"
    assert _read(ctx, path=str(tree[0] / "notes.txt")) == "hello\nworld\n"
    assert _read(ctx, path="empty.txt") == "(empty.txt is empty)"


def test_long_files_are_cut_at_max_chars_with_a_note(tree: tuple[Path, Path]) -> None:
    (tree[0] / "long.txt").write_text("x" * 10_000)
    text = _read(ToolContext(cwd=tree[0]), path="long.txt", max_chars=100)
    assert text.startswith("x" * 100 + "\n[... showed the first 100 characters of long.txt")
    assert "10,000 bytes" in text


@pytest.mark.parametrize(("path", "fragment"), [
    ("../outside/secret.txt", "outside the working directory"),
    ("link_out.txt", "outside the working directory"),
    ("dir_out/secret.txt", "outside the working directory"),
    ("/etc/passwd", "outside the working directory"),
    ("missing.txt", "no such file: missing.txt"),
    ("sub", "is a directory; use list_dir"),
    ("blob.bin", "binary file (13 bytes)"),
    ("", "path is empty"),
])
def test_read_file_refusals(tree: tuple[Path, Path], path: str, fragment: str) -> None:
    with pytest.raises(ToolError) as info:
        _read(ToolContext(cwd=tree[0]), path=path)
    assert fragment in str(info.value)
    assert "TOP SECRET" not in str(info.value)


def test_allow_outside_cwd_lets_the_user_widen_it(tree: tuple[Path, Path]) -> None:
    ctx = ToolContext(cwd=tree[0], allow_outside_cwd=True)
    assert _read(ctx, path="../outside/secret.txt") == "TOP SECRET"
    assert _read(ctx, path="link_out.txt") == "TOP SECRET"
    assert "secret.txt" in ListDirTool().run({"path": "dir_out"}, ctx)


def test_list_dir_shows_folders_first_with_sizes_and_links(tree: tuple[Path, Path]) -> None:
    listing = ListDirTool().run({"path": "."}, ToolContext(cwd=tree[0]))
    lines = listing.splitlines()
    assert lines[0] == ".: 7 entries"
    assert lines[1:3] == [f"dir_out -> {tree[1]}", "sub/"]
    assert "notes.txt  (12 bytes)" in lines
    # A link to a file named like a secret is marked, not described (see test_secret_paths).
    assert "link_out.txt  [may hold secrets: reading it asks the user first]" in lines
    assert ListDirTool().run({"path": "sub"}, ToolContext(cwd=tree[0])).splitlines() == [
        "sub: 1 entries", "deep.txt  (4 bytes)"]


@pytest.mark.parametrize(("path", "fragment"), [
    ("..", "outside the working directory"),
    ("dir_out", "outside the working directory"),
    ("nope", "no such directory: nope"),
    ("notes.txt", "is a file, not a directory"),
])
def test_list_dir_refusals(tree: tuple[Path, Path], path: str, fragment: str) -> None:
    with pytest.raises(ToolError) as info:
        ListDirTool().run({"path": path}, ToolContext(cwd=tree[0]))
    assert fragment in str(info.value)


def test_list_dir_defaults_to_the_working_directory_through_the_runner(
        tree: tuple[Path, Path]) -> None:
    outcome = run_tool(ListDirTool(), {}, ToolContext(cwd=tree[0] / "sub"))
    assert outcome.output == ".: 1 entries\ndeep.txt  (4 bytes)"
