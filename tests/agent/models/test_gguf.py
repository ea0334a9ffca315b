from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.errors import ModelFileError
from lamp.agent.models.gguf import check_magic, read_gguf


def test_reads_the_default_models_header(default_model: Path) -> None:
    info = read_gguf(default_model)
    assert info.architecture == "qwen2"
    assert info.context_length == 32768
    assert info.has_chat_template
    assert info.expected_size == info.size  # our tensor sizing matches the real file
    assert not info.truncated


def test_truncated_copy_is_detected(default_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with default_model.open("rb") as src:
        cut.write_bytes(src.read(20_000_000))
    info = read_gguf(cut)
    assert info.truncated and info.expected_size == default_model.stat().st_size


def test_header_cut_short_is_an_error(default_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "tiny.gguf"
    with default_model.open("rb") as src:
        cut.write_bytes(src.read(5000))
    with pytest.raises(ModelFileError, match="cut short"):
        read_gguf(cut)


@pytest.mark.parametrize("content", [b"", b"hello world", b"GGU"])
def test_not_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match="not a GGUF"):
        check_magic(path)


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not found"):
        check_magic(tmp_path / "nope.gguf")
    with pytest.raises(ModelFileError, match="directory"):
        check_magic(tmp_path)
