"""`lamp cmd` with a scripted model: pipes print only the command, --yes runs it, the
terminal loop (revise, describe, copy, abort) with scripted answers, and --shell-init;
then real `lamp cmd --yes` processes without a terminal, whose model is a stand-in on
loopback proposing what an attacker planted: every flagged spelling is refused."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from standin_model import StandinModel

from lamp.agent.models import Sampling, ScriptedBackend
from lamp.agent.shell.drafter import CommandDrafter, Proposal, ShellTarget
from lamp.cli import main as cli_main
from lamp.cli.cmd import CmdDependencies, CmdFlags, act
from lamp.cli.cmd_session import CommandSession
from lamp.cli.errors import EXIT_INTERRUPTED, Aborted, exit_code_for
from lamp.cli.runtime import Preloaded
from lamp.cli.shell_env import detect_target, shell_argv
from lamp.cli.shell_init import SNIPPETS

SH = ShellTarget("sh", "Linux")


class FakeStdin(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
           reply: str = "ls -a", stdin: bytes = b"") -> tuple[int, str, str]:
    backend = ScriptedBackend().enqueue(reply)
    monkeypatch.setattr(sys, "argv", ["lamp", "cmd", "--shell", "sh", *args])
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exit_info:
        cli_main.run(model_source=Preloaded(backend))
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("flags", [(), ("--print",)])
def test_a_pipe_gets_only_the_command_and_nothing_runs(monkeypatch, capsys, in_tmp, flags
                                                       ) -> None:
    code, out, err = invoke(monkeypatch, capsys, *flags, "make a marker", reply="touch marker")
    assert (code, out, err) == (0, "touch marker\n", "")
    assert not (in_tmp / "marker").exists()


def test_the_request_can_come_on_stdin(monkeypatch, capsys, in_tmp) -> None:
    code, out, _ = invoke(monkeypatch, capsys, stdin=b"list all files\n", reply="ls -a")
    assert (code, out) == (0, "ls -a\n")


def test_yes_runs_it_and_passes_the_exit_status_through(monkeypatch, capsys, in_tmp) -> None:
    code, out, err = invoke(monkeypatch, capsys, "--yes", "fail with 3",
                            reply="sh -c 'exit 3'")
    assert (code, out, err) == (3, "", "")
    code, _, _ = invoke(monkeypatch, capsys, "-y", "make a marker", reply="touch marker")
    assert code == 0 and (in_tmp / "marker").exists()


def test_a_flagged_command_warns_and_yes_alone_refuses_it(monkeypatch, capsys, in_tmp) -> None:
    (in_tmp / "build").mkdir()
    code, out, err = invoke(monkeypatch, capsys, "--print", "clean", reply="rm -r build")
    assert code == 0 and out == "rm -r build\n"
    assert err.startswith("lamp: warning: this command deletes directories recursively")
    code, out, err = invoke(monkeypatch, capsys, "--yes", "clean", reply="rm -r build")
    assert code == 2 and out == "" and (in_tmp / "build").is_dir()
    [line] = err.splitlines()  # the refusal is one line
    assert line.startswith("lamp: error: refusing") and "add --force" in line
    assert "deletes directories recursively" in line and line.endswith("rm -r build")
    code, _, _ = invoke(monkeypatch, capsys, "--yes", "--force", "clean", reply="rm -r build")
    assert code == 0 and not (in_tmp / "build").exists()


@pytest.mark.parametrize("args, fragment", [
    (("--print", "--yes", "x"), "--print runs nothing"),
    (("--force", "x"), "--force only matters with --yes"),
    (("--shell-init", "tcsh"), "--shell-init knows bash, zsh, fish"),
    ((), "nothing to ask"),
])
def test_usage_errors_exit_2(monkeypatch, capsys, args, fragment) -> None:
    code, out, err = invoke(monkeypatch, capsys, *args)
    assert code == 2 and out == "" and fragment in err


def test_shell_init_prints_a_snippet_without_a_model(monkeypatch, capsys) -> None:
    code, out, _ = invoke(monkeypatch, capsys, "--shell-init", "bash")
    assert code == 0 and out == SNIPPETS["bash"] and "bind -x" in out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_init_snippets_pass_the_shells_syntax_check(shell: str) -> None:
    import shutil

    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed")
    flag = "--no-execute" if shell == "fish" else "-n"
    done = subprocess.run([shell, flag], input=SNIPPETS[shell].encode(), capture_output=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr.decode()


def test_detection_prefers_the_parent_shell_then_shell_env() -> None:
    assert detect_target(parent="zsh", environ={"SHELL": "/bin/bash"}).shell == "zsh"
    assert detect_target(parent="-bash", environ={}).shell == "bash"
    assert detect_target(parent="python3", environ={"SHELL": "/usr/bin/fish"}).shell == "fish"
    assert detect_target(parent="python3", environ={}).shell in ("sh", "powershell")
    assert detect_target("fish", "macOS", parent="bash", environ={}) == ShellTarget("fish",
                                                                                    "macOS")
    argv = shell_argv(ShellTarget("bash", "Linux"), "ls", {"SHELL": "/opt/bin/bash"})
    assert argv == ["/opt/bin/bash", "-c", "ls"]


# The terminal loop, driven by scripted answers.

class Scripted:
    """The injected world: answers to the prompts, and a record of what ran or was copied."""

    def __init__(self, *answers: str, clipboard: str | None = None, exit_code: int = 0) -> None:
        self.answers: Iterator[str] = iter(answers)
        self.prompts: list[str] = []
        self.ran: list[str] = []
        self.copied: list[str] = []
        self.warnings: list[str] = []
        self.clipboard, self.exit_code = clipboard, exit_code
        self.screen = io.StringIO()

    def ask(self, prompt: str) -> str:
        self.prompts.append(prompt)
        try:
            return next(self.answers)
        except StopIteration:
            raise EOFError from None

    def run(self, command: str, target: ShellTarget, cwd: Path) -> int:
        self.ran.append(command)
        return self.exit_code

    def copy(self, text: str) -> str | None:
        self.copied.append(text)
        return self.clipboard

    def session(self, backend: ScriptedBackend, cwd: Path) -> CommandSession:
        return CommandSession(CommandDrafter(backend, Sampling(), SH),
                              Console(file=self.screen, width=80), ask=self.ask,
                              runner=self.run, copy=self.copy, warn=self.warnings.append,
                              cwd=cwd)

    def deps(self) -> CmdDependencies:
        return CmdDependencies(runner=self.run, ask=self.ask, copy=self.copy,
                               console=lambda: Console(file=self.screen, width=80),
                               out=self.screen.write, warn=self.warnings.append)


def test_execute_runs_the_shown_command(tmp_path: Path) -> None:
    world = Scripted("e", exit_code=7)
    assert world.session(ScriptedBackend(), tmp_path).run(Proposal("ls -a")) == 7
    assert world.ran == ["ls -a"] and "ls -a" in world.screen.getvalue()
    assert "[e]xecute" in world.prompts[0]


def test_revise_then_execute_the_new_proposal(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue("ls", "ls -la")
    world = Scripted("r", "long format, hidden too", "e")
    code = act(CommandDrafter(backend, Sampling(), SH), "list files", CmdFlags(terminal=True),
               world.deps(), cwd=tmp_path)
    assert code == 0 and world.ran == ["ls -la"]
    assert "long format, hidden too" in backend.requests[1][0][-1].content


def test_abort_and_a_closed_terminal_run_nothing(tmp_path: Path) -> None:
    for answers in (("a",), ()):
        world = Scripted(*answers)
        with pytest.raises(Aborted) as info:
            world.session(ScriptedBackend(), tmp_path).run(Proposal("ls"))
        assert world.ran == [] and exit_code_for(info.value) == EXIT_INTERRUPTED


def test_describe_then_copy(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue("ls: lists files -a: hidden too")
    world = Scripted("d", "c", clipboard="xclip")
    assert world.session(backend, tmp_path).run(Proposal("ls -a")) == 0
    screen = world.screen.getvalue()
    assert "ls: lists files -a: hidden too" in screen
    assert "copied to the clipboard (xclip)" in screen
    assert world.copied == ["ls -a"] and world.ran == []


def test_copy_without_a_clipboard_tool_prints_it(tmp_path: Path) -> None:
    world = Scripted("?", "c")
    assert world.session(ScriptedBackend(), tmp_path).run(Proposal("du -sh .")) == 0
    assert "no clipboard tool" in world.warnings[0]
    assert world.screen.getvalue().rstrip().endswith("du -sh .")
    assert len(world.prompts) == 2  # an unknown key asks again


def test_a_flagged_proposal_warns_before_the_prompt_even_with_yes(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep")
    backend = ScriptedBackend().enqueue("sort notes.txt > notes.txt")
    world = Scripted("a")
    with pytest.raises(Aborted):
        act(CommandDrafter(backend, Sampling(), SH), "sort", CmdFlags(yes=True, terminal=True),
            world.deps(), cwd=tmp_path)
    assert "overwrites the existing file notes.txt" in world.warnings[0]
    assert world.ran == [] and len(world.prompts) == 1


def test_yes_on_a_terminal_runs_an_unflagged_command_without_asking(tmp_path: Path) -> None:
    world = Scripted()
    code = act(CommandDrafter(ScriptedBackend().enqueue("ls"), Sampling(), SH), "list",
               CmdFlags(yes=True, terminal=True), world.deps(), cwd=tmp_path)
    assert code == 0 and world.ran == ["ls"] and world.prompts == []


# Real processes: `lamp cmd --yes` with no terminal, a stand-in model on 127.0.0.1.

_LAMP = [sys.executable, "-m", "lamp.cli"]


def _lamp_cmd(cwd: Path, proposal: str, *flags: str, request: str = "clean up"
              ) -> subprocess.CompletedProcess[bytes]:
    with StandinModel(proposal) as model:
        return subprocess.run([*_LAMP, "cmd", "--shell", "bash", *flags, request],
                              cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                              env={**os.environ, **model.env()}, timeout=120)


@pytest.mark.parametrize("proposal", [
    "\\rm -r ./victim",
    "/bin/rm -r ./victim",
    "r''m -r ./victim",
    "{rm,-r,./victim}",
    "X=rm; $X -r ./victim",
    "timeout 5 busybox rm -r ./victim",
    "sh -c 'rm -r ./victim'",
    "find . -name victim -exec /bin/rm -r {} +",
    'python3 -c "import shutil; shutil.rmtree(\'victim\')"',
    "echo cm0gLXIgLi92aWN0aW0= | base64 -d | sh",
    "rm -r ./victim 'unterminated",
])
def test_yes_without_a_terminal_refuses_every_flagged_spelling(tmp_path: Path,
                                                                 proposal: str) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    done = _lamp_cmd(tmp_path, proposal, "--yes")
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert (victim / "precious.txt").read_text() == "keep me"
    [line] = err.splitlines()
    assert line.startswith("lamp: error: refusing to run a flagged command") and "--force" in line
    assert done.stdout == b""


def test_yes_without_a_terminal_runs_an_unflagged_command_and_force_runs_a_flagged_one(
        tmp_path: Path) -> None:
    done = _lamp_cmd(tmp_path, "touch marker", "--yes")
    assert done.returncode == 0 and (tmp_path / "marker").exists(), done.stderr.decode()
    (tmp_path / "victim").mkdir()
    done = _lamp_cmd(tmp_path, "\\rm -r ./victim", "--yes", "--force")
    assert done.returncode == 0 and not (tmp_path / "victim").exists()
    assert "lamp: warning: this command deletes directories recursively" in done.stderr.decode()


@pytest.mark.parametrize("request_text", [
    "print config.ini with every 'foo' replaced by 'bar'",
    "config.ini에서 foo를 bar로 바꿔서 출력해줘",
])
def test_yes_refuses_an_in_place_edit_for_a_request_that_only_prints(
        tmp_path: Path, request_text: str) -> None:
    (tmp_path / "config.ini").write_text("name = foo\n")
    done = _lamp_cmd(tmp_path, "sed -i 's/foo/bar/g' config.ini", "--yes",
                     request=request_text)
    [line] = done.stderr.decode().splitlines()
    assert done.returncode == 2 and "edits files in place (sed -i)" in line
    assert "only asks to see" in line and "--force" in line
    assert (tmp_path / "config.ini").read_text() == "name = foo\n"


def test_yes_runs_an_in_place_edit_the_request_asks_for(tmp_path: Path) -> None:
    (tmp_path / "config.ini").write_text("name = foo\n")
    done = _lamp_cmd(tmp_path, "sed -i 's/foo/bar/g' config.ini", "--yes",
                     request="replace foo with bar in config.ini")
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "config.ini").read_text() == "name = bar\n"


def test_the_proposal_is_shown_with_its_hidden_characters_as_escapes(tmp_path: Path) -> None:
    world = Scripted("a")
    with pytest.raises(Aborted):
        world.session(ScriptedBackend(), tmp_path).run(
            Proposal("rm -rf ~ \r\x1b[2Kls -la"))
    screen = world.screen.getvalue()
    assert "\x1b[2K" not in screen and "\\r\\x1b[2Kls -la" in screen
    assert any("deletes directories recursively" in w for w in world.warnings)
