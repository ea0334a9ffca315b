"""`lamp ask --docs` and `-f` with a scripted model, a real store and real embeddings:
sources in the prompt and in --json, the listing, bad files before the model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scripted_cli import invoke, invoke_without_model

from lamp.agent.models import Capabilities, ScriptedBackend

TIDE = ("The Osk harbour keeps a tide log. The keeper writes the height of the tide "
        "at dawn and at dusk in a green ledger.")
KOREAN = "해운대 도서관은 2009년에 문을 열었다. 매주 토요일에 어린이 낭독회가 열린다."


@pytest.fixture
def ingested(monkeypatch, capsys, tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "harbour.md").write_text(f"# Harbour\n\n{TIDE}\n", encoding="utf-8")
    (folder / "library.txt").write_text(KOREAN, encoding="utf-8")
    code, out, err = invoke_without_model(monkeypatch, capsys, "memory", "ingest", str(folder))
    assert code == 0, err
    assert "harbour.md: 1 chunks (added)" in out
    code, out, _ = invoke_without_model(monkeypatch, capsys, "memory", "ingest", str(folder))
    assert out.count("(unchanged)") == 2
    return folder


def test_docs_answer_cites_and_lists_sources(monkeypatch, capsys, ingested: Path) -> None:
    backend = ScriptedBackend().enqueue("The keeper writes it in a green ledger [1].")
    code, out, err = invoke(monkeypatch, capsys, "ask", "--docs", "--no-memory",
                            "Where does the keeper write the tide?", backend=backend)
    assert code == 0, err
    assert out == "The keeper writes it in a green ledger [1].\n"
    assert "lamp: sources:" in err and "*[1] " in err and "harbour.md" in err
    system, _, grammar = backend.requests[0]
    assert "[1] harbour.md" in system[0].content and "green ledger" in system[0].content
    assert grammar is not None and '"1"' in grammar


def test_docs_json_carries_sources_and_korean(monkeypatch, capsys, ingested: Path) -> None:
    backend = ScriptedBackend().enqueue("2009년에 열었다 [1].")
    code, out, err = invoke(monkeypatch, capsys, "ask", "--docs", "--json", "--no-memory",
                            "--sources", "1", "해운대 도서관은 언제 문을 열었나요?",
                            backend=backend)
    assert code == 0, err
    payload = json.loads(out)
    assert payload["citations"] == [1]
    (source,) = payload["sources"]
    assert source["path"].endswith("library.txt") and source["cited"] is True
    assert source["chunk"] == 0 and source["offset"] == 0 and source["score"] > 0
    assert source["id"].startswith("doc:") and source["collection"] == "default"


def test_invented_citation_without_grammar_exits_1_and_prints_nothing(
        monkeypatch, capsys, ingested: Path) -> None:
    backend = ScriptedBackend(capabilities=Capabilities(grammar=False))
    backend.enqueue("The ledger is green [4].")
    code, out, err = invoke(monkeypatch, capsys, "ask", "--docs", "--no-memory",
                            "--sources", "2", "What colour is the ledger?", backend=backend)
    assert (code, out) == (1, "")
    assert err.strip().splitlines()[-1].startswith("lamp: error: the answer cites source(s) 4")


def test_docs_errors(monkeypatch, capsys, ingested: Path) -> None:
    code, _, err = invoke(monkeypatch, capsys, "ask", "--docs", "--no-memory",
                          "--collection", "nope", "q", backend=ScriptedBackend())
    assert code == 2 and "unknown document collection 'nope'" in err
    code, _, err = invoke_without_model(monkeypatch, capsys, "ask", "--docs", "--tools",
                                        "default", "q")
    assert code == 2 and "cannot be combined" in err
    code, out, _ = invoke_without_model(monkeypatch, capsys, "memory", "docs", "--json")
    assert len(json.loads(out)["files"]) == 2
    code, out, err = invoke_without_model(monkeypatch, capsys, "memory", "forget", "--file",
                                          str(ingested / "harbour.md"))
    assert code == 0 and "1 chunks" in out, err
    code, out, _ = invoke_without_model(monkeypatch, capsys, "memory", "forget",
                                        "--collection", "default")
    assert code == 0 and "collection default" in out
    code, _, err = invoke(monkeypatch, capsys, "ask", "--docs", "--no-memory", "q",
                          backend=ScriptedBackend())
    assert code == 2 and "no documents ingested" in err


def test_attach_files_whole(monkeypatch, capsys, tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text(TIDE, encoding="utf-8")
    backend = ScriptedBackend().enqueue("At dawn and dusk.")
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "-f", str(note),
                            "When is the tide written down?", backend=backend)
    assert (code, out, err) == (0, "At dawn and dusk.\n", "")
    user = backend.requests[0][0][-1].content
    assert "File: " in user and "note.md" in user and "green ledger" in user
    assert user.rstrip().endswith("When is the tide written down?")


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing.md", "no such file"),
    (lambda d: d / "*.nothing", "no files match"),
    (lambda d: (d / "bin.dat").write_bytes(b"\x00\x01\x02") and d / "bin.dat", "binary"),
    (lambda d: (d / "empty").mkdir() or d / "empty", "no text, Markdown"),
])
def test_bad_attachments_exit_2_before_the_model(monkeypatch, capsys, tmp_path, make,
                                                 words) -> None:
    path = make(tmp_path)
    code, out, err = invoke_without_model(monkeypatch, capsys, "ask", "-f", str(path), "q")
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("lamp: error:") and words in err


def test_chat_attach_and_docs(monkeypatch, capsys, ingested: Path) -> None:
    backend = ScriptedBackend().enqueue("Dawn and dusk.", "In a green ledger [1].",
                                        "Plain again.")
    script = (f"/attach {ingested / 'harbour.md'}\nWhen is the tide written?\n"
              "/attach /no/such/file.md\n/docs\nWhere is it written?\n/docs off\nhi\n")
    code, out, err = invoke(monkeypatch, capsys, "chat", "--no-memory",
                            stdin=script.encode(), backend=backend)
    assert code == 0, err
    assert "(attached " in out and "no such file" in out and "In a green ledger [1]." in out
    first, second, third = (r[0] for r in backend.requests)
    assert "green ledger" in first[-1].content and first[-1].content.endswith("written?")
    assert "[1] harbour.md" in second[0].content and backend.requests[1][2] is not None
    assert "Sources" not in third[0].content and backend.requests[2][2] is None
    assert "harbour.md" in err  # the listing, on stderr in a pipe
