"""`lamp serve` answers each client for that client: its streams, environment and working
directory travel as a ``Caller``, and the server's own process state is never swapped.

The end-to-end test runs a real ``Server`` in a thread of this process (a scripted model,
a Unix socket in a temp dir), so that the process the forwarded calls ran in can be looked
at afterwards.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lamp.agent.app.output import Caller, Output
from lamp.agent.config.settings import load_settings
from lamp.agent.models import ScriptedBackend
from lamp.cli.serve import Server
from lamp.cli.serve_io import FrameWriter, Outbox, caller_env, caller_for


def _server_caller(env: dict[str, str], cwd: Path) -> Caller:
    return Caller(Output(stdout=sys.stdout, stderr=sys.stderr), env, cwd)


def test_the_client_environment_is_laid_over_the_servers_without_its_lamp_settings() -> None:
    server = {"PATH": "/usr/bin", "LAMP_HOME": "/srv/home", "LAMP_MODEL": "big",
              "COLUMNS": "200", "LANG": "C.UTF-8"}
    sent = {"LAMP_HOME": "/client/home", "TERM": "xterm", "COLUMNS": "97"}
    assert caller_env(server, sent) == {"PATH": "/usr/bin", "LANG": "C.UTF-8",
                                        "LAMP_HOME": "/client/home", "TERM": "xterm"}
    assert caller_env(server, None) == {"PATH": "/usr/bin", "LANG": "C.UTF-8"}


def test_a_request_becomes_the_callers_output_env_and_cwd(tmp_path: Path) -> None:
    here, there = socket.socketpair()
    outbox = Outbox(here)
    request = {"op": "run", "argv": ["ask", "hi"], "cwd": str(tmp_path),
               "stdin_b64": base64.b64encode("piped ü".encode()).decode(),
               "stdout_tty": True, "stderr_tty": False, "columns": 97,
               "env": {"LAMP_HOME": "/client/home", "COLUMNS": "97"}}
    server = _server_caller({"LAMP_HOME": "/srv", "PATH": "/bin"}, Path("/"))
    caller, writers = caller_for(request, outbox, server)
    output = caller.output
    assert (caller.cwd, dict(caller.env)) == (tmp_path, {"PATH": "/bin",
                                                         "LAMP_HOME": "/client/home"})
    assert (output.stdout_terminal, output.stderr_terminal, output.stdin_terminal,
            output.width) == (True, False, False, 97)
    assert output.read_stdin().text == "piped ü"
    assert caller.path("notes.txt") == tmp_path / "notes.txt"
    # Frames wait until the call is known to run here, then go out in order.
    output.write("answer")
    output.warn("careful")
    assert writers[0].pending and writers[0].holding
    FrameWriter.release(writers)
    output.write(" more")
    outbox.finish()
    here.close()
    frames = [json.loads(line) for line in there.makefile("rb")]
    there.close()
    assert frames == [{"out": "answer"}, {"err": "lamp: warning: careful\n"}, {"out": " more"}]
    # No cwd sent: the server's own.
    quiet, other = socket.socketpair()
    idle = Outbox(quiet)
    assert caller_for({"env": {}}, idle, server)[0].cwd == Path("/")
    idle.finish()
    quiet.close()
    other.close()


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A temp dir with a short path (AF_UNIX paths are limited to 108 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="lsc"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _client(home: Path, system: str, cwd: Path, notes: str) -> dict[str, object]:
    """A client with its own LAMP_HOME (whose config sets the system prompt) and a
    relative ``-f notes.txt`` in its own working directory."""
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(f"system = {json.dumps(system)}\n")
    cwd.mkdir()
    (cwd / "notes.txt").write_text(notes)
    return {"op": "run", "argv": ["ask", "--no-memory", "-f", "notes.txt", "Summarize."],
            "cwd": str(cwd), "stdout_tty": False, "stderr_tty": False, "columns": 80,
            "env": {"LAMP_HOME": str(home)}}


def _forward(sock_path: Path, request: dict[str, object]) -> list[dict[str, object]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(60)
        sock.connect(str(sock_path))
        sock.sendall(json.dumps(request).encode() + b"\n")
        return [json.loads(line) for line in sock.makefile("rb")]


def test_two_clients_are_each_answered_in_their_own_environment(short_tmp: Path) -> None:
    backend = ScriptedBackend().enqueue("answer for A", "answer for B", '{"name": "Ada"}')
    sock_path = short_tmp / "run" / "s.sock"
    server_env = {"PATH": os.environ.get("PATH", ""), "LAMP_HOME": str(short_tmp / "srv")}
    server = Server(load_settings({}, env=server_env), backend, sock_path, 0,
                    _server_caller(server_env, short_tmp))
    a = _client(short_tmp / "home-a", "You are A.", short_tmp / "cwd-a", "apples are red")
    b = _client(short_tmp / "home-b", "You are B.", short_tmp / "cwd-b", "bananas are yellow")
    environ, cwd, streams = dict(os.environ), os.getcwd(), (sys.stdin, sys.stdout, sys.stderr)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if sock_path.exists():
                break
            threading.Event().wait(0.05)
        got_a, got_b = _forward(sock_path, a), _forward(sock_path, b)
        # A relative --schema file is read from the client's directory too.
        (short_tmp / "cwd-a" / "shape.json").write_text(json.dumps(
            {"type": "object", "properties": {"name": {"type": "string"}},
             "required": ["name"]}))
        shaped = _forward(sock_path, {**a, "argv": ["ask", "--no-memory", "--schema",
                                                   "shape.json", "Ada is 36"]})
    finally:
        server.stopping.set()
        thread.join(timeout=30)
        server.close()
    assert not thread.is_alive()
    assert got_a[-1] == {"exit": 0} and got_b[-1] == {"exit": 0}, (got_a, got_b)
    assert "".join(str(f.get("out", "")) for f in got_a).strip() == "answer for A"
    assert "".join(str(f.get("out", "")) for f in got_b).strip() == "answer for B"
    assert shaped[-1] == {"exit": 0}, shaped
    assert json.loads("".join(str(f.get("out", "")) for f in shaped)) == {"name": "Ada"}
    (asked_a, _, _), (asked_b, _, _), _ = backend.requests
    text_a = "\n".join(m.content for m in asked_a)
    text_b = "\n".join(m.content for m in asked_b)
    # Each call read its own config (LAMP_HOME) and its own relative file (cwd).
    assert "You are A." in text_a and "apples are red" in text_a and "B." not in text_a
    assert "You are B." in text_b and "bananas are yellow" in text_b and "apples" not in text_b
    # The server's process is as it was: environment, working directory, streams.
    assert dict(os.environ) == environ and os.getcwd() == cwd
    assert (sys.stdin, sys.stdout, sys.stderr) == streams
    assert server.requests == 3
