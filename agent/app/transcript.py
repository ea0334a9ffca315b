"""What a chat hands out of itself: the conversation as a file (``/save``), an answer or its
code (``/copy``), and the one line the chat says about it.

Saving never loses data: a file that exists is not replaced unless the person asked
for that (``/save!``), and a replaced file is swapped in whole (written beside it,
then renamed), so an interrupted save leaves the old file as it was. The file is
private to the user (0600), like everything else lamp keeps of a conversation.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lamp.agent.models import Message

if TYPE_CHECKING:
    from .output import Caller

__all__ = ["Copier", "Transcript", "copy_reply", "last_code_block", "save_reply", "write_file"]

Copier = Callable[[str], "str | None"]
"""Puts text on the clipboard; says how (``"with xclip"``), or None when it cannot."""

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Transcript:
    """A conversation as it stands, with what says where it came from."""

    messages: Sequence[Message]  # user and assistant, oldest first
    system: str = ""
    summary: str = ""  # the running summary of turns that no longer fit, if any
    session: str | None = None  # None: memory off
    model: str = ""
    saved: float = 0.0  # when, as a Unix time

    def markdown(self) -> str:
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved))
        lines = ["# lamp chat", "",
                 f"- session: {self.session or '(memory off)'}",
                 f"- model: {self.model or '(unknown)'}",
                 f"- saved: {stamp}", ""]
        if self.system:
            lines += [_quoted("System", self.system), ""]
        if self.summary:
            lines += [_quoted("Summary of earlier conversation", self.summary), ""]
        names = {"user": "You", "assistant": "lamp"}
        for message in self.messages:
            lines += [f"## {names.get(message.role, message.role)}", "",
                      message.content.rstrip(), ""]
        return "\n".join(lines)

    def json(self) -> str:
        """Chat-completion messages (the system prompt first), with where they came from."""
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": m.role, "content": m.content} for m in self.messages]
        payload = {"session": self.session, "model": self.model, "saved": self.saved,
                   "summary": self.summary or None, "messages": messages}
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _quoted(label: str, text: str) -> str:
    body = "\n".join(f"> {line}".rstrip() for line in text.splitlines())
    return f"> **{label}:**\n>\n{body}"


def copy_reply(arg: str, answer: str | None, copy: Copier) -> str:
    """``/copy [code]``: the last answer, or its last code block, handed to ``copy``."""
    if arg not in ("", "code"):
        return "/copy copies the last answer; '/copy code' its last code block"
    if answer is None:
        return "(no answer to copy yet)"
    text, what = answer, "the last answer"
    if arg == "code":
        block = last_code_block(answer)
        if block is None:
            return "(the last answer has no code block)"
        text, what = block, "its last code block"
    how = copy(text)
    if how is None:
        return ("could not copy: no clipboard tool found (wl-copy, xclip, xsel, pbcopy, "
                "clip.exe) and no terminal to ask")
    return f"(copied {what}, {len(text):,} characters, {how})"


def save_reply(arg: str, transcript: Transcript, caller: Caller, *, overwrite: bool) -> str:
    """``/save [--json] FILE`` (``/save!``: ``overwrite``), FILE as the caller typed it: JSON
    for ``--json`` or a ``.json`` name, else Markdown."""
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        return f"/save: {exc}"
    as_json = "--json" in words
    words = [w for w in words if w != "--json"]
    if len(words) != 1:
        return ("/save FILE saves Markdown; FILE.json or '/save --json FILE' saves JSON; "
                "'/save! FILE' replaces an existing file")
    path = caller.path(words[0])
    as_json = as_json or path.suffix.lower() == ".json"
    try:
        write_file(path, transcript.json() if as_json else transcript.markdown(),
                   replace=overwrite)
    except FileExistsError:
        return f"{caller.shown(path)} exists; '/save! {words[0]}' replaces it"
    except OSError as exc:
        return f"could not save to {caller.shown(path)}: {exc.strerror or exc}"
    count = len(transcript.messages)
    return (f"(saved {count} message{'s' * (count != 1)} as "
            f"{'JSON' if as_json else 'Markdown'} to {caller.shown(path)})")


def last_code_block(text: str) -> str | None:
    """The content of the last fenced code block (``` or ~~~) in ``text``; one cut off
    before its closing fence counts (an answer stopped at max_tokens). None: none."""
    found: str | None = None
    fence: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        match = _FENCE.match(line)
        if fence is None:
            if match:
                fence, body = match.group(1), []
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                and not line.strip()[len(match.group(1)):].strip():
            found, fence = "\n".join(body), None
        else:
            body.append(line)
    if fence is not None:
        found = "\n".join(body)
    return found


def write_file(path: Path, text: str, *, replace: bool) -> None:
    """Write ``text`` to ``path`` (0600). Without ``replace`` an existing file is left alone
    (FileExistsError); with it, the old file is swapped for the new one only once that is
    fully written."""
    from lamp.memory.private_fs import private_opener

    if not replace:
        with open(path, "x", encoding="utf-8", opener=private_opener) as fh:
            fh.write(text)
        return
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", opener=private_opener) as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
