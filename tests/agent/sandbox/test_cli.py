"""``lamp sandbox info|run``: exit codes, streams, JSON, and terminal injection under a real pty."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tty
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lamp.cli.sandbox import app

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]
CLI = [sys.executable, "-c", "from lamp.cli.sandbox import app; app()"]


def test_info_json_names_every_layer() -> None:
    res = CliRunner().invoke(app, ["info", "--json"])
    assert res.exit_code == 0
    report = json.loads(res.stdout)
    assert [x["name"] for x in report["layers"]] == ["L0", "L1", "L2"]
    assert "L0" in report["active"]
    # auto: L1 required where it works, else L2, else every run refused (never rlimits alone)
    assert report["default_policy"] == ("strict" if report["strict_available"] else
                                        "namespaces" if "L2" in report["active"] else "refuse")
    assert report["policy"]["name"] == "auto"
    assert bool(report["policy"]["refused"]) == (report["default_policy"] == "refuse")
    for layer in report["layers"]:
        assert layer["summary"]  # active or not, it says why


def test_info_plain() -> None:
    res = CliRunner().invoke(app, ["info"])
    assert res.exit_code == 0
    assert res.stdout.startswith("L0: active")
    assert "strict policy:" in res.stdout


def test_run_file_propagates_exit_status_and_streams(tmp_path: Path) -> None:
    prog = tmp_path / "p.py"
    prog.write_text("import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(4)\n")
    proc = subprocess.run([*CLI, "run", str(prog)], capture_output=True, text=True, timeout=30)
    assert (proc.returncode, proc.stdout, proc.stderr) == (4, "out\n", "err\n")


def test_run_stdin_json_and_timeout() -> None:
    proc = subprocess.run([*CLI, "run", "-", "--json", "--timeout", "0.5"], capture_output=True,
                          text=True, input="import time\ntime.sleep(20)\n", timeout=30)
    data = json.loads(proc.stdout)
    assert proc.returncode == 137 and data["timed_out"] and data["killed_reason"] == "timeout"
    assert data["layers"][0] == "L0"


def test_run_with_sandbox_files(tmp_path: Path) -> None:
    (tmp_path / "in.txt").write_text("21\n")
    res = CliRunner().invoke(app, ["run", "-", "--sandbox-files", str(tmp_path / "in.txt")],
                             input="print(int(open('in.txt').read()) * 2)\n")
    assert (res.exit_code, res.stdout) == (0, "42\n")


def test_run_unknown_policy_is_a_usage_error() -> None:
    # Typer's own usage panel, which wraps at the terminal's width: read it unwrapped.
    res = CliRunner().invoke(app, ["run", "-", "--sandbox", "loose"], input="print(1)\n",
                             env={"COLUMNS": "200"})
    assert res.exit_code == 2 and "1\n" not in res.stdout
    assert "'loose' is not one of 'auto', 'strict', 'best'" in res.output


INJECT = r"""
import fcntl, os, termios
hits = []
targets = [0, 1, 2]
try:
    targets.append(os.open('/dev/tty', os.O_RDWR))
except OSError as e:
    print('no /dev/tty:', e)
for fd in targets:
    try:
        for ch in b'id\n':
            fcntl.ioctl(fd, termios.TIOCSTI, bytes([ch]))
        hits.append(fd)
    except OSError as e:
        print('fd', fd, e)
print('INJECTED' if hits else 'nothing injected', hits)
"""


def _under_pty(argv: list[str]) -> tuple[str, bytes]:
    """Run argv with a fresh pty as controlling tty and stdin; return output, queued input."""
    master, slave = os.openpty()
    tty.setraw(slave)

    def make_ctty() -> None:
        os.setsid()
        import fcntl
        import termios
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    try:
        proc = subprocess.run(argv, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              preexec_fn=make_ctty, timeout=30)
        os.set_blocking(slave, False)
        try:
            queued = os.read(slave, 1024)  # what TIOCSTI would have typed for the user
        except BlockingIOError:
            queued = b""
        return proc.stdout.decode(), queued
    finally:
        os.close(master)
        os.close(slave)


def test_terminal_injection_under_a_real_pty(tmp_path: Path) -> None:
    prog = tmp_path / "inject.py"
    prog.write_text(INJECT)
    out, queued = _under_pty([*CLI, "run", str(prog)])
    assert "INJECTED" not in out and queued == b"", (out, queued)
    # Control: the same program outside the sandbox, same pty. If the kernel lets
    # TIOCSTI through there, the check above is known to be able to see it.
    ctl_out, ctl_queued = _under_pty([sys.executable, "-I", str(prog)])
    if "INJECTED" not in ctl_out:
        pytest.skip(f"control: this kernel blocks TIOCSTI everywhere ({ctl_out.strip()})")
    assert b"id" in ctl_queued
