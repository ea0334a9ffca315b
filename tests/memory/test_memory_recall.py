"""A fact stated 40 turns ago, far outside the context window, comes back (real embeddings)."""

from __future__ import annotations

import pytest

from lamp.memory import MemoryStore, recall

FILLER_EN = [
    ("Can you suggest a name for a sourdough starter?", "How about 'Clint Yeastwood'?"),
    ("How long should I boil an egg for a runny yolk?", "About six minutes."),
    ("What's a good stretch for lower back pain?", "Try the child's pose."),
    ("Convert 70 Fahrenheit to Celsius.", "That is about 21 degrees Celsius."),
    ("Summarize the plot of Hamlet in one line.", "A prince avenges his father and everyone dies."),
    ("Which git command shows the last commit?", "git log -1"),
    ("Recommend a podcast about history.", "Try 'Fall of Civilizations'."),
    ("How do I remove a red wine stain?", "Blot it and use salt or soda water."),
]
FILLER_KO = [
    ("김치찌개 맛있게 끓이는 방법 알려줘.", "잘 익은 김치와 돼지고기를 먼저 볶아."),
    ("내일 서울 날씨 어때?", "맑고 조금 쌀쌀할 거야."),
    ("파이썬에서 리스트 뒤집는 법은?", "reversed()나 슬라이싱 [::-1]을 써."),
    ("주말에 볼 만한 영화 추천해줘.", "'기생충'을 다시 보는 건 어때?"),
    ("허리 스트레칭 좋은 거 있어?", "고양이 자세를 해 봐."),
    ("영어 이메일 끝인사 뭐라고 써?", "'Best regards'가 무난해."),
    ("커피 하루에 몇 잔까지 괜찮아?", "보통 서너 잔 이하가 좋아."),
    ("등산 갈 때 챙길 것 알려줘.", "물, 간식, 우비, 여벌 양말."),
]


@pytest.mark.parametrize(
    ("fact", "reply", "filler", "question", "needle"),
    [
        (
            "By the way, my cat is called Tobias.",
            "Tobias is a great name for a cat!",
            FILLER_EN,
            "What is my cat called?",
            "Tobias",
        ),
        (
            "참고로 우리 고양이 이름은 토비아스야.",
            "토비아스, 멋진 이름이네!",
            FILLER_KO,
            "우리 고양이 이름이 뭐였지?",
            "토비아스",
        ),
    ],
    ids=["english", "korean"],
)
def test_fact_from_40_turns_ago_is_recalled(
    store: MemoryStore, fact: str, reply: str, filler: list, question: str, needle: str
) -> None:
    store.append_turns("long", [("user", fact), ("assistant", reply)])
    messages = []
    for i in range(20):  # 20 exchanges = 40 turns after the fact
        user, assistant = filler[i % len(filler)]
        messages += [("user", f"{user} ({i})"), ("assistant", assistant)]
    store.append_turns("long", messages)
    assert store.get_session("long").turns == 42  # type: ignore[union-attr]
    window = set(range(30, 42))  # what still fits the context: the last 12 turns
    items = recall(store, question, session="long", exclude_turns=window, k=4, token_budget=200)
    assert items, "nothing recalled"
    assert items[0].kind == "turn" and needle in items[0].text and items[0].turn == 0
    assert all(i.turn not in window for i in items)
    assert sum(i.tokens for i in items) <= 200
