"""Sessions and recall end to end: the real CLI, the real model, a real Chroma store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

GREEDY = ("--temperature", "0", "--max-tokens", "24")

FILLER = [
    ("What is a good way to store fresh basil?", "Keep it in water on the counter."),
    ("How long should I boil an egg for a soft yolk?", "About six minutes."),
    ("Suggest a name for a grey cat.", "How about Pebble?"),
    ("What does HTTP status 404 mean?", "The resource was not found."),
    ("Give me a synonym for happy.", "Cheerful."),
    ("How many legs does a spider have?", "Eight."),
    ("What is the boiling point of water at sea level?", "100 degrees Celsius."),
    ("Recommend a short walk near a river.", "Try a loop along the riverbank path."),
]


def test_no_memory_never_imports_chromadb() -> None:
    probe = (
        "import sys\n"
        "from lamp.agent.models import ScriptedBackend\n"
        "from lamp.cli.runtime import Preloaded\n"
        "model = Preloaded(ScriptedBackend().enqueue('ok'))\n"
        "sys.argv = ['lamp', 'ask', '--no-memory', 'hi']\n"
        "from lamp.cli.main import run\n"
        "try:\n    run(model_source=model)\nexcept SystemExit as e:\n    code = e.code\n"
        "print('CHROMA', 'chromadb' in sys.modules, 'EXIT', code)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=120).stdout
    assert "CHROMA False EXIT 0" in out


@pytest.mark.integration
def test_fact_from_40_turns_ago_comes_back(run_lamp, default_model: Path,
                                           lamp_home: Path) -> None:
    first = run_lamp("ask", "--session", "locker", *GREEDY, "--json",
                     "Please remember this: my locker code is 4512. Reply with OK.")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["session"] == "locker"

    # 40 more exchanges in the same session push the fact far out of a small window.
    from lamp.memory import MemoryStore

    store = MemoryStore.open(lamp_home / "data" / "memory")
    try:
        turns = store.history("locker")
        assert [t.role for t in turns] == ["user", "assistant"]
        filler = [pair for _ in range(5) for pair in FILLER][:40]
        store.append_turns("locker", [m for q, a in filler for m in (("user", q),
                                                                    ("assistant", a))])
        assert len(store.history("locker")) == 82
    finally:
        store.close()

    asked = run_lamp("ask", "--session", "locker", "--ctx", "768", *GREEDY,
                     "What is my locker code? Reply with the number only.")
    assert asked.returncode == 0, asked.stderr
    assert b"4512" in asked.stdout

    # -c continues the most recent session; --no-memory neither reads nor writes.
    cont = run_lamp("ask", "-c", "--json", *GREEDY, "Say OK.")
    assert json.loads(cont.stdout)["session"] == "locker"
    blind = run_lamp("ask", "--no-memory", "--json", *GREEDY, "What is my locker code?")
    payload = json.loads(blind.stdout)
    assert payload["session"] is None and "4512" not in payload["answer"]
    store = MemoryStore.open(lamp_home / "data" / "memory")
    try:
        assert len(store.history("locker")) == 82 + 2 + 2  # asked + continued, not blind
    finally:
        store.close()


@pytest.mark.integration
def test_session_remembers_across_processes(run_lamp, default_model: Path) -> None:
    told = run_lamp("ask", "--session", "s", *GREEDY, "My cat is called Tobias.")
    assert told.returncode == 0, told.stderr
    asked = run_lamp("ask", "--session", "s", *GREEDY, "What is my cat called?")
    assert asked.returncode == 0 and b"Tobias" in asked.stdout
