"""`lamp cmd` under a real pseudo-terminal (pexpect), with a scripted model: the proposal is
shown highlighted, nothing runs before a key, and 'e' runs it with its exit status; and
the real `lamp` program whose stand-in model on loopback proposes a disguised deletion:
the risk warning shows, and 'a' leaves the victim alone."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from standin_model import StandinModel

pexpect = pytest.importorskip("pexpect")

_SCRIPT = """
import sys
from lamp.agent.models import ScriptedBackend
from lamp.cli.main import execute
from lamp.cli.runtime import Preloaded

reply, *argv = sys.argv[1:]
sys.exit(execute(["cmd", "--shell", "sh", *argv],
                 model_source=Preloaded(ScriptedBackend().enqueue(reply))))
"""


def _spawn(tmp_path: Path, reply: str, *argv: str):
    return pexpect.spawn(sys.executable, ["-c", _SCRIPT, reply, *argv], cwd=str(tmp_path),
                         env={**os.environ, "TERM": "xterm-256color"}, timeout=30,
                         dimensions=(24, 100), encoding="utf-8")


def test_the_proposal_is_shown_and_e_executes_it(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "touch marker && exit 4", "make a marker file")
    child.expect("touch")
    child.expect_exact("[e]xecute")
    assert not (tmp_path / "marker").exists()  # nothing runs before the answer
    child.sendline("e")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4 and (tmp_path / "marker").exists()


def test_a_flagged_command_is_warned_about_and_a_aborts(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    child = _spawn(tmp_path, "rm -rf build", "clean up")
    child.expect_exact("deletes directories recursively")
    child.expect_exact("[a]bort?")
    child.sendline("a")
    child.expect_exact("aborted: nothing ran")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and (tmp_path / "build").is_dir()


def test_a_disguised_deletion_from_a_real_model_is_warned_about_and_a_leaves_it(
        tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    with StandinModel("\\rm -r ./victim") as model:
        child = pexpect.spawn(sys.executable, ["-m", "lamp.cli", "cmd", "--shell", "bash",
                                               "--yes", "tidy up"],
                              cwd=str(tmp_path), timeout=60, dimensions=(24, 120),
                              env={**os.environ, **model.env(), "TERM": "xterm-256color"},
                              encoding="utf-8")
        child.expect_exact("deletes directories recursively")
        child.expect_exact("[a]bort?")  # --yes at a terminal still asks for a flagged one
        assert (victim / "precious.txt").exists()
        child.sendline("a")
        child.expect_exact("aborted: nothing ran")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 130
    assert (victim / "precious.txt").read_text() == "keep me"
