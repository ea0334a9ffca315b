"""Every built-in template on the real default model, with Korean and with English
material: the answer comes back in the material's language (or, for translate, the one
asked for), and the facts survive. Greedy, so the results do not vary run to run."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.app.prepare import prepare_ask
from lamp.agent.events import FinalAnswer
from lamp.agent.language import detect_language
from lamp.agent.models import Sampling
from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions
from lamp.agent.templates import BUILTIN_TEMPLATES

pytestmark = pytest.mark.integration

NOTES_KO = ("팀 회의록 (11월 28일)\n- 신제품 출시는 3월에서 5월로 연기되었습니다.\n"
            "- 예산은 2억 원으로 확정되었습니다.\n- 다음 회의는 12월 5일 오후 2시입니다.\n"
            "- 담당자: 김민수")
NOTES_EN = ("Team meeting (28 November)\n- The product launch was postponed from March to "
            "May.\n- The budget was fixed at 200 million won.\n- The next meeting is on "
            "5 December at 2 pm.\n- Owner: Minsu Kim")
MATERIAL = {
    "summarize": {"Korean": NOTES_KO, "English": NOTES_EN},
    "topics": {"Korean": NOTES_KO, "English": NOTES_EN},
    "reformat": {"Korean": NOTES_KO, "English": NOTES_EN},
    "grammar": {"Korean": "나는 어제 친구랑 영화를 봤는대 너무 재미있엇다. 다음에 또 갈꺼야.",
                "English": "Yesterday me and my friend goes to the cinema, it were really fun."},
    "reply": {"Korean": "안녕하세요, 다음 주 화요일 오후에 프로젝트 회의를 할 수 있을까요? "
                        "가능한 시간을 알려 주세요.",
              "English": "Hi, could we meet next Tuesday afternoon about the project? "
                         "Please tell me which time works for you."},
}


@pytest.fixture(scope="module")
def backend(default_model: Path) -> LlamaCppBackend:
    return LlamaCppBackend(LlamaOptions(default_model, n_ctx=4096))


def written_in(answer: str, language: str) -> bool:
    """Korean: mostly Hangul. English: Latin letters and no Hangul at all (a list of
    topic labels has too few function words for the detector to name it)."""
    if language == "Korean":
        return detect_language(answer) == "Korean"
    letters = [c for c in answer if c.isalpha()]
    return bool(letters) and all(c.isascii() for c in letters)


def run_template(backend: LlamaCppBackend, name: str, material: str, request: str = "") -> str:
    prepared = prepare_ask(backend, Sampling(temperature=0, max_tokens=160, seed=1),
                           prompt=request, material=material, system="",
                           template=BUILTIN_TEMPLATES[name], temperature_from_user=True)
    events = list(prepared.conversation.send(prepared.user_text))
    return next(e for e in events if isinstance(e, FinalAnswer)).text


@pytest.mark.parametrize("name", sorted(MATERIAL))
@pytest.mark.parametrize("language", ["Korean", "English"])
def test_template_answers_in_the_materials_language(backend: LlamaCppBackend, name: str,
                                                    language: str) -> None:
    answer = run_template(backend, name, MATERIAL[name][language])
    assert written_in(answer, language), answer


@pytest.mark.parametrize("language, month", [("Korean", "5월"), ("English", "May")])
def test_summary_keeps_the_facts(backend: LlamaCppBackend, language: str, month: str) -> None:
    # The 0.5B turned "postponed from March to May" into "announced in March and May".
    answer = run_template(backend, "summarize", MATERIAL["summarize"][language])
    assert month in answer, answer


@pytest.mark.parametrize("material", [
    "배송이 2주나 늦었고 받자마자 고장 났어요. 환불도 안 해 줍니다.",
    "Shipping took two weeks and it broke the day it arrived. No refund either.",
])
def test_sentiment_labels_stay_fixed_in_any_language(backend: LlamaCppBackend,
                                                     material: str) -> None:
    # Scripts compare the label, so it is one of four English words whatever the input.
    assert run_template(backend, "sentiment", material).strip().lower() == "negative"


@pytest.mark.parametrize("material, target, language", [
    (NOTES_KO, "", "English"),  # the default target
    (NOTES_EN, "Korean", "Korean"),
    (NOTES_EN, "한국어", "Korean"),
])
def test_translate_goes_to_the_requested_language(backend: LlamaCppBackend, material: str,
                                                  target: str, language: str) -> None:
    answer = run_template(backend, "translate", material, target)
    assert written_in(answer, language), answer


def test_a_request_naming_a_language_overrides_the_material(backend: LlamaCppBackend) -> None:
    answer = run_template(backend, "summarize", NOTES_KO, "in English")
    assert written_in(answer, "English"), answer
