from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.errors import UsageError
from lamp.cli import paths
from lamp.cli.config import load_settings


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_when_nothing_is_set() -> None:
    s = load_settings()
    assert s.temperature == 0.7 and s.sources["temperature"] == "default"
    assert s.effective_threads() >= 1


def test_precedence_file_then_env_then_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = write_config("temperature = 0.1\ntop_k = 5\nmax_tokens = 99\n")
    monkeypatch.setenv("LAMP_TOP_K", "7")
    monkeypatch.setenv("LAMP_MAX_TOKENS", "77")
    s = load_settings({"max_tokens": 55})
    assert (s.temperature, s.top_k, s.max_tokens) == (0.1, 7, 55)
    assert s.sources["temperature"] == f"file {cfg}"
    assert s.sources["top_k"] == "env LAMP_TOP_K"
    assert s.sources["max_tokens"] == "flag"


def test_memory_section_maps_to_memory_url() -> None:
    write_config('[memory]\nurl = "http://127.0.0.1:8000"\n')
    assert load_settings().memory_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize("text, match", [
    ("temperature = ", "not valid TOML"),
    ("temprature = 0.2", "unknown setting 'temprature'"),
    ('top_k = "many"', "top_k must be int"),
    ("top_k = 1.5", "top_k must be int"),
    ("top_p = 1.5", "top_p"),
    ("max_tokens = 5000\nctx = 4096", "smaller than ctx"),
])
def test_bad_config_is_a_usage_error(text: str, match: str) -> None:
    write_config(text)
    with pytest.raises(UsageError, match=match):
        load_settings()


def test_bad_env_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMP_TEMPERATURE", "hot")
    with pytest.raises(UsageError, match="LAMP_TEMPERATURE"):
        load_settings()


def test_lamp_home_isolates_paths(lamp_home: Path) -> None:
    assert paths.config_dir() == lamp_home / "config"
    assert paths.data_dir() == lamp_home / "data"
