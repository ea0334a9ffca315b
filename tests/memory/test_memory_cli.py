"""``lamp memory ...`` commands: exit codes, stdout and stderr (real store under LAMP_HOME)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lamp.cli.memory import MemoryLocation, app, memory_location


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LAMP_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAMP_MEMORY_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin)

    return invoke


def test_memory_location_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAMP_MEMORY_URL", raising=False)
    monkeypatch.setenv("LAMP_HOME", str(tmp_path))
    assert memory_location() == MemoryLocation(path=tmp_path / "data" / "memory")
    assert memory_location("http://h:1") == MemoryLocation(url="http://h:1")
    monkeypatch.setenv("LAMP_MEMORY_URL", "http://env:2")
    assert memory_location() == MemoryLocation(url="http://env:2")
    monkeypatch.delenv("LAMP_MEMORY_URL")
    monkeypatch.delenv("LAMP_HOME")
    assert memory_location().path is not None and memory_location().path.name == "memory"


def test_remember_list_search_forget(cli) -> None:
    r = cli("remember", "My cat is called Tobias.", "--json")
    assert r.exit_code == 0, r.output
    fact = json.loads(r.stdout)
    assert fact["id"].startswith("fact:")
    r = cli("list")
    assert r.exit_code == 0 and fact["id"] in r.stdout and "Tobias" in r.stdout
    r = cli("search", "what is the cat's name", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["hits"][0]["id"] == fact["id"]
    assert cli("forget", fact["id"]).exit_code == 0
    r = cli("forget", fact["id"])
    assert r.exit_code == 2 and "unknown memory id" in r.stderr and r.stdout == ""
    r = cli("forget")
    assert r.exit_code == 2 and "give one of ID, --session" in r.stderr


def test_sessions_list_show_and_forget_session(cli, tmp_path: Path) -> None:
    from lamp.memory import MemoryStore

    with MemoryStore.open(tmp_path / "home" / "data" / "memory") as store:
        store.append_turns("trip", [("user", "Book a train to Busan."), ("assistant", "Done.")])
    r = cli("list", "--json")
    assert [s["name"] for s in json.loads(r.stdout)["sessions"]] == ["trip"]
    r = cli("list", "--session", "trip")
    assert r.exit_code == 0 and "turn:trip:0:user" in r.stdout
    r = cli("show", "trip")
    assert r.stdout.splitlines() == ["[0] user: Book a train to Busan.", "[1] assistant: Done."]
    assert cli("show", "nope").exit_code == 2
    r = cli("forget", "--session", "trip", "--json")
    assert json.loads(r.stdout) == {"session": "trip", "turns_removed": 2}


def test_clear_needs_yes_on_a_pipe(cli) -> None:
    cli("remember", "something")
    r = cli("clear")
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [
        "lamp: error: refusing to clear memory without --yes (not a terminal)"
    ]
    r = cli("clear", "--yes", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["removed"]["facts"] == 1
    assert "memory is empty" in cli("list").stdout


def test_ingest_is_silent_on_a_pipe(cli, tmp_path: Path) -> None:
    doc = tmp_path / "a.txt"
    doc.write_text("\n\n".join(f"Section {i} about the heat pump." * 8 for i in range(10)))
    r = cli("ingest", str(doc), "--json")
    assert r.exit_code == 0 and r.stderr == ""
    assert json.loads(r.stdout)["chunks"] >= 2
    r = cli("ingest", str(tmp_path / "missing.txt"))
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_bad_url_and_unreachable_server(cli) -> None:
    r = cli("--memory-url", "not-a-url", "list")
    assert r.exit_code == 2 and "bad memory server URL" in r.stderr
    r = cli("--memory-url", "http://127.0.0.1:9", "list")
    assert r.exit_code == 1 and "http://127.0.0.1:9" in r.stderr
