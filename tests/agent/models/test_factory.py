"""The one place backends are built: config in, backend (or a UsageError) out, nothing printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.config.settings import load_settings
from lamp.agent.errors import ModelFileError, UsageError
from lamp.agent.models.factory import ModelConfig, llama_options, open_backend


def _config(tmp_path: Path, **values: object) -> ModelConfig:
    return ModelConfig(models_dir=tmp_path / "models", cache_dir=tmp_path / "cache",
                       **values)  # type: ignore[arg-type]


def test_openai_without_a_base_url_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(UsageError, match=r"--backend openai needs --base-url \(or "
                                         r"LAMP_BASE_URL\), e\.g\. http://127\.0\.0\.1:8080/v1"):
        open_backend(_config(tmp_path, backend="openai"))
    assert capsys.readouterr() == ("", "")


def test_a_missing_model_file_is_a_model_file_error_and_nothing_is_printed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started: list[str] = []
    with pytest.raises(ModelFileError):
        open_backend(_config(tmp_path, model=str(tmp_path / "absent.gguf")),
                     on_start=started.append)
    assert capsys.readouterr() == ("", "")
    assert started == ["load"]  # resolving a path needs no assembling: straight to loading


def test_an_unknown_backend_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="backend must be one of llama, openai"):
        open_backend(_config(tmp_path, backend="vllm"))


def test_llama_options_follow_the_config(tmp_path: Path) -> None:
    config = _config(tmp_path, ctx=2048, threads=3, n_gpu_layers=-1, seed=7,
                     prefix_cache_max_bytes=1234)
    options = llama_options(config, tmp_path / "m.gguf")
    assert (options.n_ctx, options.n_threads, options.n_gpu_layers, options.seed) == (
        2048, 3, -1, 7)
    assert options.prefix_cache is not None
    assert options.prefix_cache.directory == tmp_path / "cache" / "prefix"
    assert options.prefix_cache.max_bytes == 1234 and options.model_sha256 is not None
    off = llama_options(_config(tmp_path, prefix_cache=False), tmp_path / "m.gguf")
    assert off.prefix_cache is None and off.model_sha256 is None


def test_settings_build_the_config_with_lamps_folders() -> None:
    settings = load_settings({"model": "x.gguf", "ctx": 2048, "cache_max_mb": 3,
                              "backend": "openai", "base_url": "http://127.0.0.1:9/v1",
                              "request_timeout": 7.5})
    config = settings.model_config(verbose=True)
    assert (config.model, config.ctx, config.backend, config.base_url) == (
        "x.gguf", 2048, "openai", "http://127.0.0.1:9/v1")
    assert (config.request_timeout, config.verbose) == (7.5, True)
    assert config.prefix_cache_max_bytes == 3 * 1024 * 1024
    assert config.prefix_cache_dir == config.cache_dir / "prefix"


def test_the_config_takes_the_folders_of_the_runs_environment(tmp_path: Path) -> None:
    from lamp.agent.config.paths import Paths

    config = load_settings().model_config(folders=Paths({"LAMP_HOME": str(tmp_path)}))
    assert (config.models_dir, config.cache_dir) == (tmp_path / "data" / "models",
                                                     tmp_path / "cache")
