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
    rt = Runtime(ModelOptions(temperature=0.2, max_tokens=99).as_flags())
    assert (rt.settings.temperature, rt.settings.max_tokens) == (0.2, 99)
    assert rt.chosen == {"temperature", "max_tokens"}
    assert rt.sampling().temperature == 0.2


def test_a_handed_in_model_is_used_and_asked_with_the_commands_settings() -> None:
    seen = []
    model = ScriptedBackend()

    def source(settings):
        seen.append(settings.ctx)
        return model

    rt = Runtime(ModelOptions(ctx=1024).as_flags(), model_source=source)
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


def test_the_progress_bar_gives_way_to_the_loading_spinner() -> None:
    """The factory's callbacks in order: a bar for the preset, then the spinner for the
    load (one live display at a time); both gone when the model is open."""
    from lamp.cli.runtime import progress_bar

    with progress_bar(True) as (on_start, on_progress):
        assert on_start is not None and on_progress is not None
        on_start("verify")
        on_progress(1, 2)
        on_start("load")
    with progress_bar(False) as callbacks:
        assert callbacks == (None, None)


def test_settings_and_folders_come_from_the_callers_environment(tmp_path) -> None:
    """A run reads the environment of whoever it runs for (`lamp serve`'s client), not the
    process's: its LAMP_* settings and its LAMP_HOME."""
    from pathlib import Path

    from lamp.agent.app.output import Caller, Output

    env = {"LAMP_HOME": str(tmp_path / "client"), "LAMP_TEMPERATURE": "0.3"}
    caller = Caller(Output(io.StringIO(), io.StringIO()), env, Path(tmp_path))
    rt = Runtime({"max_tokens": 7}, caller)
    assert (rt.settings.temperature, rt.settings.max_tokens) == (0.3, 7)
    assert rt.settings.sources["temperature"] == "env LAMP_TEMPERATURE"
    assert rt.paths.data_dir() == tmp_path / "client" / "data"
    assert rt.memory_location().path == tmp_path / "client" / "data" / "memory"


def test_an_answer_goes_to_the_callers_streams_not_the_process(
        capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    from pathlib import Path

    from lamp.agent.app.output import Caller, Output

    out, err = io.StringIO(), io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(b"caf\xe9 notes"), encoding="utf-8")
    caller = Caller(Output(out, err, stdin), {"LAMP_HOME": str(tmp_path)}, Path(tmp_path))
    model = ScriptedBackend().enqueue("summary")
    code = execute(["ask", "--no-memory", "summarize"], caller=caller,
                   model_source=Preloaded(model))
    assert (code, out.getvalue()) == (0, "summary\n")
    assert "not valid UTF-8" in err.getvalue()
    assert capsys.readouterr() == ("", "")  # nothing on the process's own streams
    assert "caf\ufffd notes" in model.requests[0][0][-1].content
