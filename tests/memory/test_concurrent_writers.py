"""Concurrent writers to one session keep every exchange, contiguous and in order.

Before issue 28 each process read the session's next turn number once, when it
opened memory, and the journal's ``INSERT OR REPLACE`` kept the last writer: three
`lamp ask -s shared` at once all exited 0 and two of the three exchanges were gone.
These tests run the real CLI as processes against a stand-in OpenAI-compatible
model on 127.0.0.1 that holds every answer until all askers have opened memory,
and hammer one journal session from several processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from standin_model import StandinModel, answer_to

from lamp.memory.journal import JOURNAL_NAME, Journal

WORKER = Path(__file__).with_name("journal_worker.py")
_SCRIPT = Path(sys.executable).parent / "lamp"
LAMP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lamp.cli"]


def _assert_exchanges(turns: list[tuple[int, str, str]], questions: list[str]) -> None:
    """``(n, role, text)`` sorted by n: numbers 0..2k-1 with no gap, each user turn at an
    even number followed by its own answer, every question exactly once."""
    assert [n for n, _, _ in turns] == list(range(2 * len(questions)))
    pairs = [(turns[i], turns[i + 1]) for i in range(0, len(turns), 2)]
    for (_, role_q, question), (_, role_a, answer) in pairs:
        assert (role_q, role_a) == ("user", "assistant")
        assert answer == f"answer to: {question}"
    assert sorted(q for (_, _, q), _ in pairs) == sorted(questions)


def test_concurrent_lamp_ask_processes_keep_every_exchange(lamp_home: Path) -> None:
    n_procs = 3
    questions = [f"question {i} from terminal {i}" for i in range(n_procs)]
    with StandinModel(answer_to, gather=n_procs, hold_s=60) as model:
        env = {**os.environ, **model.env()}
        # Round 1: a new session; round 2: the same session, now with history to load.
        for round_ in range(2):
            asked = [q + f" (round {round_})" for q in questions]
            procs = [subprocess.Popen([*LAMP, "ask", "-s", "shared", "--json", q], env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE) for q in asked]
            try:
                results = [p.communicate(timeout=240) for p in procs]
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
                        p.wait(10)
            for p, (out, err) in zip(procs, results, strict=True):
                assert p.returncode == 0, err.decode()
                assert json.loads(out)["session"] == "shared"
            model.bodies.clear()
    everything = [q + f" (round {r})" for r in range(2) for q in questions]

    # The journal, read directly: 12 turns, 6 whole exchanges, none lost.
    journal = Journal(lamp_home / "data" / "memory" / JOURNAL_NAME)
    try:
        _assert_exchanges([(t.n, t.role, t.text) for t in journal.turns("shared")], everything)
        round_of = [t.text.rsplit("(round ", 1)[1] for t in journal.turns("shared")]
        assert round_of == sorted(round_of)  # round 2 continued after round 1
    finally:
        journal.close()

    # And through the CLI: `lamp memory show` indexes the journal into Chroma, whose ids
    # (session, n, role) are the journal's numbers.
    shown = subprocess.run([*LAMP, "memory", "show", "shared", "--json"], env=os.environ,
                           capture_output=True, timeout=240, stdin=subprocess.DEVNULL)
    assert shown.returncode == 0, shown.stderr.decode()
    payload = json.loads(shown.stdout)
    turns = payload["turns"]
    _assert_exchanges([(t["n"], t["role"], t["text"]) for t in turns], everything)
    assert all(t["id"] == f"turn:shared:{t['n']}:{t['role']}" for t in turns)
    assert payload["session"]["turns"] == 12


def _hammer(path: Path, go: Path, n_procs: int, count: int, *, timeout: float) -> None:
    """``n_procs`` journal workers each write ``count`` exchanges to session "shared" of
    ``path``, all released at once by ``go``; each must finish, exit 0 and say done."""
    procs = [subprocess.Popen([sys.executable, str(WORKER), "hammer", str(path), str(p),
                               str(count), str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for p in range(n_procs)]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=timeout)
            assert proc.returncode == 0 and out.strip() == "done", err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def test_four_processes_hammering_one_journal_session(tmp_path: Path) -> None:
    path, n_procs, count = tmp_path / "memory", 4, 60
    _hammer(path, tmp_path / "go", n_procs, count, timeout=120)
    journal = Journal(path / JOURNAL_NAME)
    turns = journal.turns("shared")
    journal.close()
    assert [t.n for t in turns] == list(range(2 * n_procs * count))  # no gap, no overwrite
    seen: dict[int, list[int]] = {p: [] for p in range(n_procs)}
    for question, answer in zip(turns[::2], turns[1::2], strict=True):
        proc, i = question.text.split()  # "p3 q17": an exchange's two turns are adjacent
        assert (question.role, answer.role) == ("user", "assistant")
        assert answer.text == f"{proc} a{i[1:]}" and question.model == answer.model == proc
        seen[int(proc[1:])].append(int(i[1:]))
    assert all(order == list(range(count)) for order in seen.values())  # each in its order

    # Indexed into Chroma, the ids follow the journal's numbers exactly.
    from lamp.memory import MemoryStore

    started = time.monotonic()
    with MemoryStore.open(path) as store:
        history = store.history("shared")
        assert [(t.n, t.role, t.text) for t in history] == [(t.n, t.role, t.text)
                                                             for t in turns]
        assert store.get_session("shared").turns == len(turns)
    assert time.monotonic() - started < 120


def test_processes_opening_a_fresh_journal_at_once_all_write(tmp_path: Path) -> None:
    # Switching a new SQLite file to WAL takes a lock its busy timeout does not wait for:
    # unretried, 2 of 25 rounds of 4 fresh processes lost one to "database is locked"
    # (measured; the hammer test above failed so once in 8 runs). Probabilistic: it
    # catches a regression only some of the time; 6 rounds of 6 processes.
    for round_ in range(6):
        path = tmp_path / f"m{round_}"
        _hammer(path, tmp_path / f"go{round_}", 6, 2, timeout=60)
        journal = Journal(path / JOURNAL_NAME)
        assert [t.n for t in journal.turns("shared")] == list(range(24))
        journal.close()


_PROBE_SHARED_LOCK = r"""
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:  # SQLite's SHARED byte range: a WAL connection holds it for as long as it is open
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002)
    print("free")
except OSError:
    print("held")
"""


def test_a_second_journal_in_the_process_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    # SQLite's locks are POSIX locks, which the kernel drops when the process closes ANY
    # descriptor of the file. A second Journal that opened and closed the file (to fix
    # its mode) silently unlocked the first one's connection: another process closing
    # last then reset the WAL under it, and a committed exchange vanished (measured with
    # three concurrent `lamp ask`; each holds two Journals, the CLI's and the store's).
    path = tmp_path / "memory" / JOURNAL_NAME
    first, second = Journal(path), Journal(path)
    try:
        first.append("s", [("user", "a")])

        def probe() -> str:
            return subprocess.run([sys.executable, "-c", _PROBE_SHARED_LOCK, str(path)],
                                  capture_output=True, text=True, timeout=60).stdout.strip()

        assert probe() == "held"
        second.append("s", [("user", "b")])
        assert probe() == "held"
        assert [t.n for t in first.turns("s")] == [0, 1]
    finally:
        first.close()
        second.close()
