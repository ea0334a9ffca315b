from __future__ import annotations

import pytest

from lamp.agent.language import detect_language, names_language


@pytest.mark.parametrize("text, language", [
    ("회의는 3월에서 5월로 연기되었습니다. API 팀과 QA 팀이 참석했습니다.", "Korean"),
    ("The meeting was moved from March to May, and the budget is not final.", "English"),
    ("La réunion est reportée à mai et nous vous informerons de la date.", "French"),
    ("Die Sitzung wurde auf Mai verschoben und ist nicht im März.", "German"),
    ("El equipo presentó los resultados y la reunión es en mayo.", "Spanish"),
    ("会議は3月から5月に延期されました。", "Japanese"),
    ("会议从三月推迟到五月。", "Chinese"),
    ("Совещание перенесено на май.", "Russian"),
])
def test_detects_the_language_of_prose(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "12345 678", "ok", "x = f(y) + 2", "Tokyo Paris"])
def test_says_nothing_when_the_text_does_not_tell(text: str) -> None:
    assert detect_language(text) is None


def test_korean_with_english_terms_is_still_korean() -> None:
    text = "다음 주 release 일정: backend API v2 배포, QA 검증 후 production 반영 예정입니다."
    assert detect_language(text) == "Korean"


@pytest.mark.parametrize("request_text, language", [
    ("in English please", "English"), ("한국어로", "Korean"), ("영어로 요약", "English"),
    ("focus on the dates", None), ("what they said", None), ("Thailand trip", None),
])
def test_finds_a_language_named_in_a_request(request_text: str, language: str | None) -> None:
    assert names_language(request_text) == language
