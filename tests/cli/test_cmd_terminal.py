"""`lamp cmd` under a real pseudo-terminal (pexpect), with a scripted model: the proposal is
shown highlighted, nothing runs before a key, one key acts without Enter ('e' runs it with
its exit status, 'd' explains it as Markdown, 'a' or Ctrl-C aborts, the same keys on a
Korean layout too) and the terminal is left as it was found; and the real `lamp` program
whose stand-in model on loopback proposes a disguised deletion: the risk warning shows,
and 'a' leaves the victim alone."""

from __future__ import annotations

import json
import os
import shlex
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

import json
replies, *argv = sys.argv[1:]
sys.exit(execute(["cmd", "--shell", "sh", *argv],
                 model_source=Preloaded(ScriptedBackend().enqueue(*json.loads(replies)))))
"""


def _spawn(tmp_path: Path, reply: str | list[str], *argv: str):
    replies = json.dumps([reply] if isinstance(reply, str) else reply)
    return pexpect.spawn(sys.executable, ["-c", _SCRIPT, replies, *argv], cwd=str(tmp_path),
                         env={**os.environ, "TERM": "xterm-256color"}, timeout=30,
                         dimensions=(24, 100), encoding="utf-8")


def test_the_proposal_is_shown_and_e_executes_it(tmp_path: Path) -> None:
    child = _spawn(tmp_path, "touch marker && exit 4", "make a marker file")
    child.expect("touch")
    child.expect_exact("[e]xecute")
    assert not (tmp_path / "marker").exists()  # nothing runs before the answer
    child.send("e")  # one key, no Enter
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 4 and (tmp_path / "marker").exists()


def test_a_flagged_command_is_warned_about_and_a_aborts(tmp_path: Path) -> None:
    (tmp_path / "build").mkdir()
    child = _spawn(tmp_path, "rm -rf build", "clean up")
    child.expect_exact("deletes directories recursively")
    child.expect_exact("[a]bort?")
    child.send("a")
    child.expect_exact("aborted: nothing ran")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130 and (tmp_path / "build").is_dir()


_EXPLAINED = ("- `ls` — lists the names in a folder\n- `-a` — includes hidden names\n\n"
              "**Effect:** reads this folder and prints its names. Nothing is changed.")


def test_d_alone_explains_as_markdown_and_a_alone_aborts(tmp_path: Path) -> None:
    child = _spawn(tmp_path, ["ls -a", _EXPLAINED], "list everything here")
    child.expect_exact("[a]bort? ")
    child.send("d")  # no Enter: the explanation comes at once
    child.expect_exact("[a]bort? ")  # and the menu again
    shown = child.before
    assert "includes hidden names" in shown and "•" in shown  # a Markdown list
    # Its last frame sets the label in bold, not between literal asterisks.
    last = shown.rsplit("\x1b[1mEffect:", 1)
    assert len(last) == 2 and "**" not in last[1]
    child.send("a")
    child.expect_exact("aborted: nothing ran")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


def test_keys_of_a_korean_layout_choose_the_same(tmp_path: Path) -> None:
    child = _spawn(tmp_path, ["ls -a", _EXPLAINED], "숨김 파일까지 보여줘")
    child.expect_exact("[a]bort? ")
    child.send("ㅇ")  # the d key on a 두벌식 layout
    child.expect_exact("includes hidden names")
    child.expect_exact("[a]bort? ")
    child.send("ㅁ")  # a
    child.expect_exact("aborted: nothing ran")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130


@pytest.mark.parametrize(("key", "prefix"), [("\x03", ""), ("a", ""), ("\x03", "trap '' INT; ")],
                         ids=["ctrl-c", "a", "ctrl-c-with-sigint-ignored"])
def test_the_terminal_is_restored_however_the_menu_ends(tmp_path: Path, key: str,
                                                        prefix: str) -> None:
    """lamp runs inside a shell that prints the terminal's modes after it exits: line
    editing and echo are back on, whether the menu ended on a key or on Ctrl-C (read as a
    key, so it aborts even in a process that inherited SIGINT ignored)."""
    script = shlex.join([sys.executable, "-c", _SCRIPT, json.dumps(["touch marker"]),
                         "make a marker"])
    child = pexpect.spawn("bash", ["--norc", "-c",
                                   f"{prefix}{script}; echo STATUS=$?; stty -a"],
                          cwd=str(tmp_path), env={**os.environ, "TERM": "xterm-256color"},
                          timeout=30, dimensions=(24, 200), encoding="utf-8")
    child.expect_exact("[a]bort? ")
    child.send(key)
    child.expect(r"STATUS=(\d+)")
    assert child.match.group(1) == "130"
    child.expect(pexpect.EOF)
    modes = child.before.split()
    assert "icanon" in modes and "echo" in modes, child.before
    assert not (tmp_path / "marker").exists()


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
        child.send("a")
        child.expect_exact("aborted: nothing ran")
        child.expect(pexpect.EOF)
        child.close()
    assert child.exitstatus == 130
    assert (victim / "precious.txt").read_text() == "keep me"
