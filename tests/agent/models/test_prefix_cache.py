"""The on-disk prefix cache: round trip, corruption, mismatch, LRU cap, concurrent writers."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lamp.agent.models.prefix_cache import PrefixCache, cache_key

HEADER = {"model_sha256": "ab" * 32, "n_ctx": 4096, "llama_cpp": "0.3.36", "n_tokens": 3}


def test_key_depends_on_every_part() -> None:
    base = cache_key("m", [1, 2, 3], 4096, "v1")
    assert base == cache_key("m", [1, 2, 3], 4096, "v1")
    assert len({base, cache_key("other", [1, 2, 3], 4096, "v1"),
                cache_key("m", [1, 2, 4], 4096, "v1"), cache_key("m", [1, 2, 3], 2048, "v1"),
                cache_key("m", [1, 2, 3], 4096, "v2"), cache_key("m", [12, 3], 4096, "v1")}) == 6


def test_round_trip(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path)
    cache.save("k", HEADER, b"state-bytes")
    assert cache.load("k", HEADER) == b"state-bytes"


def test_corrupted_file_is_ignored_and_removed(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path)
    path = cache.save("k", HEADER, b"x" * 1000)
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0xFF  # flip a payload byte
    path.write_bytes(bytes(raw))
    assert cache.load("k", HEADER) is None
    assert not path.exists()


def test_truncated_and_garbage_files_are_ignored(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path)
    path = cache.save("k", HEADER, b"y" * 1000)
    path.write_bytes(path.read_bytes()[:-100])
    assert cache.load("k", HEADER) is None
    (tmp_path / "g.kv").write_bytes(b"not a cache file at all")
    assert cache.load("g", HEADER) is None


def test_state_from_another_model_is_never_loaded(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path)
    cache.save("k", HEADER, b"state")
    assert cache.load("k", {**HEADER, "model_sha256": "cd" * 32}) is None
    assert cache.load("k", {**HEADER, "n_ctx": 2048}) is None


def test_lru_cap_drops_least_recently_used(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path, max_bytes=3000)
    for name in ("a", "b"):
        cache.save(name, HEADER, b"z" * 1000)
        old = time.time() - (100 if name == "a" else 50)
        os.utime(cache.directory / f"{name}.kv", (old, old))
    assert cache.load("a", HEADER) is not None  # touching a makes b the oldest
    cache.save("c", HEADER, b"z" * 1000)
    names = {e.path.stem for e in cache.entries()}
    assert names == {"a", "c"}
    assert sum(e.size for e in cache.entries()) <= 3000


def test_concurrent_writers_of_one_key_leave_a_whole_file(tmp_path: Path) -> None:
    cache = PrefixCache(tmp_path)
    payloads = [bytes([i]) * 200_000 for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda p: cache.save("k", HEADER, p), payloads))
    assert cache.load("k", HEADER) in payloads
    assert not list(tmp_path.glob(".*.tmp"))
