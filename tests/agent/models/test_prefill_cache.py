"""Input prefixes in the prefix cache: their own files, their own share of the cap."""

from __future__ import annotations

import time
from pathlib import Path

from lamp.agent.models.prefix_cache import INPUT_SHARE, PrefixCache, cache_key

HEADER = {"model_sha256": "ab" * 32, "n_ctx": 4096, "llama_cpp": "0.3.36", "n_tokens": 3}


def test_an_input_prefix_has_its_own_file_and_is_private(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path / "prefix")
    path = cache.save("k", HEADER, b"material", kind="input")
    assert path is not None and path.name == "input-k.kv"
    assert path.stat().st_mode & 0o777 == 0o600
    assert cache.load("k", HEADER, "input") == b"material"
    assert cache.load("k", HEADER) is None  # a fixed prefix of that key was never saved
    (entry,) = cache.entries()
    assert entry.is_input


def test_inputs_never_push_out_the_fixed_prefixes(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path, max_bytes=8000)  # inputs: at most 6000 bytes
    cache.save("tools", HEADER, b"t" * 1600)  # the oldest file, and it stays
    for name in ("a", "b", "c", "d"):
        time.sleep(0.01)
        cache.save(name, HEADER, b"i" * 1600, kind="input")
    names = sorted(e.path.name for e in cache.entries())
    assert names == ["input-b.kv", "input-c.kv", "input-d.kv", "tools.kv"]
    assert sum(e.size for e in cache.entries() if e.is_input) <= 8000 * INPUT_SHARE


def test_the_whole_cap_still_holds(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path, max_bytes=3000)
    for name, kind in (("old", "fixed"), ("new", "fixed"), ("x", "input")):
        cache.save(name, HEADER, b"f" * 1200, kind=kind)
        time.sleep(0.01)
    assert sorted(e.path.name for e in cache.entries()) == ["input-x.kv", "new.kv"]


def test_a_state_bigger_than_its_share_is_not_saved(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path, max_bytes=2000)
    assert cache.save("big", HEADER, b"i" * 1600, kind="input") is None
    assert cache.save("fixed", HEADER, b"f" * 1600) is not None
    assert [e.path.name for e in cache.entries()] == ["fixed.kv"]


def test_clear_removes_both_kinds(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path)
    cache.save("a", HEADER, b"1")
    cache.save("b", HEADER, b"2", kind="input")
    assert cache.clear() == 2 and cache.entries() == []


def test_the_key_of_an_input_is_its_tokens() -> None:
    """Two questions about one file warm the same tokens, so they share a key; another
    file (another token anywhere), model, context size or llama.cpp version does not."""
    file_prefix = [1, 2, 3, 4, 5]
    key = cache_key("m", file_prefix, 4096, "v")
    assert key == cache_key("m", list(file_prefix), 4096, "v")
    assert key != cache_key("m", [1, 2, 3, 4, 6], 4096, "v")
    assert key != cache_key("m", [*file_prefix, 7], 4096, "v")
