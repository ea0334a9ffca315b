"""The run log's store: rows in and out, capping, search, pruning, privacy, several writers."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from lamp.memory.errors import MemoryStoreError
from lamp.memory.runlog import (
    REQUEST_CAP,
    RESULT_CAP,
    LogEvent,
    LogFilter,
    LogRun,
    RunLog,
    cap,
)


def run(request: str = "what is 6*7?", *, at: str = "2026-12-07T10:00:00Z",
        **fields: object) -> LogRun:
    return LogRun(started_at=at, command="ask", mode="plain", request=request,
                  **fields)  # type: ignore[arg-type]


@pytest.fixture
def log(tmp_path: Path) -> RunLog:
    store = RunLog(tmp_path / "data" / "lamp-runs.sqlite3")
    yield store
    store.close()


def test_a_run_comes_back_with_its_events_in_order(log: RunLog) -> None:
    events = (LogEvent("tool_call", "calculator", {"expression": "6*7"}, "42",
                       "not-needed", seconds=0.01),
              LogEvent("tool_call", "shell", {"command": "rm -r x"}, "refused: ...",
                       "user-refused"))
    [run_id] = log.write([run(answer="42", sampling={"temperature": 0.0}, prompt_tokens=12,
                              completion_tokens=3, exit_status=0, events=events)])
    got = log.get(run_id)
    assert got is not None and got.id == run_id
    assert (got.answer, got.sampling, got.prompt_tokens, got.exit_status) == (
        "42", {"temperature": 0.0}, 12, 0)
    assert got.events == events
    assert log.get(run_id + 1) is None


def test_newest_first_and_limited(log: RunLog) -> None:
    log.write([run(f"q{i}", at=f"2026-12-0{i}T00:00:00Z") for i in range(1, 6)])
    assert [r.request for r in log.runs(LogFilter(limit=3))] == ["q5", "q4", "q3"]


def test_filters_by_session_tool_and_time(log: RunLog) -> None:
    log.write([
        run("old", at="2026-11-01T00:00:00Z", session="work"),
        run("new", at="2026-12-06T00:00:00Z", session="work",
            events=(LogEvent("tool_call", "calculator", {}, "1", "not-needed"),)),
        run("other", at="2026-12-06T01:00:00Z", session="home"),
    ])
    assert [r.request for r in log.runs(LogFilter(session="work"))] == ["new", "old"]
    assert [r.request for r in log.runs(LogFilter(tool="calculator"))] == ["new"]
    assert [r.request for r in log.runs(LogFilter(since="2026-12-01T00:00:00Z"))] == [
        "other", "new"]


def test_search_finds_words_in_requests_answers_and_tool_traffic(log: RunLog) -> None:
    log.write([
        run("서울의 날씨는 어때요?", answer="맑아요"),
        run("list files", events=(LogEvent("tool_call", "shell", {"command": "ls -la /srv"},
                                           "backup.tar", "user-approved"),)),
        run("unrelated"),
    ])
    assert [r.request for r in log.runs(LogFilter(text="서울"))] == ["서울의 날씨는 어때요?"]
    assert [r.request for r in log.runs(LogFilter(text="날씨는"))] == ["서울의 날씨는 어때요?"]
    assert [r.request for r in log.runs(LogFilter(text="backup"))] == ["list files"]
    assert [r.request for r in log.runs(LogFilter(text="/srv ls"))] == ["list files"]
    assert log.runs(LogFilter(text="nowhere")) == []
    # FTS syntax in the user's text is text, not an operator
    assert log.runs(LogFilter(text='"ls -la" OR NEAR(')) == []


def test_search_says_which_engine_it_uses(log: RunLog) -> None:
    assert log.search_kind in ("fts5", "like")


def test_long_text_is_capped_and_says_so() -> None:
    assert cap("short", 10) == "short"
    assert cap("x" * 30, 10) == "x" * 10 + "\n[... 20 characters not logged]"


def test_capped_on_the_way_in(log: RunLog) -> None:
    [run_id] = log.write([run("q" * (REQUEST_CAP + 50), events=(
        LogEvent("tool_call", "read_file", {"path": "big"}, "r" * (RESULT_CAP + 1),
                 "not-needed"),))])
    got = log.get(run_id)
    assert got is not None
    assert got.request.endswith("[... 50 characters not logged]")
    assert got.events[0].result is not None and len(got.events[0].result) < RESULT_CAP + 60


def test_prune_drops_old_runs_and_their_events(log: RunLog) -> None:
    log.write([run("old", at="2026-10-01T00:00:00Z",
                   events=(LogEvent("tool_call", "calculator", {}, "1", "not-needed"),)),
               run("new", at="2026-12-06T00:00:00Z")])
    assert log.prune("2026-11-01T00:00:00Z") == 1
    assert [r.request for r in log.runs()] == ["new"]
    assert log.runs(LogFilter(tool="calculator")) == []
    assert log.runs(LogFilter(text="old")) == []
    assert log.prune("2026-11-01T00:00:00Z") == 0


def test_bad_event_kinds_and_approvals_are_refused(log: RunLog) -> None:
    with pytest.raises(MemoryStoreError):
        log.write([run(events=(LogEvent("teleport", "x"),))])
    with pytest.raises(MemoryStoreError):
        log.write([run(events=(LogEvent("tool_call", "x", approval="the model said so"),))])
    assert log.runs() == []  # the whole transaction rolled back


def test_reading_a_missing_log_creates_nothing(tmp_path: Path) -> None:
    store = RunLog(tmp_path / "nowhere" / "log.sqlite3")
    assert store.runs() == [] and store.get(1) is None and store.prune("2030") == 0
    assert not (tmp_path / "nowhere").exists()


def test_the_file_and_its_directory_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    store = RunLog(tmp_path / "data" / "lamp-runs.sqlite3")
    try:
        store.write([run()])
        for path in [store.path, *store.path.parent.glob("lamp-runs.sqlite3-*")]:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    finally:
        store.close()
        os.umask(old)


def test_an_older_world_readable_log_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "lamp-runs.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    store = RunLog(path)
    store.write([run()])
    store.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _writer(path: str, proc: int, count: int, go: multiprocessing.synchronize.Event) -> None:
    go.wait(60)
    store = RunLog(Path(path))
    for i in range(count):
        store.write([run(f"p{proc} q{i}", events=(
            LogEvent("tool_call", "calculator", {"n": i}, str(i), "not-needed"),))])
    store.close()


@pytest.mark.parametrize("processes", [2, 4])
def test_several_processes_writing_at_once_lose_nothing(tmp_path: Path, processes: int) -> None:
    """A fresh file (no process has switched it to WAL yet) and every writer released at
    once: every run is there once, with its event."""
    path = tmp_path / "data" / "lamp-runs.sqlite3"
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    count = 25
    workers = [ctx.Process(target=_writer, args=(str(path), p, count, go))
               for p in range(processes)]
    for w in workers:
        w.start()
    go.set()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    store = RunLog(path)
    got = store.runs(LogFilter(limit=10_000))
    store.close()
    assert sorted(r.request for r in got) == sorted(
        f"p{p} q{i}" for p in range(processes) for i in range(count))
    assert all(len(r.events) == 1 and r.events[0].result == r.request.split("q")[-1]
               for r in got)
