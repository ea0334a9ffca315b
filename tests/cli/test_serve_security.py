"""`lamp serve` under attack, with real processes: a real server on a socket in a temp dir,
real `lamp` clients, a stand-in model on 127.0.0.1 (no llama.cpp), and, when the tests run
as root, an attacker with a fresh uid of its own.

What must hold: a client sends nothing (argv, cwd, stdin, LAMP_API_KEY) to a socket that
is not this user's, or in a folder others can write, or behind which another uid listens;
the server refuses other uids; an idle or half-sent connection, or a caller that stops
reading, never holds up another caller; no spelling of --tools is forwarded; and a
shared folder named by LAMP_SOCKET keeps its mode.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from standin_model import StandinModel, last_user

from lamp.cli.serve_client import connect
from lamp.cli.serve_guard import Untrusted, check_socket, forwardable

_SCRIPT = Path(sys.executable).parent / "lamp"
LAMP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lamp.cli"]
STANDIN_ANSWER = "stand-in says OK"
PAL_PROGRAM = "```python\ndef solution():\n    return 12 * 7\n```"


def _standin_reply(bodies: list[dict[str, Any]]) -> list[str]:
    """``STANDIN_ANSWER``; for ``long:N``, N bytes of ``x`` in 1 KiB chunks (to fill socket
    buffers); for a question about eggs, a PAL program whose answer is 84."""
    last = last_user(bodies[-1])
    wanted = re.search(r"long:(\d+)", last)
    return (["x" * 1024] * (int(wanted.group(1)) // 1024) if wanted
            else [PAL_PROGRAM] if "eggs" in last else [STANDIN_ANSWER])
ATTACKER_UID = 54321
SECRET = "sk-secret-4242"
is_root = pytest.mark.skipif(os.getuid() != 0, reason="a second uid needs root")


@dataclass
class Setup:
    env: dict[str, str]
    sock: Path

    def lamp(self, *args: str, stdin: bytes | None = None, timeout: float = 60,
             **extra: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*LAMP, *args], input=stdin,
                              stdin=None if stdin is not None else subprocess.DEVNULL,
                              capture_output=True, env={**self.env, **extra}, timeout=timeout)

    def status(self) -> dict:
        done = self.lamp("serve", "--status")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A private temp dir with a short path (AF_UNIX paths are limited to 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="lsv"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def setup(short_tmp: Path, lamp_home: Path) -> Iterator[Setup]:
    with StandinModel(_standin_reply) as model:
        env = {**os.environ, **model.env(),
               "LAMP_SOCKET": str(short_tmp / "run" / "serve.sock"), "LAMP_API_KEY": SECRET}
        yield Setup(env, short_tmp / "run" / "serve.sock")


@pytest.fixture
def server(setup: Setup) -> Iterator[subprocess.Popen[bytes]]:
    """A real `lamp serve` in the foreground (it stops itself after 120 idle seconds)."""
    proc = subprocess.Popen([*LAMP, "serve", "--idle-timeout", "120"], env=setup.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while setup.lamp("serve", "--status").returncode != 0:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "lamp serve did not come up in 60 s"
            time.sleep(0.2)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def raw_connect(path: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(str(path))
    return sock


# -- which calls may be forwarded -------------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["ask", "--tools", "shell", "hi"],
    ["ask", "--tools=shell", "hi"],
    ["ask", "--tools=python,shell", "hi"],
    ["ask", "hi", "--tools", "default"],
    ["ask", "--no-memory", "--tools=calculator", "--", "hi"],
    ["ask", "--tools", ""],  # an empty tool list is still a tools call
    ["ask", "--allow", "shell", "hi"],
    ["ask", "--approve=all", "hi"],
    ["ask", "--max-steps", "2", "hi"],
    ["ask", "--tool=shell", "hi"],  # not an option: in process, which reports it
    ["ask", "--too", "shell", "hi"],  # no abbreviations either way
    ["ask", "--tools"],  # missing value
    ["ask", "--help"],
    ["ask", "-h"],
    ["chat"],
    ["cmd", "list files"],
    ["serve"],
    ["--version"],
    [],
])
def test_tool_calls_and_terminal_commands_are_not_forwarded(argv: list[str]) -> None:
    assert forwardable(argv) is False


@pytest.mark.parametrize("argv", [
    ["ask", "hi"],
    ["ask", "--no-memory", "--temperature", "0", "what are --tools?"],
    ["ask", "--", "--tools=shell"],  # the prompt is the text "--tools=shell"
    ["ask", "-t", "summarize", "hi"],
    ["pal", "A box holds 12 eggs. How many in 7 boxes?"],
])
def test_plain_questions_are_forwarded(argv: list[str]) -> None:
    assert forwardable(argv) is True


def test_no_tools_spelling_reaches_the_server(setup: Setup, server: subprocess.Popen) -> None:
    plain = setup.lamp("ask", "--no-memory", "Say OK.")
    assert plain.returncode == 0, plain.stderr
    assert STANDIN_ANSWER.encode() in plain.stdout
    assert setup.status()["requests"] == 1  # the control: a plain call is forwarded
    for spelling in (["--tools", "calculator"], ["--tools=calculator"],
                     ["--tools=python,calculator"]):
        setup.lamp("ask", "--no-memory", *spelling, "What is 2+2?")
    assert setup.status()["requests"] == 1
    # A client that forwards a tools call (or a terminal command) anyway is handed it back.
    for argv in (["ask", "--tools=shell", "ls"], ["ask", "--approve", "all", "hi"],
                 ["cmd", "--yes", "rm -r ./victim"], ["chat"], ["ask", "--tool=shell", "x"]):
        with raw_connect(setup.sock) as sock:
            sock.sendall(json.dumps({"op": "run", "argv": argv, "cwd": "/", "env": {}}
                                    ).encode() + b"\n")
            assert json.loads(sock.makefile("rb").readline()) == {"fallback": True}
    assert setup.status()["requests"] == 1


# -- the server never waits on one connection ------------------------------------------

def test_idle_and_half_sent_connections_do_not_stall_a_call(
        setup: Setup, server: subprocess.Popen) -> None:
    # Eight silent peers: served one after another, each would cost the whole read
    # deadline (10 s), far past the call's 60 s bound.
    idle = [raw_connect(setup.sock) for _ in range(6)]
    half = [raw_connect(setup.sock) for _ in range(2)]
    half[0].sendall(b'{"op": "run", "argv": ["ask", ')
    half[1].sendall(b'{"op": "status"')
    try:
        done = setup.lamp("ask", "--no-memory", "Say OK.", timeout=60)
        assert done.returncode == 0, done.stderr
        assert STANDIN_ANSWER.encode() in done.stdout
        assert setup.status()["requests"] == 1  # answered by the server, not in process
        # The server drops them all once its read deadline passes.
        assert all(sock.recv(1) == b"" for sock in idle + half)
    finally:
        for sock in idle + half:
            sock.close()


def test_a_caller_that_stops_reading_does_not_hold_the_model(
        setup: Setup, server: subprocess.Popen) -> None:
    stuck = raw_connect(setup.sock)
    try:  # 2 MiB of answer, never read: far more than a socket buffer holds
        stuck.sendall(json.dumps({"op": "run", "env": {k: v for k, v in setup.env.items()
                                                       if k.startswith("LAMP_")},
                                  "argv": ["ask", "--no-memory", "long:2097152"],
                                  "cwd": "/"}).encode() + b"\n")
        time.sleep(1)
        done = setup.lamp("ask", "--no-memory", "Say OK.", timeout=60)
        assert done.returncode == 0, done.stderr
        assert STANDIN_ANSWER.encode() in done.stdout
        assert setup.status()["requests"] == 2
    finally:
        stuck.close()


def test_with_no_server_a_call_runs_in_process_silently(setup: Setup) -> None:
    for _ in range(2):  # no folder yet; then the folder, but no socket
        done = setup.lamp("ask", "--no-memory", "Say OK.")
        assert (done.returncode, done.stderr) == (0, b"")
        assert STANDIN_ANSWER.encode() in done.stdout
        setup.sock.parent.mkdir(mode=0o700, exist_ok=True)


def test_forwarded_and_in_process_calls_agree(setup: Setup, server: subprocess.Popen) -> None:
    args = ("ask", "--no-memory", "Summarize.")
    warm = setup.lamp(*args, stdin=b"some notes")
    cold = setup.lamp(*args, stdin=b"some notes", LAMP_NO_SERVER="1")
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout,
                                                           cold.stderr)
    assert setup.status()["requests"] == 1


@pytest.mark.bwrap
def test_pal_runs_its_sandbox_from_the_server_as_in_process(
        setup: Setup, server: subprocess.Popen) -> None:
    question = "A box holds 12 eggs. How many eggs are in 7 boxes?"
    warm = setup.lamp("pal", question)
    cold = setup.lamp("pal", question, LAMP_NO_SERVER="1")
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout,
                                                           cold.stderr)
    assert setup.status()["requests"] == 1
    if cold.returncode == 0:  # else this machine's sandbox refuses, and says so both ways
        assert warm.stdout.strip() == b"84"


def test_stop_lets_the_answer_being_sent_reach_its_caller(
        setup: Setup, server: subprocess.Popen) -> None:
    size = 4 * 1024 * 1024
    client = subprocess.Popen([*LAMP, "ask", "--no-memory", f"long:{size}"], env=setup.env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, bufsize=0)  # communicate() reads the fd
    try:
        assert client.stdout is not None
        head = client.stdout.read(1024)  # the answer is streaming through the server
        assert setup.status()["requests"] == 1
        assert setup.lamp("serve", "--stop").returncode == 0
        rest, err = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
    assert client.returncode == 0, err
    assert (head + rest).strip() == b"x" * size
    assert server.wait(timeout=60) == 0
    assert not setup.sock.exists()


# -- folders ---------------------------------------------------------------------------

def test_a_shared_folder_keeps_its_mode_and_is_refused(setup: Setup, short_tmp: Path) -> None:
    shared = short_tmp / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp
    sock = shared / "lamp.sock"
    for args in (["serve", "--idle-timeout", "5"], ["serve", "--detach"]):
        done = setup.lamp(*args, LAMP_SOCKET=str(sock))
        assert done.returncode == 2, done.stderr
        err = done.stderr.decode()
        assert err.count("\n") == 1 and "writable by others" in err
    # A client with auto_serve on starts nothing there either, and still answers.
    asked = setup.lamp("ask", "--no-memory", "Say OK.", LAMP_SOCKET=str(sock),
                       LAMP_AUTO_SERVE="30")
    assert asked.returncode == 0 and STANDIN_ANSWER.encode() in asked.stdout
    assert "warning" in asked.stderr.decode()
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert list(shared.iterdir()) == []  # no socket, no serve.log


def test_missing_folders_are_created_private_and_an_own_folder_keeps_its_mode(
        setup: Setup, short_tmp: Path) -> None:
    own = short_tmp / "own"
    own.mkdir(mode=0o755)
    own.chmod(0o755)
    for sock in (short_tmp / "new" / "deeper" / "s.sock", own / "s.sock"):
        proc = subprocess.Popen([*LAMP, "serve", "--idle-timeout", "2"],
                                env={**setup.env, "LAMP_SOCKET": str(sock)},
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not sock.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sock.exists(), proc.stderr.read() if proc.stderr else ""
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600
        assert proc.wait(timeout=60) == 0  # stops itself when idle
    assert stat.S_IMODE((short_tmp / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE((short_tmp / "new" / "deeper").stat().st_mode) == 0o700
    assert stat.S_IMODE(own.stat().st_mode) == 0o755


# -- another user ----------------------------------------------------------------------

FAKE_SERVER = r"""
import os, socket, sys, time
path, mode = sys.argv[1], sys.argv[2]
def drop():
    os.setgroups([]); os.setgid(int(sys.argv[3])); os.setuid(int(sys.argv[3]))
if mode == "as-attacker":
    drop()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o777)
if mode == "listen-as-attacker":
    drop()  # the socket file is the victim's; the process behind it is not
s.listen(8)
print("ready", flush=True)
s.settimeout(0.5)
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        c, _ = s.accept()
    except TimeoutError:
        continue
    c.settimeout(2)
    got = b""
    try:
        c.sendall(b'{"out": "PWNED\\n"}\n{"exit": 0}\n')
        while chunk := c.recv(65536):
            got += chunk
    except OSError:
        pass
    print("conn", got.hex(), flush=True)
    c.close()
"""


ATTACKER_CLIENT = r"""
import os, socket, sys
os.setgroups([]); os.setgid(int(sys.argv[2])); os.setuid(int(sys.argv[2]))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[3].encode() + b"\n")
    print(s.recv(65536).hex())
except OSError:
    print("")
"""


def python_as_root() -> list[str]:
    """The base interpreter, isolated: runs as any uid, needs nothing from the venv."""
    return [os.path.realpath(sys.executable), "-I", "-S", "-c"]


def start_fake(path: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([*python_as_root(), FAKE_SERVER, str(path), mode,
                             str(ATTACKER_UID)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def received(proc: subprocess.Popen[str]) -> list[str]:
    """What the fake server was sent, one hex string per connection."""
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    return [line.split(" ", 1)[1] if " " in line else "" for line in out.splitlines()
            if line.startswith("conn")]


def plant(kind: str, root: Path) -> tuple[Path, subprocess.Popen[str]]:
    """Where the client will look (LAMP_SOCKET) and the attacker's server behind it."""
    root.chmod(0o711)  # the attacker may pass through, not list or write
    shared = root / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    if kind == "shared folder":
        return shared / "lamp.sock", start_fake(shared / "lamp.sock", "as-attacker")
    if kind == "attacker's folder":
        evil = root / "evil"
        evil.mkdir(mode=0o755)
        os.chown(evil, ATTACKER_UID, ATTACKER_UID)
        return evil / "lamp.sock", start_fake(evil / "lamp.sock", "as-attacker")
    if kind == "symlinked folder":
        evil = root / "evil"
        evil.mkdir(mode=0o755)
        os.chown(evil, ATTACKER_UID, ATTACKER_UID)
        (root / "link").symlink_to(evil)  # a link of ours, to a folder of theirs
        fake = start_fake(evil / "lamp.sock", "as-attacker")
        return root / "link" / "lamp.sock", fake
    ours = root / "run"
    ours.mkdir(mode=0o700)
    if kind == "symlink in our folder":
        fake = start_fake(shared / "real.sock", "as-attacker")
        (ours / "lamp.sock").symlink_to(shared / "real.sock")
        return ours / "lamp.sock", fake
    assert kind == "our socket, another uid behind it"  # what a swap after the checks gives
    return ours / "lamp.sock", start_fake(ours / "lamp.sock", "listen-as-attacker")


@is_root
@pytest.mark.parametrize("kind", ["shared folder", "attacker's folder", "symlinked folder",
                                  "symlink in our folder", "our socket, another uid behind it"])
def test_the_client_sends_nothing_to_a_socket_of_another_user(
        setup: Setup, short_tmp: Path, kind: str) -> None:
    path, fake = plant(kind, short_tmp)
    # Each layer on its own: the place check sees through the first three; the fourth
    # looks right on disk (as after a swap between check and connect) and only the
    # kernel's word on the peer gives it away.
    if kind == "our socket, another uid behind it":
        assert check_socket(path) is True
        with pytest.raises(Untrusted, match=str(ATTACKER_UID)):
            connect(path)
    else:
        with pytest.raises(Untrusted):
            check_socket(path)
    try:
        asked = setup.lamp("ask", "--no-memory", "what is my password?", stdin=b"piped secret",
                           LAMP_SOCKET=str(path))
        status = setup.lamp("serve", "--status", LAMP_SOCKET=str(path))
    finally:
        payloads = received(fake)
    # Answered in process, with one line saying why the server was not used.
    assert asked.returncode == 0, asked.stderr
    assert STANDIN_ANSWER.encode() in asked.stdout and b"PWNED" not in asked.stdout
    warning = asked.stderr.decode()
    assert warning.startswith("lamp: warning: ") and warning.count("\n") == 1
    assert str(ATTACKER_UID) in warning or "writable by others" in warning or "symlink" in warning
    assert status.returncode == 1 and b"PWNED" not in status.stdout
    assert status.stderr.decode().count("\n") == 1
    # Not a byte of argv, stdin, cwd or the API key reached the attacker.
    assert all(p == "" for p in payloads), payloads


@is_root
def test_the_server_refuses_another_uid(setup: Setup, server: subprocess.Popen,
                                        short_tmp: Path) -> None:
    # Take the file-permission layer away: only the server's peer check is left.
    short_tmp.chmod(0o711)
    setup.sock.parent.chmod(0o711)
    setup.sock.chmod(0o666)
    run = {"op": "run", "argv": ["ask", "--no-memory", "hi"], "cwd": "/", "env": {}}
    for request in ({"op": "status"}, run, {"op": "stop"}):
        attacker = subprocess.run([*python_as_root(), ATTACKER_CLIENT, str(setup.sock),
                                   str(ATTACKER_UID), json.dumps(request)],
                                  capture_output=True, text=True, timeout=60)
        assert attacker.returncode == 0, attacker.stderr
        assert attacker.stdout.strip() == ""  # closed without a word
    assert server.poll() is None
    assert setup.status()["requests"] == 0
    done = setup.lamp("ask", "--no-memory", "Say OK.")
    assert done.returncode == 0 and STANDIN_ANSWER.encode() in done.stdout
    assert setup.status()["requests"] == 1
