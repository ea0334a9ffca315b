"""`lamp` builds only the command a command line names; help and completion see them all."""

from __future__ import annotations

import os
import subprocess
import sys

from lamp.cli.main import COMMANDS, GROUPS, build_app


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_ask_loads_neither_the_other_commands_nor_pydantic(tmp_path) -> None:
    missing = tmp_path / "missing.gguf"
    code = (
        "import sys\n"
        "from lamp.cli.main import execute\n"
        f"status = execute(['ask', '--no-memory', '--model', {str(missing)!r}, 'hi'])\n"
        "print(status)\n"
        "print(' '.join(sorted(m for m in sys.modules)))\n"
    )
    proc = _run_python(code)
    status, modules = proc.stdout.splitlines()
    loaded = set(modules.split())
    assert status == "2"  # the model file is missing: a usage error, after parsing
    assert "model file not found" in proc.stderr
    assert "lamp.cli.ask" in loaded
    others = {f"lamp.cli.{module}" for name, (module, _) in COMMANDS.items() if name != "ask"}
    others |= {f"lamp.cli.{module}" for module in GROUPS.values()}
    assert loaded.isdisjoint(others)
    assert not any(m == "pydantic" or m.startswith("pydantic.") for m in loaded)


def test_the_whole_app_lists_every_command_in_help() -> None:
    proc = _run_python("import sys; sys.argv = ['lamp', '--help']\n"
                       "from lamp.cli.main import run\nrun()", COLUMNS="200")
    assert proc.returncode == 0
    listed = {line.split()[1] for line in proc.stdout.splitlines()
              if line.startswith("│ ") and len(line.split()) > 2}
    assert set(COMMANDS) | set(GROUPS) <= listed


def test_a_one_command_app_runs_that_command_like_the_whole_app() -> None:
    app = build_app("models")
    from typer.main import get_command

    group = get_command(app)
    assert list(group.commands) == ["models"]  # type: ignore[attr-defined]
    assert set(get_command(build_app()).commands) == set(COMMANDS) | set(GROUPS)  # type: ignore[attr-defined]


def test_shell_completion_sees_every_command() -> None:
    proc = _run_python("import sys; sys.argv = ['lamp']\nfrom lamp.cli.main import run\nrun()",
                       _LAMP_COMPLETE="complete_bash", COMP_WORDS="lamp ", COMP_CWORD="1")
    offered = set(proc.stdout.split())
    assert set(COMMANDS) | set(GROUPS) <= offered


def test_shell_completion_offers_an_agent_options_values() -> None:
    proc = _run_python("import sys; sys.argv = ['lamp']\nfrom lamp.cli.main import run\nrun()",
                       _LAMP_COMPLETE="complete_bash", COMP_WORDS="lamp ask --route ",
                       COMP_CWORD="3")
    assert proc.stdout.split() == ["auto", "on", "off"]
