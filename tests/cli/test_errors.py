"""One error-to-exit-code table, covering lamp's, the sandbox's and memory's errors."""

from __future__ import annotations

import pytest

from lamp.agent import errors as agent_errors
from lamp.cli.errors import EXIT_CODES, Aborted, exit_code_for, is_reported, report
from lamp.memory import errors as memory_errors


def _subclasses(root: type) -> list[type]:
    found = [root]
    for sub in root.__subclasses__():
        found += _subclasses(sub)
    return found


@pytest.mark.parametrize("kind", _subclasses(agent_errors.LampError)
                         + _subclasses(memory_errors.MemoryStoreError),
                         ids=lambda k: k.__name__)
def test_every_error_of_lamps_is_reported(kind: type) -> None:
    assert is_reported(kind.__new__(kind))


@pytest.mark.parametrize(("kind", "code"), [
    (agent_errors.LampError, 1),
    (agent_errors.ModelError, 1),
    (agent_errors.BackendUnavailable, 1),
    (agent_errors.ServerError, 1),
    (agent_errors.MalformedReply, 1),
    (agent_errors.SandboxUnavailable, 1),
    (agent_errors.InvalidOutput, 1),
    (agent_errors.InvalidCitation, 1),
    (agent_errors.UsageError, 2),
    (agent_errors.IsolationRefused, 2),  # a UsageError first, then a SandboxUnavailable
    (agent_errors.ModelFileError, 2),
    (agent_errors.InputError, 2),
    (agent_errors.ContextOverflow, 2),
    (agent_errors.StepLimitReached, 3),
    (memory_errors.MemoryStoreError, 1),
    (memory_errors.MemoryInputError, 2),
    (Aborted, 130),
], ids=lambda k: getattr(k, "__name__", str(k)))
def test_the_exit_code_a_user_sees(kind: type, code: int) -> None:
    """The README's exit codes, class by class: only ``EXIT_CODES`` decides them."""
    assert exit_code_for(kind.__new__(kind)) == code


def test_errors_carry_no_exit_code_of_their_own() -> None:
    for kind in (_subclasses(agent_errors.LampError)
                 + _subclasses(memory_errors.MemoryStoreError)):
        assert not hasattr(kind, "exit_code"), kind


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
