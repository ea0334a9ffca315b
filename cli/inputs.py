"""Reading what the user gave us: a prompt argument, piped stdin, or both.

Stdin is read as bytes and decoded as UTF-8 with replacement, so a stray Latin-1
byte costs a warning, not the whole input.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from lamp.agent.errors import InputError

__all__ = ["UserInput", "read_user_input"]


@dataclass(frozen=True)
class UserInput:
    prompt: str
    material: str | None  # piped stdin, when there was any
    warnings: tuple[str, ...] = ()


def _read_stdin() -> tuple[str | None, tuple[str, ...]]:
    stream = sys.stdin
    if stream is None or stream.isatty():
        return None, ()
    try:
        raw = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    except OSError as exc:
        raise InputError(f"cannot read stdin: {exc.strerror}") from exc
    if not raw:
        return None, ()
    try:
        return raw.decode("utf-8"), ()
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        bad = text.count("\ufffd")
        return text, (f"stdin is not valid UTF-8; {bad} undecodable byte sequence(s) replaced",)


def read_user_input(prompt: str | None, *, need_text: bool = True) -> UserInput:
    material, warnings = _read_stdin()
    prompt = (prompt or "").strip()
    if material is not None and not material.strip():
        material = None
    if need_text and not prompt and material is None:
        raise InputError("nothing to ask: give a prompt argument or pipe text on stdin")
    return UserInput(prompt=prompt, material=material, warnings=warnings)
