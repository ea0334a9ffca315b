"""Prompt templates for the classic uses: summarize, infer, transform, expand.

A small model follows a task far better when the instruction is specific and,
for structured outputs, shown once by example. Built-ins live here; users add
their own as TOML files (same fields) in ``<config dir>/templates/``.

In ``user``, ``{input}`` is the material (stdin, or the argument when nothing
is piped) and ``{request}`` is the argument when stdin carries the material.

Answers come back in the material's language: a template's ``language_note``
(e.g. "Write the summary in {language}.") is added to the prompt with the language
found in the material (``agent/language.py``), because a small model given English
instructions answers in English otherwise. A request that names a language
("in English", "한국어로") wins: the note names that one. ``{language}`` may also be
used in ``user`` directly.

A template whose answer copies much of its input (``copies``: a summary's phrases, a
translation's names and numbers, reformatted values, corrected text) is one where
prompt lookup may draft the answer from the prompt (``prompt_lookup = auto``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError, UsageError
from .framing import neutralize
from .language import detect_language, names_language
from .models import Message, worked_turns

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_PLACEHOLDER = re.compile(r"\{(input|request|language)\}")

__all__ = ["BUILTIN_TEMPLATES", "PromptTemplate", "find_template", "load_templates"]


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    description: str
    system: str
    user: str
    examples: tuple[tuple[str, str], ...] = ()
    temperature: float | None = None
    origin: str = "built-in"
    defaults: dict[str, str] = field(default_factory=dict)
    language_note: str = ""  # added after the user text, naming the answer's language
    copies: bool = False  # the answer repeats runs of the input (prompt lookup drafts them)

    def render(self, argument: str, material: str | None) -> tuple[list[Message], str]:
        """Return (few-shot example messages, user message text)."""
        if material is None:
            text, request = argument, ""
        else:
            text, request = material, argument
        if "{input}" in self.user and not text.strip():
            raise InputError(f"template {self.name!r} needs input: pipe text in or pass it")
        request = request or self.defaults.get("request", "")
        user = f"{self.user.strip()}\n\n{self.language_note}" if self.language_note \
            else self.user
        language = (names_language(request) or detect_language(text)
                    or "the same language as the text")
        # The material is data in the template's own quoting: no control token of a chat
        # template, no frame marker (framing.py).
        values = {"request": request, "input": neutralize(text.strip()), "language": language}
        # One pass over the template only: braces inside the material or the request
        # are text, never placeholders.
        user = _PLACEHOLDER.sub(lambda m: values[m.group(1)], user)
        return worked_turns(self.examples), user.strip()


def _t(name: str, description: str, system: str, user: str, **kw: object) -> PromptTemplate:
    return PromptTemplate(name=name, description=description, system=system, user=user, **kw)  # type: ignore[arg-type]


BUILTIN_TEMPLATES: dict[str, PromptTemplate] = {
    t.name: t
    for t in [
        _t(
            "summarize",
            "Summarize text in a few bullet points (argument: focus or length)",
            "You write faithful, compact summaries. Use only facts from the text.",
            "Summarize the text below in 3 to 5 short bullet points. {request}\n\nText:\n"
            '"""\n{input}\n"""',
            temperature=0.2,
            language_note="Write the summary in {language}.",
            copies=True,
        ),
        _t(
            "sentiment",
            "Classify sentiment as positive, negative, neutral or mixed",
            "You classify the sentiment of text. Reply with exactly one word: "
            "positive, negative, neutral or mixed.",
            'Text: """{input}"""\nSentiment:',
            examples=(
                ('Text: """The battery died after two days and support never replied."""'
                 "\nSentiment:", "negative"),
                ('Text: """Setup took a minute and it just works. Love it."""\nSentiment:',
                 "positive"),
            ),
            temperature=0.0,
        ),
        _t(
            "topics",
            "List the main topics of a text as short comma-separated labels",
            "You extract topics. Reply with 1 to 5 lowercase topic labels of one to three "
            "words each, separated by commas, and nothing else.",
            'Text: """{input}"""\nTopics:',
            examples=(
                ('Text: """The city council approved a new bike lane budget after residents '
                 'complained about traffic on Main Street."""\nTopics:',
                 "city council, cycling infrastructure, traffic, local budget"),
            ),
            temperature=0.0,
            language_note="Write the labels in {language}.",
        ),
        _t(
            "translate",
            "Translate text (argument: target language, default English)",
            "You are a careful translator. Output only the translation, keeping "
            "formatting, names and numbers intact.",
            "Translate the following text to {request}.\n\n{input}",
            temperature=0.1,
            defaults={"request": "English"},
            copies=True,
        ),
        _t(
            "reformat",
            "Convert text to another format (argument: target format, e.g. JSON, a table)",
            "You convert data between formats exactly, without inventing or dropping "
            "values. Output only the converted result.",
            "Convert the following to {request}.\n\n{input}",
            temperature=0.0,
            language_note="Keep its text in {language}; do not translate it.",
            defaults={"request": "Markdown"},
            copies=True,
        ),
        _t(
            "grammar",
            "Fix spelling and grammar, keeping meaning and tone",
            "You proofread text. Return the corrected text only, with the same meaning, "
            "tone and formatting.",
            "Correct the spelling and grammar:\n\n{input}",
            examples=(
                ("Correct the spelling and grammar:\n\nshe dont like they're new car, its "
                 "to small.", "She doesn't like their new car; it's too small."),
            ),
            temperature=0.0,
            language_note="Correct it in {language}, without translating it.",
            copies=True,
        ),
        _t(
            "reply",
            "Write a reply to a message (argument: points to make or tone)",
            "You write clear, friendly, professional replies. Address every question in "
            "the message and do not invent facts.",
            "Write a reply to this message. {request}\n\nMessage:\n\"\"\"\n{input}\n\"\"\"",
            temperature=0.7,
            language_note="Write the reply in {language}.",
        ),
    ]
}

_FIELDS = {"description", "system", "user", "examples", "temperature", "defaults",
           "language_note", "copies"}


def _parse_user_template(path: Path) -> PromptTemplate:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"template {path}: cannot read: {exc}") from exc
    unknown = set(data) - _FIELDS
    if unknown:
        raise UsageError(f"template {path}: unknown field(s) {', '.join(sorted(unknown))}")
    if not isinstance(data.get("user"), str):
        raise UsageError(f"template {path}: needs a 'user' string with {{input}} or {{request}}")
    examples = tuple(
        (str(e["user"]), str(e["assistant"])) for e in data.get("examples", [])
        if isinstance(e, dict) and "user" in e and "assistant" in e
    )
    temperature = data.get("temperature")
    return PromptTemplate(
        name=path.stem,
        description=str(data.get("description", "")),
        system=str(data.get("system", "")),
        user=data["user"],
        examples=examples,
        temperature=float(temperature) if temperature is not None else None,
        origin=str(path),
        defaults={str(k): str(v) for k, v in dict(data.get("defaults", {})).items()},
        language_note=str(data.get("language_note", "")),
        copies=data.get("copies") is True,
    )


def load_templates(user_dir: Path | None) -> dict[str, PromptTemplate]:
    """Built-ins, overridden by same-named user templates."""
    found = dict(BUILTIN_TEMPLATES)
    if user_dir is not None and user_dir.is_dir():
        for path in sorted(user_dir.glob("*.toml")):
            found[path.stem] = _parse_user_template(path)
    return found


def find_template(name: str, user_dir: Path | None) -> PromptTemplate:
    templates = load_templates(user_dir)
    if name not in templates:
        raise UsageError(f"unknown template {name!r} (known: {', '.join(sorted(templates))})")
    return templates[name]
