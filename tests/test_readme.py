"""README promises two set-up commands, and CI must run the second one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def setup_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup, flags=re.S)


def test_readme_opens_with_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2 and all("\n" not in c for c in commands)
    install_and_run, install_and_test = commands
    assert "pip install ." in install_and_run and "lamp ask" in install_and_run
    assert 'pip install ".[test]"' in install_and_test and install_and_test.endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    test_command = setup_commands()[1].split("&&", 2)[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command in ci
