"""The memory journal: exchanges durable at once, indexed into Chroma later, exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from lamp.memory.journal import JOURNAL_NAME, Journal

WORKER = Path(__file__).with_name("journal_worker.py")


def test_append_numbers_turns_itself_and_never_replaces(tmp_path: Path) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    first = journal.append("s", [("user", "hi"), ("assistant", "hello")], model="m")
    again = journal.append("s", [("user", "again"), ("assistant", "first try")])
    retry = journal.append("s", [("user", "again"), ("assistant", "second try")])
    assert [t.n for t in (*first, *again, *retry)] == [0, 1, 2, 3, 4, 5]
    assert [(e.n, e.text) for e in journal.pending()] == [
        (0, "hi"), (1, "hello"), (2, "again"), (3, "first try"), (4, "again"),
        (5, "second try")]
    assert journal.append("other", [("user", "x")])[0].n == 0  # numbered per session
    journal.mark_indexed(journal.pending()[:2])
    assert [e.n for e in journal.pending()] == [2, 3, 4, 5, 0]
    assert [t.text for t in journal.turns("s")][:2] == ["hi", "hello"]  # indexed ones too


def test_at_least_skips_turns_the_store_holds_outside_the_journal(tmp_path: Path) -> None:
    # A session whose turns reached Chroma without the journal (an older lamp, a direct
    # store write) keeps them: the floor is the store's count, never overwritten.
    journal = Journal(tmp_path / JOURNAL_NAME)
    assert [t.n for t in journal.append("old", [("user", "a"), ("assistant", "b")],
                                        at_least=82)] == [82, 83]
    assert journal.append("old", [("user", "c")], at_least=10)[0].n == 84  # a stale floor
    assert journal.append("old", [("user", "d")], at_least=90)[0].n == 90


def test_a_rewrite_after_reading_is_not_marked_indexed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    journal.append("s", [("user", "v1")])
    read = journal.pending()
    journal.forget("s")  # forgotten and written again while indexing: number 0 reused
    assert journal.append("s", [("user", "v2")])[0].n == 0
    journal.mark_indexed(read)
    assert [e.text for e in journal.pending()] == ["v2"]


def test_hints_and_forgetting(tmp_path: Path) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    assert journal.hint("facts") is None  # unknown until a store says
    journal.set_hint("facts", 3)
    assert journal.hint("facts") == 3
    journal.append("a", [("user", "x")])
    journal.append("b", [("user", "y")])
    journal.forget("a")
    assert [e.session for e in journal.pending()] == ["b"]
    journal.forget()
    assert journal.pending() == []


def test_opening_the_store_indexes_the_journal_once(tmp_path: Path) -> None:
    from lamp.memory import MemoryStore

    path = tmp_path / "memory"
    journal = Journal(path / JOURNAL_NAME)
    journal.append("trip", [("user", "We fly to Busan on 3 May."), ("assistant", "Noted.")],
                   model="m", at=1000.0)
    journal.append("trip", [("user", "부산 호텔은 해운대 근처로 예약했어요."),
                            ("assistant", "좋아요.")])
    with MemoryStore.open(path) as store:
        turns = store.history("trip")
        assert turns[0].text == "We fly to Busan on 3 May."
        assert len(turns) == 4 and turns[0].time == 1000.0
        assert store.get_session("trip").turns == 4
        assert store.sync_journal() == 0  # nothing left to index
        hits = store.search("해운대 호텔", k=1, session="trip")
        assert hits[0].text.startswith("부산 호텔")
    assert Journal(path / JOURNAL_NAME).pending() == []
    assert Journal(path / JOURNAL_NAME).hint("facts") == 0


def test_kill_9_after_any_acknowledged_append_loses_nothing(tmp_path: Path) -> None:
    from lamp.memory import MemoryStore

    path = tmp_path / "memory"
    acked: dict[int, str] = {}  # turn number -> the question acknowledged there
    for round_, stop_after in enumerate((5, 11, 3)):
        proc = subprocess.Popen([sys.executable, str(WORKER), "ackloop", str(path)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        try:
            for seen, line in enumerate(proc.stdout, 1):
                word, first, question = line.rstrip("\n").split(" ", 2)
                assert word == "ack"
                acked[int(first)] = question
                if seen >= stop_after:
                    break
            time.sleep(0.002 * round_)  # land the kill at different points of the next write
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
    with MemoryStore.open(path) as store:
        turns = {t.n: t.text for t in store.history("crash")}
    # Each round continues after the last: every acknowledged exchange is there, at the
    # number it was acknowledged with, and none was overwritten by a later round.
    assert len(acked) == 5 + 11 + 3
    assert all(turns[n] == question for n, question in acked.items())
    assert all(turns[n + 1] == question.replace("question", "answer")
               for n, question in acked.items())


def test_kill_9_between_indexing_and_marking_leaves_no_duplicate(tmp_path: Path) -> None:
    from lamp.memory import MemoryStore

    path = tmp_path / "memory"
    journal = Journal(path / JOURNAL_NAME)
    journal.append("s", [("user", "one"), ("assistant", "two"), ("user", "three")])
    done = subprocess.run([sys.executable, str(WORKER), "index-then-die", str(path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL and "indexed 3" in done.stdout
    assert len(journal.pending()) == 3  # indexed, but the mark never happened
    with MemoryStore.open(path) as store:  # indexes them again, under the same ids
        assert [t.text for t in store.history("s")] == ["one", "two", "three"]
        assert store.counts()["turns"] == 3
    assert journal.pending() == []


def test_kill_9_inside_a_journal_write_leaves_it_unwritten_and_usable(tmp_path: Path) -> None:
    path = tmp_path / "memory"
    journal = Journal(path / JOURNAL_NAME)
    journal.append("kept", [("user", "before")])
    done = subprocess.run([sys.executable, str(WORKER), "die-in-transaction", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == -signal.SIGKILL and "inside" in done.stdout
    assert journal.append("kept", [("user", "after")])[0].n == 1
    assert [e.text for e in journal.pending()] == ["before", "after"]
    with sqlite3.connect(path / JOURNAL_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_one_shot_ask_journals_without_chroma_and_memory_commands_see_it(
        tmp_path: Path) -> None:
    # A new session with no remembered facts has nothing to recall: the answer is
    # journaled and chromadb is never imported. The next command that opens the store
    # (here `lamp memory list`) indexes it.
    env = {**os.environ, "LAMP_HOME": str(tmp_path / "home")}
    done, probe = _scripted_ask(env, "서울입니다.", "--json", "한국의 수도는?")
    assert (probe["chromadb"], probe["exit"]) == (False, 0), done.stderr
    session = json.loads(done.stdout)["session"]
    journal = Journal(tmp_path / "home" / "data" / "memory" / JOURNAL_NAME)
    assert [e.text for e in journal.pending()] == ["한국의 수도는?", "서울입니다."]
    listed = subprocess.run([sys.executable, "-m", "lamp.cli", "memory", "show", session,
                             "--json"], capture_output=True, text=True, env=env, timeout=300)
    assert listed.returncode == 0, listed.stderr
    assert "서울입니다." in listed.stdout
    assert journal.pending() == []


def test_a_remembered_fact_still_reaches_a_new_one_shot_session(tmp_path: Path) -> None:
    # With facts in the store the journal's hint says so, and ask opens Chroma to recall.
    env = {**os.environ, "LAMP_HOME": str(tmp_path / "home")}
    told = subprocess.run([sys.executable, "-m", "lamp.cli", "memory", "remember",
                           "My cat is called Tobias."], capture_output=True, text=True,
                          env=env, timeout=300)
    assert told.returncode == 0, told.stderr
    done, probe = _scripted_ask(env, "Tobias.", "What is my cat called?")
    assert probe["exit"] == 0, done.stderr
    assert "- fact: My cat is called Tobias." in probe["system"]


_PROBE = """
import json, sys
from lamp.agent.models import ScriptedBackend
from lamp.cli.main import run
from lamp.cli.runtime import Preloaded
backend = ScriptedBackend().enqueue(sys.argv[1])
sys.argv = ["lamp", "ask", *sys.argv[2:]]
try:
    run(model_source=Preloaded(backend))
except SystemExit as exc:
    code = exc.code
system = backend.requests[0][0][0] if backend.requests else None
print(json.dumps({"chromadb": "chromadb" in sys.modules, "exit": code,
                  "system": system.content if system and system.role == "system" else ""}),
      file=sys.stderr)
"""


def _scripted_ask(env: dict[str, str], answer: str, *args: str
                  ) -> tuple[subprocess.CompletedProcess[str], dict]:
    """``lamp ask ARGS`` in a fresh process on a scripted model that answers ``answer``:
    the process, and what it saw (chromadb imported, exit code, the system prompt)."""
    done = subprocess.run([sys.executable, "-c", _PROBE, answer, *args], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, env=env, timeout=300)
    return done, json.loads(done.stderr.strip().splitlines()[-1])
