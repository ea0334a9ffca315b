"""`lamp cmd --print` on the real default model: English and Korean requests give one
plausible command line."""

from __future__ import annotations

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
