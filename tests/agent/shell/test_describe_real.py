"""Describe on the real default model: for ten commands the explanation is a Markdown list
of the command's parts with the effect last, with no placeholder or prompt text copied
into it; a Korean request is explained in Korean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lamp.agent.events import TextDelta
from lamp.agent.models import Sampling
from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions
from lamp.agent.shell.drafter import CommandDrafter, ShellTarget

pytestmark = pytest.mark.integration

_COMMANDS = [
    ("delete all .txt files here", "rm *.txt"),
    ("show the 3 largest files", "ls -S | head -n 3"),
    ("count the lines of every python file", "find . -name '*.py' | xargs wc -l"),
    ("which process uses port 5432", "ss -ltnp | grep 5432"),
    ("make a backup of the config folder", "cp -r config config.bak"),
    ("show disk usage", "df -h"),
    ("pack the logs", "tar -czf logs.tar.gz logs/"),
    ("print the second column of data.csv", "cut -d, -f2 data.csv"),
    ("undo my last commit but keep the changes", "git reset --soft HEAD~1"),
    ("make deploy.sh runnable", "chmod u+x deploy.sh"),
]
# What the prompt says about the answer's shape, and what the old prompt's template held.
_PROMPT_PHRASES = ("part of the command", "bold label", "Write in", "someone about to run",
                   "Request:", "Command:", "<part>", "<what", "<program>", "<option>")


@pytest.fixture(scope="module")
def backend(default_model: Path) -> LlamaCppBackend:
    return LlamaCppBackend(LlamaOptions(default_model, n_ctx=4096))


def _describe(backend: LlamaCppBackend, request: str, command: str) -> str:
    drafter = CommandDrafter(backend, Sampling(temperature=0.0, max_tokens=300),
                             ShellTarget("bash", "Linux"), request=request)
    return "".join(e.text for e in drafter.describe(command) if isinstance(e, TextDelta))


@pytest.mark.parametrize(("request_text", "command"), _COMMANDS)
def test_an_explanation_without_placeholders(backend: LlamaCppBackend, request_text: str,
                                             command: str) -> None:
    text = _describe(backend, request_text, command)
    assert not re.search(r"<[a-z][^<>]*>", text), text  # no <placeholder>
    assert not any(p.lower() in text.lower() for p in _PROMPT_PHRASES), text
    items = [line for line in text.splitlines() if line.lstrip().startswith(("- ", "* "))]
    assert len(items) >= 2, text
    program = command.split()[0]
    assert f"`{program}" in text, text
    assert "**Effect:**" in text.strip().splitlines()[-1] or "Effect" in text, text


def test_a_korean_request_is_explained_in_korean(backend: LlamaCppBackend) -> None:
    text = _describe(backend, "로그 폴더를 압축해줘", "tar -czf logs.tar.gz logs/")
    hangul = len(re.findall(r"[가-힣]", text))
    latin = len(re.findall(r"[A-Za-z]", re.sub(r"`[^`]*`", "", text)))
    assert hangul > latin, text
    assert "`tar" in text and not re.search(r"<[a-z][^<>]*>", text), text
