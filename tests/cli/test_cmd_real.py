"""`lamp cmd` on the real default model: with --print, English and Korean requests give one
plausible command line; under a real terminal, `d` alone explains the proposal as a
Markdown list in the request's language, and `a` alone aborts."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
_ARGS = ("--print", "--shell", "bash", "--os", "Linux", "--max-tokens", "64")


def test_list_hidden_files(run_lamp, default_model: Path) -> None:
    done = run_lamp("cmd", *_ARGS, "list all files including hidden ones")
    assert done.returncode == 0, done.stderr.decode()
    command = done.stdout.decode()
    assert command.endswith("\n") and command.count("\n") == 1
    assert "ls" in command and "-a" in command


def test_a_korean_request(run_lamp, default_model: Path) -> None:
    done = run_lamp("cmd", *_ARGS, "현재 폴더에서 가장 큰 파일 5개 보여줘")
    assert done.returncode == 0, done.stderr.decode()
    command = done.stdout.decode()
    assert command.count("\n") == 1 and command.strip()
    assert any(tool in command for tool in ("sort", "du", "ls"))


pexpect = pytest.importorskip("pexpect")


@pytest.mark.parametrize(("request_text", "language"), [
    ("delete all .txt files here", "English"),
    ("숨김 파일까지 전부 보여줘", "Korean"),
])
def test_under_a_terminal_d_alone_explains_and_a_alone_aborts(
        tmp_path: Path, default_model: Path, request_text: str, language: str) -> None:
    (tmp_path / "keep.txt").write_text("keep")
    child = pexpect.spawn(sys.executable, ["-m", "lamp.cli", "cmd", "--shell", "bash",
                                           "--os", "Linux", request_text],
                          cwd=str(tmp_path), env={**os.environ, "TERM": "xterm-256color"},
                          timeout=240, dimensions=(40, 120), encoding="utf-8")
    child.expect_exact("[a]bort? ")
    child.send("d")
    child.expect_exact("[a]bort? ")
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", child.before)
    assert "•" in shown and not re.search(r"<[a-z][^<>]*>", shown), shown
    hangul = len(re.findall(r"[가-힣]", shown))
    assert (hangul > 20) == (language == "Korean"), shown
    child.send("a")
    child.expect_exact("aborted: nothing ran")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and (tmp_path / "keep.txt").exists()
