"""The store on a real embedded Chroma with the real (offline) embedding model."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import lamp.memory
from lamp.cli.errors import exit_code_for
from lamp.memory import MemoryInputError, MemoryStore, MemoryStoreError, format_memory, recall
from lamp.memory._chunking import chunk_text
from lamp.memory._encoders import MINILM_MODEL, PinnedFile, load_encoder
from lamp.memory.records import fact_id


def test_exports_match_all() -> None:
    assert sorted(lamp.memory.__all__) == sorted(
        name
        for name in dir(lamp.memory)
        if (not name.startswith("_") and name[0].isupper())
        or name in ("approx_tokens", "format_memory", "recall")
    )
    for name in lamp.memory.__all__:
        assert hasattr(lamp.memory, name)


def test_importing_memory_and_its_cli_does_not_import_chromadb() -> None:
    code = (
        "import sys, lamp.memory, lamp.cli.memory\n"
        "assert 'chromadb' not in sys.modules, 'chromadb imported'\n"
        "assert 'onnxruntime' not in sys.modules, 'onnxruntime imported'\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_sessions_create_pick_and_continue(store: MemoryStore) -> None:
    a = store.session("work")
    assert (a.name, a.turns) == ("work", 0)
    store.append_turns("work", [("user", "hello"), ("assistant", "hi")])
    fresh = store.session()
    assert fresh.name != "work" and fresh.turns == 0
    store.append_turns(fresh.name, [("user", "later message")])
    assert store.session(continue_last=True).name == fresh.name
    assert store.session("work").turns == 2
    assert [s.name for s in store.sessions()] == [fresh.name, "work"]
    with pytest.raises(MemoryInputError):
        store.session("bad\nname")


def test_turns_are_numbered_and_retries_overwrite(store: MemoryStore) -> None:
    first = store.append_turns("s", [("user", "one"), ("assistant", "two")], model="m")
    assert [(t.n, t.role) for t in first] == [(0, "user"), (1, "assistant")]
    assert first[0].id == "turn:s:0:user"
    store.append_turns("s", [("user", "three")])
    store.append_turns("s", [("user", "three")], start=2)  # a retry of the same turn
    history = store.history("s")
    assert [t.text for t in history] == ["one", "two", "three"]
    assert store.get_session("s").turns == 3  # type: ignore[union-attr]
    assert [t.text for t in store.history("s", last=1)] == ["three"]
    assert store.counts()["turns"] == 3


def test_facts_dedupe_forget_and_clear(store: MemoryStore) -> None:
    a = store.remember("I live in Seoul.")
    b = store.remember("  i live in   seoul. ")
    assert a.id == b.id == fact_id("I live in Seoul.")
    assert [f.text for f in store.facts()] == ["i live in   seoul."]
    store.append_turns("s", [("user", "x"), ("assistant", "y")])
    store.forget("turn:s:0:user")
    assert [t.text for t in store.history("s")] == ["y"]
    with pytest.raises(MemoryInputError) as info:
        store.forget("turn:s:0:user")
    assert exit_code_for(info.value) == 2
    assert store.forget_session("s") == 1
    assert store.get_session("s") is None
    with pytest.raises(MemoryInputError):
        store.forget_session("s")
    removed = store.clear()
    assert removed["facts"] == 1
    assert store.counts() == {"turns": 0, "facts": 0, "documents": 0, "sessions": 0}


def test_ingest_chunks_and_reingest_replaces(store: MemoryStore, tmp_path: Path) -> None:
    doc = tmp_path / "notes.md"
    paras = [f"Paragraph {i}: the boiler in flat {i} needs a yearly service." for i in range(40)]
    doc.write_text("\n\n".join(paras), encoding="utf-8")
    seen: list[tuple[int, int]] = []
    n = store.ingest(doc, progress=lambda done, total: seen.append((done, total)))
    assert n > 1 and seen[-1] == (n, n)
    assert store.counts()["documents"] == n
    doc.write_text("A single short paragraph about the garden shed.", encoding="utf-8")
    assert store.ingest(doc) == 1
    assert store.counts()["documents"] == 1
    hit = store.search("garden shed", k=1)[0]
    assert hit.kind == "doc" and "shed" in hit.text
    with pytest.raises(MemoryInputError):
        store.ingest(tmp_path / "missing.txt")


def test_chunking_respects_size_and_order() -> None:
    text = "First para.\n\n" + "Sentence number one. " * 100 + "\n\nLast para."
    chunks = chunk_text(text, max_chars=200)
    assert all(0 < len(c) <= 200 for c in chunks)
    assert chunks[0].startswith("First para.") and chunks[-1].endswith("Last para.")
    assert chunk_text("") == []


def test_recall_packs_within_budget_and_skips_window(store: MemoryStore) -> None:
    store.append_turns("s", [("user", "My cat is called Tobias."), ("assistant", "Lovely.")])
    store.append_turns("s", [("user", "What's the weather like?"), ("assistant", "Sunny.")])
    store.remember("My sister lives in Lisbon.")
    items = recall(
        store,
        "what is my cat's name",
        session="s",
        exclude_turns={2, 3},
        k=4,
        token_budget=1000,
        count_tokens=len,
    )
    assert items[0].text == "My cat is called Tobias." and items[0].turn == 0
    assert all(i.turn not in (2, 3) for i in items)
    assert {i.kind for i in items} == {"turn", "fact"}
    tight = recall(
        store, "what is my cat's name", session="s", k=4, token_budget=40, count_tokens=len
    )
    assert sum(i.tokens for i in tight) <= 40 and tight
    assert all(i.tokens == len(f"- earlier, {i.role}: {i.text}") for i in tight if i.kind == "turn")
    block = format_memory(items)
    assert block.startswith("Relevant memory") and "Tobias" in block
    assert recall(store, "   ", session="s") == []


def test_other_sessions_turns_are_not_recalled_but_facts_are(store: MemoryStore) -> None:
    store.append_turns("a", [("user", "My dog is named Biscuit.")])
    store.remember("My dentist is Dr. Moreau.", session="a")
    items = recall(store, "what is my dog's name? who is my dentist?", session="b", k=5)
    assert [i.kind for i in items] == ["fact"]
    assert items[0].text == "My dentist is Dr. Moreau."


def test_open_async_and_deferred_writes(tmp_path: Path) -> None:
    future = MemoryStore.open_async(tmp_path / "m")
    store = future.result(timeout=60)
    pending = store.append_turns_later("s", [("user", "deferred"), ("assistant", "ok")])
    store.close()  # waits for the deferred write
    assert [t.n for t in pending.result()] == [0, 1]
    with MemoryStore.open(tmp_path / "m") as again:
        assert [t.text for t in again.history("s")] == ["deferred", "ok"]


def test_sees_writes_from_another_process(
    store: MemoryStore, tmp_path: Path, run_worker: Callable[..., object]
) -> None:
    store.remember("The boat is moored at pier seven.")
    assert store.search("where is the boat", k=1)[0].text.startswith("The boat")
    run_worker("remember", str(tmp_path / "memory"), "The bicycle is locked behind the library.")
    hits = store.search("where did I leave my bike", k=1)
    assert hits[0].text == "The bicycle is locked behind the library."


def test_bad_store_paths_are_refused_and_left_alone(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a store")
    with pytest.raises(MemoryInputError, match="not a directory"):
        MemoryStore.open(a_file)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(MemoryInputError, match="refusing"):
        MemoryStore.open(foreign)
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]
    broken = tmp_path / "broken"
    broken.mkdir()
    garbage = b"\x00garbage" * 100
    (broken / "chroma.sqlite3").write_bytes(garbage)
    with pytest.raises(MemoryInputError, match="corrupted") as info:
        MemoryStore.open(broken)
    assert exit_code_for(info.value) == 2
    assert (broken / "chroma.sqlite3").read_bytes() == garbage


def test_model_file_with_wrong_hash_is_refused() -> None:
    wrong = PinnedFile(MINILM_MODEL.distribution, MINILM_MODEL.relative_path, "0" * 64)
    with pytest.raises(MemoryStoreError, match="SHA-256"):
        wrong.verified_path()
    with pytest.raises(MemoryStoreError, match="not installed"):
        PinnedFile("no-such-dist-lamp", "x", "0" * 64).path()


def test_minilm_pads_to_longest_without_changing_vectors() -> None:
    enc = load_encoder("minilm")
    short = "My cat is called Tobias."
    alone = enc.embed_passages([short])[0]
    batched = enc.embed_passages([short, "a much longer sentence " * 20])[0]
    assert abs(float(alone @ batched) - 1.0) < 1e-4
    assert enc.embed_queries([short]).shape == (1, 384)


def test_unreachable_and_malformed_server_urls() -> None:
    with pytest.raises(MemoryStoreError, match=r"http://127\.0\.0\.1:9") as info:
        MemoryStore.open(url="http://127.0.0.1:9")
    assert exit_code_for(info.value) == 1
    with pytest.raises(MemoryInputError, match="bad memory server URL"):
        MemoryStore.open(url="ftp://example")


def test_store_built_with_another_model_is_refused(tmp_path: Path) -> None:
    with MemoryStore.open(tmp_path / "m") as store:
        store.remember("Written with e5.")
    with pytest.raises(MemoryInputError, match="built with the embedding model") as info:
        MemoryStore.open(tmp_path / "m", model="minilm")
    assert exit_code_for(info.value) == 2
    with MemoryStore.open(tmp_path / "m") as again:
        assert [f.text for f in again.facts()] == ["Written with e5."]
