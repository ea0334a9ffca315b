"""Reading what the user gave a command: a prompt argument, piped stdin, or both.

Stdin comes from the caller's Output (lamp.agent.app.output), read as bytes and
decoded as UTF-8 with replacement: a stray Latin-1 byte costs a warning, said at
once, not the whole input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lamp.agent.app.requests import Given
from lamp.agent.errors import InputError

if TYPE_CHECKING:
    from lamp.agent.app.runtime import Runtime

__all__ = ["read_given"]


def read_given(rt: Runtime, prompt: str | None, *, need_text: bool = True) -> Given:
    """The prompt and piped stdin (blank stdin counts as none); ``need_text``: one of them
    must hold something (InputError, exit 2)."""
    piped = rt.output.read_stdin()
    for message in piped.warnings:
        rt.warn(message)
    material = piped.text if piped.text is not None and piped.text.strip() else None
    text = (prompt or "").strip()
    if need_text and not text and material is None:
        raise InputError("nothing to ask: give a prompt argument or pipe text on stdin")
    return Given(prompt=text, material=material, warnings=piped.warnings)
