"""The Runtime: a command's settings, model, memory and sandbox, with models handed in."""

from __future__ import annotations

import io
import sys
from dataclasses import fields

import pytest

from lamp.agent.models import ScriptedBackend
from lamp.cli.common import SHARED_OPTIONS
from lamp.cli.main import execute
from lamp.cli.options import ModelOptions
from lamp.cli.runtime import Preloaded, Runtime


class FakeStdin(io.TextIOWrapper):
    def isatty(self) -> bool:
        return False


@pytest.fixture(autouse=True)
def empty_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeStdin(io.BytesIO(b"")))


def test_every_shared_option_is_a_typed_field() -> None:
    assert list(SHARED_OPTIONS) == [f.name for f in fields(ModelOptions)]


def test_settings_come_from_the_options_and_remember_what_the_user_chose() -> None:
    rt = Runtime(ModelOptions(temperature=0.2, max_tokens=99))
    assert (rt.settings.temperature, rt.settings.max_tokens) == (0.2, 99)
    assert rt.chosen == {"temperature", "max_tokens"}
    assert rt.sampling().temperature == 0.2


def test_a_handed_in_model_is_used_and_asked_with_the_commands_settings() -> None:
    seen = []
    model = ScriptedBackend()

    def source(settings):
        seen.append(settings.ctx)
        return model

    rt = Runtime(ModelOptions(ctx=1024), model_source=source)
    assert rt.model() is model and rt.model() is model
    assert seen == [1024]  # asked once, with the command's settings


def test_one_sandbox_per_command() -> None:
    rt = Runtime()
    first = rt.sandbox("best", 5)
    assert rt.sandbox("best", 5) is first
    assert rt.sandbox("auto").policy == "auto"


def test_execute_hands_the_model_to_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    model = ScriptedBackend().enqueue("handed in")
    code = execute(["ask", "--no-memory", "hi"], model_source=Preloaded(model))
    assert (code, capsys.readouterr().out) == (0, "handed in\n")
    assert model.requests and model.requests[0][0][-1].content == "hi"


def test_verbose_belongs_to_one_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert execute(["ask", "--verbose", "--no-memory", "--model", "/etc/hostname", "hi"]) == 2
    assert "Traceback" in capsys.readouterr().err
    assert execute(["ask", "--no-memory", "--model", "/etc/hostname", "hi"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("lamp: error: not a GGUF")
