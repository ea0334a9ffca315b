from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.config import paths
from lamp.agent.config.settings import load_settings
from lamp.agent.errors import UsageError


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


def test_set_config_value_keeps_the_rest_of_the_file(tmp_path) -> None:
    from lamp.agent.config.settings import set_config_value

    path = tmp_path / "config.toml"
    path.write_text('# mine\ntemperature = 0.2\nmodel = "old"\n\n[memory]\nurl = "http://x"\n')
    set_config_value(path, "model", "qwen2.5-coder-0.5b")
    assert path.read_text() == ('# mine\ntemperature = 0.2\nmodel = "qwen2.5-coder-0.5b"\n\n'
                                '[memory]\nurl = "http://x"\n')
    fresh = tmp_path / "new" / "config.toml"
    set_config_value(fresh, "model", 'C:\\models\\a "b".gguf')
    import tomllib

    assert tomllib.loads(fresh.read_text())["model"] == 'C:\\models\\a "b".gguf'
    tables_only = tmp_path / "t.toml"
    tables_only.write_text('[memory]\nurl = "http://x"\n')
    set_config_value(tables_only, "model", "m")
    assert tomllib.loads(tables_only.read_text()) == {"model": "m", "memory": {"url": "http://x"}}


def test_set_config_value_refuses_to_touch_a_broken_file(tmp_path) -> None:
    import pytest

    from lamp.agent.config.settings import set_config_value
    from lamp.agent.errors import UsageError

    path = tmp_path / "config.toml"
    path.write_text("model = [unclosed\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        set_config_value(path, "model", "x")
    assert path.read_text() == "model = [unclosed\n"


def test_model_names_resolve_or_exit_2(tmp_path) -> None:
    import pytest

    from lamp.agent.errors import UsageError
    from lamp.agent.models.model_store import resolve_model

    with pytest.raises(UsageError, match="no preset, pulled model or file named 'qwen-9000'"):
        resolve_model("qwen-9000", tmp_path)
    with pytest.raises(UsageError, match="has not been pulled yet"):
        resolve_model("hf:a/b/c.gguf", tmp_path)
    # A path passes through to the loader, which names a missing file itself.
    assert str(resolve_model("some/dir/file.gguf", tmp_path)) == "some/dir/file.gguf"


def test_models_use_writes_the_config_and_refuses_unknown_models(run_lamp, tmp_path) -> None:
    from lamp.agent.config import paths
    from lamp.agent.config.settings import load_settings

    done = run_lamp("models", "use", "qwen2.5-coder-0.5b")
    assert done.returncode == 0 and load_settings().model == "qwen2.5-coder-0.5b"
    for bad in ("hf:someone/repo/never-pulled.gguf", str(tmp_path / "missing.gguf"), "qwen-9000"):
        refused = run_lamp("models", "use", bad)
        assert refused.returncode == 2 and refused.stdout == b"", bad
        assert refused.stderr.count(b"\n") == 1 and refused.stderr.startswith(b"lamp: error:")
    assert paths.config_file().read_text() == 'model = "qwen2.5-coder-0.5b"\n'
