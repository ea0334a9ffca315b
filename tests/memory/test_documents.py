"""Documents: extraction, named collections, hash-aware re-ingest, hybrid search
(real Chroma in a temp dir, real e5 embeddings, real bm25s)."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from lamp.cli.errors import exit_code_for
from lamp.memory._chunking import chunk_spans, chunk_text
from lamp.memory.documents import bm25_rank, combine_scores, tokenize
from lamp.memory.errors import MemoryInputError
from lamp.memory.extract import expand_paths, read_document

BRIDGE = ("The Varna footbridge was opened in 1932 by the engineer Ilse Brandt. "
          "It crosses the Kelt river at its narrowest point.")
ORCHARD = ("The Harrow orchard grows forty kinds of pear. Its cider press, serial "
           "number ZQ-4471, was built in Lyon and still runs every autumn.")
KOREAN = ("해운대 도서관은 2009년에 문을 열었다. 도서관에는 바다에 관한 책이 삼만 권 있으며, "
          "매주 토요일에 어린이 낭독회가 열린다.")


def _minimal_pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` in Helvetica, written by hand (offsets computed)."""
    stream = zlib.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "bridge.md").write_text(f"# Bridges\n\n{BRIDGE}\n", encoding="utf-8")
    (root / "sub" / "orchard.html").write_text(
        f"<html><head><style>p {{color: red}}</style><script>var secret = 1;</script></head>"
        f"<body><h1>Orchard</h1><p>{ORCHARD}</p></body></html>", encoding="utf-8")
    (root / "library_ko.txt").write_text(KOREAN, encoding="utf-8")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "skip.md").write_text("not me", encoding="utf-8")
    return root


def test_read_document_text_html_pdf_and_refusals(corpus: Path, tmp_path: Path) -> None:
    html = read_document(corpus / "sub" / "orchard.html")
    assert "ZQ-4471" in html and "secret" not in html and "color" not in html
    pdf = tmp_path / "note.pdf"
    pdf.write_bytes(_minimal_pdf("The lighthouse keeper logs the tide at dawn."))
    assert "lighthouse keeper logs the tide" in read_document(pdf)
    assert "해운대 도서관" in read_document(corpus / "library_ko.txt")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not really a pdf")
    for path, words in [(corpus / "image.png", "binary"), (bad, "not UTF-8"),
                        (tmp_path / "missing.txt", "cannot read"), (broken, "cannot read")]:
        with pytest.raises(MemoryInputError, match=words) as info:
            read_document(path)
        assert exit_code_for(info.value) == 2 and "\n" not in str(info.value)


def test_expand_paths_directories_globs_and_errors(corpus: Path) -> None:
    found = expand_paths([str(corpus)])
    assert sorted(p.name for p in found) == ["bridge.md", "library_ko.txt", "orchard.html"]
    assert [p.name for p in expand_paths([str(corpus / "**" / "*.html")])] == ["orchard.html"]
    assert len(expand_paths([str(corpus / "bridge.md"), str(corpus / "*.md")])) == 1
    for spec, words in [(str(corpus / "nope.md"), "no such file"),
                        (str(corpus / "*.pdf"), "no files match"),
                        (str(corpus / ".hidden" / "none"), "no such file")]:
        with pytest.raises(MemoryInputError, match=words):
            expand_paths([spec])


def test_chunk_spans_offsets_point_at_the_chunk_text() -> None:
    text = "  First paragraph here.\n\n\nSecond one,\nwrapped.\n\n" + "Long sentence. " * 90
    spans = chunk_spans(text, max_chars=300)
    assert [c for _, c in spans] == chunk_text(text, max_chars=300)
    assert text[spans[0][0]:].startswith("First paragraph")
    for offset, chunk in spans:
        assert text[offset:offset + 4] == chunk[:4]


def test_tokenize_and_bm25_handle_korean_particles() -> None:
    assert "메모" in tokenize("메모리는")  # a bigram of the particle-glued word
    texts = ["도서관은 바다에 관한 책이 많다", "기차는 부산으로 간다", "사과는 빨갛다"]
    ranked = bm25_rank("도서관에 책이 있나요", texts, 3)
    assert ranked[0][0] == 0
    assert bm25_rank("zzz", texts, 3) == []



def test_combined_scores_scale_each_side_before_adding() -> None:
    # Cosines are close together, BM25 scores far apart: each is scaled to 0..1 first,
    # so neither side wins by its units; a chunk only one side found gets 0 from the other.
    combined = combine_scores({"a": 0.84, "b": 0.82, "c": 0.80}, {"b": 12.0, "c": 3.0})
    assert combined["a"] == pytest.approx(0.5)  # best cosine, no BM25 match
    assert combined["b"] == pytest.approx(0.5 * 0.5 + 0.5)  # middle cosine, best BM25
    assert combined["c"] == pytest.approx(0.5 * 0.25)  # lowest cosine, BM25 floor is 0
    assert max(combined, key=combined.__getitem__) == "b"
    assert combine_scores({"only": 0.3}, {}) == {"only": 0.5}


def test_ingest_collections_rehash_forget_and_hybrid_search(store, corpus: Path) -> None:
    docs = store.documents
    results = [docs.ingest(p) for p in expand_paths([str(corpus)])]
    assert {r.status for r in results} == {"added"}
    assert docs.ingest(corpus / "bridge.md", collection="bridges").status == "added"
    assert docs.collections() == {"default": (3, 3), "bridges": (1, 1)}
    # Unchanged text is skipped; changed text replaces the file's chunks.
    assert docs.ingest(corpus / "bridge.md").status == "unchanged"
    (corpus / "bridge.md").write_text(f"# Bridges\n\n{BRIDGE}\n\n" + "Extra paragraph. " * 60,
                                      encoding="utf-8")
    again = docs.ingest(corpus / "bridge.md")
    expected = len(chunk_text(read_document(corpus / "bridge.md")))
    assert again.status == "replaced" and again.chunks == expected > 1
    assert docs.collections()["default"] == (3, 2 + expected)

    hits = docs.search("Who opened the footbridge over the Kelt?", collection="default", k=2)
    assert Path(hits[0].source).name == "bridge.md" and hits[0].collection == "default"
    assert hits[0].offset >= 0 and hits[0].score > 0
    # A serial number is a word to BM25 and noise to an embedding: hybrid still finds it.
    rare = docs.search("ZQ-4471", k=1, mode="bm25")
    assert Path(rare[0].source).name == "orchard.html" and rare[0].bm25_rank == 1
    hybrid = docs.search("ZQ-4471", k=1)
    assert Path(hybrid[0].source).name == "orchard.html"
    korean = docs.search("해운대 도서관은 언제 문을 열었나요?", k=1)
    assert Path(korean[0].source).name == "library_ko.txt"
    assert korean[0].vector_rank is not None and korean[0].bm25_rank is not None
    only = docs.search("footbridge", collection="bridges", k=5)
    assert {h.collection for h in only} == {"bridges"}

    assert docs.forget_file(corpus / "bridge.md", "bridges") == 1
    assert "bridges" not in docs.collections()
    with pytest.raises(MemoryInputError, match="no ingested file"):
        docs.forget_file(corpus / "bridge.md", "bridges")
    assert docs.forget_collection("default") == 2 + expected
    assert docs.files() == [] and docs.search("footbridge") == []
    with pytest.raises(MemoryInputError, match="bad collection name"):
        docs.ingest(corpus / "bridge.md", collection="no spaces please")


def test_documents_on_a_chroma_server(chroma_server: str, corpus: Path) -> None:
    from lamp.memory import MemoryStore

    url = chroma_server
    with MemoryStore.open(url=url) as store:
        for path in expand_paths([str(corpus)]):
            assert store.documents.ingest(path, collection="srv").status == "added"
        assert store.documents.ingest(corpus / "bridge.md",
                                      collection="srv").status == "unchanged"
        hits = store.documents.search("ZQ-4471 cider press", collection="srv", k=2)
        assert Path(hits[0].source).name == "orchard.html"
    with MemoryStore.open(url=url) as again:  # another client sees the same collection
        assert again.documents.collections() == {"srv": (3, 3)}
        assert again.documents.forget_collection("srv") == 3



BRIDGE_NOTES = {
    "en": {
        "coach.txt": "Marta Kovell is a hockey coach. Since 2019 she has led the Dunmore Herons.",
        "club.txt": "The Dunmore Herons are an ice hockey club founded in 1951. Their home "
                    "rink is the Saltmarsh Pavilion, which seats 4,200.",
        "rival.txt": "A touring hockey team visits a new arena before each game.",
        "league.txt": "The northern hockey league has twelve teams, and most coaches in it "
                      "played for one of them.",
        "skates.txt": "Hockey skates need sharpening after about ten hours on the ice.",
    },
    "ko": {
        "coach.txt": "김하늘은 하키 감독이다. 2019년부터 부산 갈매기스를 이끌고 있다.",
        "club.txt": "부산 갈매기스는 1951년에 창단한 아이스하키 구단이다. 홈 링크는 해솔 "
                    "빙상장이며 4,200명이 앉을 수 있다.",
        "rival.txt": "순회하는 하키 팀은 경기 전에 새 경기장을 둘러본다.",
        "league.txt": "북부 하키 리그에는 열두 팀이 있고, 감독 대부분이 그 팀 출신이다.",
        "skates.txt": "하키 스케이트 날은 빙판에서 열 시간쯤 타면 갈아야 한다.",
    },
}
BRIDGE_QUESTIONS = {
    "en": "How many fans does the arena of the team Marta Kovell coaches seat?",
    "ko": "김하늘 감독이 이끄는 팀의 경기장은 몇 명이 앉을 수 있나요?",
}


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_bridge_hop_follows_the_best_chunk_to_what_it_names(
        store, tmp_path: Path, lang: str) -> None:
    # The question names the coach; its answer is on the page of the club she leads,
    # which shares few words with the question. The hop follows the club's name.
    root = tmp_path / "notes"
    root.mkdir()
    for name, text in BRIDGE_NOTES[lang].items():
        (root / name).write_text(text + "\n", encoding="utf-8")
        store.documents.ingest(root / name, collection="hockey")
    question = BRIDGE_QUESTIONS[lang]

    def names(bridge: bool) -> list[str]:
        hits = store.documents.search(question, collection="hockey", k=5, bridge=bridge)
        return [Path(h.source).name for h in hits]

    hopped, plain = names(True), names(False)
    assert hopped[0] == plain[0] == "coach.txt"  # the best chunk stays first
    assert hopped.index("club.txt") < plain.index("club.txt")
    assert hopped.index("club.txt") <= 2
    club = next(h for h in store.documents.search(question, collection="hockey", k=5)
                if Path(h.source).name == "club.txt")
    assert club.bridge_rank == 1
    # The hop only reorders what the question itself found: with pools of two, the
    # club's page is no candidate, and nothing the question did not find comes back.
    narrow = store.documents.search(question, collection="hockey", k=5, pool=2)
    assert "club.txt" not in {Path(h.source).name for h in narrow}
    assert all(h.vector_rank or h.bm25_rank for h in narrow)


def test_a_lead_in_comes_with_what_it_introduces(store, tmp_path: Path) -> None:
    from lamp.agent.grounded.answer import Source

    steps = " ".join(f"Step {n}: turn valve {n} a quarter turn and wait one minute."
                     for n in range(1, 14))
    manual = tmp_path / "boiler.md"
    manual.write_text("# Boiler\n\nThe boiler is drained in spring. To drain it safely, the "
                      "caretaker follows these steps:\n\n" + steps + "\n", encoding="utf-8")
    assert store.documents.ingest(manual, collection="house").chunks == 2
    hit = store.documents.search("How is the boiler drained safely?", collection="house",
                                 k=1)[0]
    assert hit.chunk == 0 and hit.chunks == 2
    assert "these steps:" in hit.text and "Step 13" in hit.text
    source = Source(n=1, label="boiler.md", text=hit.text, chunk=hit.chunk, chunks=hit.chunks)
    assert source.header() == "[1] boiler.md, parts 1-2"
    both = store.documents.search("How is the boiler drained safely?", collection="house", k=2)
    assert [h.chunks for h in both] == [1, 1]  # the list is a hit itself: not twice


def test_a_changed_file_is_searched_in_its_new_words(store, tmp_path: Path) -> None:
    # The BM25 index is kept between searches; a re-ingested file must not be
    # searched through the index built from its old text.
    note = tmp_path / "kiln.txt"
    note.write_text("The kiln stands in shed 4.\n", encoding="utf-8")
    store.documents.ingest(note, collection="farm")
    assert "shed 4" in store.documents.search("kiln", collection="farm", k=1, mode="bm25")[0].text
    assert store.documents.search("ZX-88", collection="farm", mode="bm25") == []
    note.write_text("The kiln moved to barn 9; its tag reads ZX-88.\n", encoding="utf-8")
    assert store.documents.ingest(note, collection="farm").status == "replaced"
    hits = store.documents.search("ZX-88", collection="farm", k=1, mode="bm25")
    assert hits and "barn 9" in hits[0].text
    assert "barn 9" in store.documents.search("ZX-88", collection="farm", k=1)[0].text
