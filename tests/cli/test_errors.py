"""One error-to-exit-code table, covering lamp's, the sandbox's and memory's errors."""

from __future__ import annotations

import pytest

from lamp.agent import errors as agent_errors
from lamp.cli.errors import EXIT_CODES, exit_code_for, is_reported, report
from lamp.memory import errors as memory_errors


def _subclasses(root: type) -> list[type]:
    found = [root]
    for sub in root.__subclasses__():
        found += _subclasses(sub)
    return found


@pytest.mark.parametrize("kind", _subclasses(agent_errors.LampError)
                         + _subclasses(memory_errors.MemoryStoreError),
                         ids=lambda k: k.__name__)
def test_the_table_agrees_with_each_errors_own_exit_code(kind: type) -> None:
    exc = kind.__new__(kind)
    assert exit_code_for(exc) == kind.exit_code and is_reported(exc)


def test_interrupts_and_bugs() -> None:
    assert exit_code_for(KeyboardInterrupt()) == 130
    assert exit_code_for(ValueError("bug")) == 1 and not is_reported(ValueError("bug"))
    assert EXIT_CODES[0] == (KeyboardInterrupt, 130)


def test_report_writes_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert report(memory_errors.MemoryInputError("unknown memory id 'x'\nmore")) == 2
    assert capsys.readouterr().err == "lamp: error: unknown memory id 'x'\n"
    assert report(agent_errors.SandboxUnavailable("strict sandbox needs Landlock")) == 1
    assert report(KeyboardInterrupt()) == 130
    assert capsys.readouterr().err.endswith("lamp: error: interrupted\n")
