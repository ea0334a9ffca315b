"""The CLI in this process with a scripted model: what the `lamp ask` unit tests share
(imported by them, not collected)."""

from __future__ import annotations

import io
import sys

import pytest

from lamp.agent.models import ScriptedBackend
from lamp.cli import main as cli_main
from lamp.cli.runtime import ModelSource, Preloaded


class FakeStdin(io.TextIOWrapper):
    """Piped stdin: never a terminal."""

    def isatty(self) -> bool:
        return False


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
           stdin: bytes = b"", backend: ScriptedBackend | None = None) -> tuple[int, str, str]:
    """Run ``lamp ARGS`` on ``backend``; returns (exit code, stdout, stderr)."""
    backend = backend if backend is not None else ScriptedBackend()
    return _run(monkeypatch, capsys, args, stdin, Preloaded(backend))


def invoke_without_model(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                         *args: str, stdin: bytes = b"") -> tuple[int, str, str]:
    """Run ``lamp ARGS`` where loading a model fails the test: for errors that must come
    before the model loads."""
    def no_model(settings: object) -> ScriptedBackend:
        raise AssertionError("the model must not be loaded")

    return _run(monkeypatch, capsys, args, stdin, no_model)


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         args: tuple[str, ...], stdin: bytes, model_source: ModelSource) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["lamp", *args])
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(stdin)))
    with pytest.raises(SystemExit) as exit_info:
        cli_main.run(model_source=model_source)
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err
