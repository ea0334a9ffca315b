"""`lamp ask --docs` and `-f` in a subprocess on real models, a real store and real
embeddings: the issue's done-means on the default 1.5B, Korean and attachments on the 0.5B."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FAST = ("--model", "qwen2.5-coder-0.5b", "--temperature", "0")


def _citations(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def test_docs_answer_from_memory_md_with_a_valid_citation(run_lamp, default_model) -> None:
    ingest = run_lamp("memory", "ingest", str(ROOT / "docs" / "memory.md"))
    assert ingest.returncode == 0, ingest.stderr
    proc = run_lamp("ask", "--docs", "--sources", "3", "--max-tokens", "200", "--temperature",
                    "0", "--no-memory", "How does lamp keep memory safe with several processes?",
                    timeout=900)
    assert proc.returncode == 0, proc.stderr
    answer, listing = proc.stdout.decode(), proc.stderr.decode()
    # The grammar admits only sources 1-3 and does not let the answer end uncited.
    cited = _citations(answer)
    assert cited and all(1 <= n <= 3 for n in cited), answer
    assert "lamp: sources:" in listing and "docs/memory.md" in listing
    assert re.search(r"lock|process", answer, re.I), answer


def test_korean_docs_answer_cites_only_given_sources(run_lamp, tmp_path: Path) -> None:
    doc = tmp_path / "도서관.txt"
    doc.write_text("해운대 도서관은 2009년에 문을 열었다. 도서관에는 바다에 관한 책이 "
                   "삼만 권 있다.\n\n광안리 수영장은 매주 월요일에 쉰다.", encoding="utf-8")
    assert run_lamp("memory", "ingest", str(doc), "--collection", "busan").returncode == 0
    proc = run_lamp("ask", *FAST, "--docs", "--collection", "busan", "--json", "--no-memory",
                    "--max-tokens", "60", "해운대 도서관은 언제 문을 열었나요?")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    n = len(payload["sources"])
    assert n >= 1 and all(1 <= k <= n for k in _citations(payload["answer"]))
    assert re.search(r"[\uac00-\ud7a3]", payload["answer"]), payload["answer"]
    assert payload["sources"][0]["collection"] == "busan"


def test_attached_readme_that_does_not_fit_is_cut_and_said(run_lamp) -> None:
    proc = run_lamp("ask", *FAST, "--no-memory", "--max-tokens", "60", "-f",
                    str(ROOT / "README.md"), "What are the exit codes?")
    assert proc.returncode == 0, proc.stderr
    assert "README.md does not fit the context whole" in proc.stderr.decode()
    # Answered from the file: most of the answer's words are the README's words.
    readme = set(re.findall(r"[a-z]{4,}", (ROOT / "README.md").read_text().lower()))
    words = re.findall(r"[a-z]{4,}", proc.stdout.decode().lower())
    assert words and sum(w in readme for w in words) >= 0.8 * len(words), proc.stdout
