"""`lamp serve` for real: a warm server on a Unix socket, forwarded calls, faults."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
LAMP = str(Path(sys.executable).parent / "lamp")
ASK = ("ask", "--no-memory", "--temperature", "0", "--max-tokens", "24")


def lamp(*args: str, stdin: bytes | None = None, env: dict[str, str] | None = None,
         timeout: float = 180) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([LAMP, *args], input=stdin,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, env={**os.environ, **(env or {})},
                          timeout=timeout)


@pytest.fixture
def server(default_model: Path, lamp_home: Path) -> Iterator[Path]:
    started = lamp("serve", "--detach", "--idle-timeout", "300")
    assert started.returncode == 0, started.stderr
    yield lamp_home / "run" / "serve.sock"
    lamp("serve", "--stop")


def pid_of_server() -> int:
    return int(json.loads(lamp("serve", "--status").stdout)["pid"])


def test_forwarded_calls_match_in_process_ones(server: Path) -> None:
    assert stat.S_IMODE(server.stat().st_mode) == 0o600
    assert stat.S_IMODE(server.parent.stat().st_mode) == 0o700
    notes = b"Meeting notes: the launch moved to March 3rd. Owner: Priya."
    question = "Who is the owner? Answer with the name only."
    warm = lamp(*ASK, question, stdin=notes)
    cold = lamp(*ASK, question, stdin=notes, env={"LAMP_NO_SERVER": "1"})
    assert (warm.returncode, warm.stdout, warm.stderr) == (cold.returncode, cold.stdout,
                                                           cold.stderr)
    assert b"Priya" in warm.stdout
    assert json.loads(lamp("serve", "--status").stdout)["requests"] >= 1
    # Bad input: the same one-line error and exit code either way.
    empty = lamp("ask", "--no-memory")
    assert empty.returncode == 2 and empty.stderr == lamp(
        "ask", "--no-memory", env={"LAMP_NO_SERVER": "1"}).stderr
    # Other model settings are run in process, with the same result.
    other = lamp(*ASK, "--ctx", "2048", "Say OK.")
    assert other.returncode == 0 and other.stdout.strip()


@pytest.mark.bwrap
def test_pal_is_answered_by_the_server_as_in_process(server: Path) -> None:
    question = "A box holds 12 eggs. How many eggs are in 7 boxes?"
    warm = lamp("pal", question)
    cold = lamp("pal", question, env={"LAMP_NO_SERVER": "1"})
    assert (warm.returncode, warm.stdout) == (cold.returncode, cold.stdout)
    assert warm.stdout.strip() == b"84"
    assert json.loads(lamp("serve", "--status").stdout)["requests"] == 1


def test_memory_works_through_the_server(server: Path) -> None:
    asked = lamp("ask", "--session", "served", "--temperature", "0", "--max-tokens", "12",
                 "Remember: my badge number is 7731. Reply OK.")
    assert asked.returncode == 0, asked.stderr
    shown = json.loads(lamp("memory", "show", "served", "--json").stdout)
    assert "7731" in json.dumps(shown)


def test_the_server_indexes_the_journal_of_what_it_answered(server: Path) -> None:
    from lamp.cli.memory import memory_location
    from lamp.memory.journal import JOURNAL_NAME, Journal

    asked = lamp("ask", "--temperature", "0", "--max-tokens", "8", "Say OK.")
    assert asked.returncode == 0, asked.stderr
    journal = Journal(memory_location(None).path / JOURNAL_NAME)
    deadline = time.monotonic() + 120
    while journal.pending() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert journal.pending() == []  # indexed by the server after it replied
    # A one-shot process only journals: the exchange waits for the next store opener.
    cold = lamp("ask", "--temperature", "0", "--max-tokens", "8", "Say OK.",
                env={"LAMP_NO_SERVER": "1"})
    assert cold.returncode == 0, cold.stderr
    assert {e.text for e in journal.pending()} >= {"Say OK."}
    journal.close()


def test_stale_socket_from_a_killed_server_is_removed(server: Path) -> None:
    os.kill(pid_of_server(), signal.SIGKILL)
    time.sleep(0.5)
    assert server.exists()  # the dead server left its socket behind
    proc = lamp(*ASK, "Say OK.")
    assert proc.returncode == 0 and proc.stdout.strip()
    assert not server.exists()


def test_server_killed_mid_answer_never_hangs(server: Path) -> None:
    pid = pid_of_server()
    client = subprocess.Popen([LAMP, "ask", "--no-memory", "--temperature", "0",
                               "--max-tokens", "400", "Write a long story about a lighthouse."],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert client.stdout is not None
    client.stdout.read(20)  # the answer has started streaming through the server
    os.kill(pid, signal.SIGKILL)
    _, err = client.communicate(timeout=60)
    assert client.returncode == 1
    assert err.decode().strip().count("\n") == 0 and "server" in err.decode()


def test_stop_and_status(server: Path) -> None:
    assert lamp("serve", "--status").returncode == 0
    assert lamp("serve", "--stop").stdout.strip() == b"stopped"
    time.sleep(0.5)
    assert lamp("serve", "--status").returncode == 1
    assert not server.exists()


def test_a_caller_that_goes_away_or_sends_garbage_does_not_stop_the_server(server: Path) -> None:
    for payload in (b"this is not json\n", b'{"op": "status"}\n'):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(server))
            sock.sendall(payload)  # and leave without reading the reply
    time.sleep(0.5)
    assert lamp("serve", "--status").returncode == 0
    assert lamp(*ASK, "Say OK.").returncode == 0


def test_auto_serve_starts_a_server_on_first_use_and_answers_through_it(
        default_model: Path, lamp_home: Path) -> None:
    env = {"LAMP_AUTO_SERVE": "120"}
    try:
        first = lamp(*ASK, "What is 2 + 3? Answer with the number.", env=env)
        assert first.returncode == 0, first.stderr
        assert b"5" in first.stdout
        status = json.loads(lamp("serve", "--status").stdout)
        assert (status["requests"], status["idle_timeout_s"]) == (1, 120)
        second = lamp(*ASK, "Say OK.", env=env)
        assert second.returncode == 0 and second.stdout.strip()
        assert json.loads(lamp("serve", "--status").stdout)["requests"] == 2
    finally:
        lamp("serve", "--stop")


def test_without_auto_serve_no_server_is_started(default_model: Path, lamp_home: Path) -> None:
    assert lamp(*ASK, "Say OK.").returncode == 0
    assert lamp("serve", "--status").returncode == 1

