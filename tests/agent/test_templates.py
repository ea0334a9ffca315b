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


@pytest.mark.parametrize("name", ["summarize", "topics", "reformat", "grammar", "reply"])
def test_answers_are_asked_for_in_the_materials_language(name: str) -> None:
    # A small model answers English instructions in English unless the prompt names the
    # material's language; every template except sentiment (fixed labels) and translate
    # (its request names the target) does.
    _, korean = BUILTIN_TEMPLATES[name].render("", "회의는 3월에서 5월로 연기되었습니다.")
    _, english = BUILTIN_TEMPLATES[name].render("", "The meeting moved from March to May.")
    assert "Korean" in korean.splitlines()[-1] and "English" in english.splitlines()[-1]


def test_a_request_naming_a_language_wins_over_the_material() -> None:
    _, text = BUILTIN_TEMPLATES["summarize"].render("in English", "회의는 5월로 연기되었습니다.")
    assert text.endswith("Write the summary in English.") and "Korean" not in text


def test_unclear_material_asks_for_its_own_language() -> None:
    _, text = BUILTIN_TEMPLATES["summarize"].render("", "12 34 56")
    assert text.endswith("Write the summary in the same language as the text.")


def test_placeholders_in_material_or_request_stay_text() -> None:
    _, text = BUILTIN_TEMPLATES["summarize"].render("{input}", "See {language} and {request}.")
    assert "See {language} and {request}." in text and text.count("{input}") == 1


def test_user_template_may_use_the_language(tmp_path: Path) -> None:
    (tmp_path / "gist.toml").write_text(
        'user = "One line gist of: {input}"\nlanguage_note = "Answer in {language}."\n')
    _, text = find_template("gist", tmp_path).render("", "오늘 회의는 취소되었습니다.")
    assert text.endswith("Answer in Korean.")
