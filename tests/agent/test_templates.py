from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.errors import InputError, UsageError
from lamp.agent.templates import BUILTIN_TEMPLATES, find_template, load_templates


def test_builtins_cover_the_classic_uses() -> None:
    assert {"summarize", "sentiment", "topics", "translate", "reformat", "grammar",
            "reply"} <= set(BUILTIN_TEMPLATES)
    for template in BUILTIN_TEMPLATES.values():
        assert "{input}" in template.user and template.description


def test_argument_is_input_when_nothing_is_piped() -> None:
    _, text = BUILTIN_TEMPLATES["grammar"].render("i has a apple", None)
    assert "i has a apple" in text


def test_piped_material_is_input_and_argument_is_request() -> None:
    _, text = BUILTIN_TEMPLATES["translate"].render("French", "Good morning")
    assert "to French" in text and "Good morning" in text


def test_default_request_fills_in() -> None:
    _, text = BUILTIN_TEMPLATES["translate"].render("", "Bonjour")
    assert "to English" in text


def test_missing_input_is_an_input_error() -> None:
    with pytest.raises(InputError):
        BUILTIN_TEMPLATES["summarize"].render("", None)


def test_braces_in_material_are_left_alone() -> None:
    _, text = BUILTIN_TEMPLATES["reformat"].render("YAML", '{"a": {"b": 1}}')
    assert '{"a": {"b": 1}}' in text


def test_user_template_overrides_and_adds(tmp_path: Path) -> None:
    (tmp_path / "haiku.toml").write_text(
        'description = "Turn text into a haiku"\nsystem = "You are a poet."\n'
        'user = "Write a haiku about: {input}"\ntemperature = 0.9\n'
        '[[examples]]\nuser = "Write a haiku about: rain"\nassistant = "soft rain"\n'
    )
    templates = load_templates(tmp_path)
    haiku = templates["haiku"]
    assert haiku.temperature == 0.9 and haiku.origin.endswith("haiku.toml")
    shots, text = haiku.render("autumn", None)
    assert text == "Write a haiku about: autumn" and len(shots) == 2
    assert "summarize" in templates


@pytest.mark.parametrize("body, match", [
    ("user = [", "cannot read"),
    ('system = "x"', "needs a 'user'"),
    ('user = "{input}"\ncolour = "red"', "unknown field"),
])
def test_bad_user_templates_fail_clearly(tmp_path: Path, body: str, match: str) -> None:
    (tmp_path / "bad.toml").write_text(body)
    with pytest.raises(UsageError, match=match):
        load_templates(tmp_path)


def test_unknown_template_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match="summarize"):
        find_template("nope", None)
