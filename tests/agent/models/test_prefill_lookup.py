"""Prompt-lookup drafts (lookup.py) and what the backend interface says about them."""

from __future__ import annotations

import numpy as np

from lamp.agent.models import Capabilities, Sampling, ScriptedBackend
from lamp.agent.models.lookup import PromptLookup, find_draft


def ids(*tokens: int) -> np.ndarray:
    return np.array(tokens, dtype=np.intc)


def test_a_draft_is_what_followed_the_latest_earlier_match() -> None:
    #            0  1  2  3  4  5  6  7  8  9  10 11 12
    text = ids(1, 2, 3, 4, 5, 9, 1, 2, 3, 7, 8, 1, 2, 3)
    draft = find_draft(text, min_ngram=3, max_ngram=3, size=2)
    assert draft.tolist() == [7, 8]  # after the match at 6-8, not the one at 0-2


def test_the_longest_ngram_wins_and_the_draft_is_capped() -> None:
    text = ids(5, 1, 2, 40, 41, 42, 43, 9, 1, 2, 50, 51, 9, 1, 2)
    # 3-gram (9, 1, 2) occurs at 7; the 2-gram (1, 2) also at 1 and 13-... (later, at 8)
    assert find_draft(text, min_ngram=2, max_ngram=3, size=2).tolist() == [50, 51]
    assert find_draft(text, min_ngram=2, max_ngram=3, size=1).tolist() == [50]


def test_no_draft_without_a_long_enough_match() -> None:
    text = ids(1, 2, 3, 4, 2, 3)  # only the 2-gram (2, 3) repeats
    assert find_draft(text, min_ngram=3, max_ngram=4, size=4).size == 0
    assert find_draft(text, min_ngram=2, max_ngram=4, size=4).tolist() == [4, 2, 3]
    assert find_draft(ids(7), min_ngram=1, max_ngram=3, size=4).size == 0
    assert find_draft(ids(1, 2, 1, 2), min_ngram=2, max_ngram=2, size=0).size == 0


def test_the_tail_is_never_its_own_match() -> None:
    assert find_draft(ids(4, 5, 6), min_ngram=1, max_ngram=3, size=3).size == 0


def kept_then(drafter: PromptLookup, prompt: list[int], real: list[int]) -> np.ndarray:
    """Call the drafter on ``prompt``, then again as if ``real`` followed it."""
    drafter(ids(*prompt))
    return drafter(ids(*prompt, *real))


def test_the_draft_grows_while_it_is_kept_and_shrinks_when_it_is_not() -> None:
    source = list(range(100, 140))
    prompt = [*source, 1, *source[:3]]  # the reply starts copying the source
    drafter = PromptLookup(first_draft=4, max_draft=8)
    first = drafter(ids(*prompt))
    assert first.tolist() == source[3:7]
    # All four kept (plus the model's own next token): the next guess is twice as long.
    assert drafter(ids(*prompt, *source[3:8])).tolist() == source[8:16]
    assert drafter.size == 8 and drafter.accepted == 4
    # Two of eight kept, then the reply leaves the source: the guess length drops to 2.
    drafter(ids(*prompt, *source[3:8], *source[8:10], 7, 7, 7))
    assert drafter.size == 2 and drafter.accepted == 6


def test_drafting_pauses_after_misses_in_a_row() -> None:
    source = [10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25]
    drafter = PromptLookup(first_draft=2, rest_after=2)
    reply = [*source, 0, 10, 11, 12]
    assert drafter(ids(*reply)).tolist() == [13, 14]
    reply += [99, 20, 21, 22]  # the guess missed at once: the next one is a single token
    assert drafter(ids(*reply)).tolist() == [23]
    reply += [98, 10, 11, 12]  # missed again: no guesses for 2 misses x 2 tokens
    assert drafter(ids(*reply)).size == 0
    assert drafter(ids(*reply, 5, 6, 13, 14, 15)).tolist() == [20, 21]
    assert drafter.accepted == 0 and drafter.drafted == 5


def test_lookup_is_a_hint_the_json_sampling_leaves_out() -> None:
    sampling = Sampling(temperature=0, lookup=True)
    assert "lookup" not in sampling.as_dict()
    assert Sampling().lookup is False
    assert Capabilities().prompt_lookup is False and Capabilities().warm_input is False


def test_backends_without_input_warming_say_off() -> None:
    from lamp.agent.models import Message

    backend = ScriptedBackend()
    assert backend.warm_prefix([Message("system", "s")], user_prefix="File: a\n") == "off"
    able = ScriptedBackend(capabilities=Capabilities(warm_input=True))
    assert able.warm_prefix([Message("system", "s")], user_prefix="") == "live"
    assert able.warm_prefix([Message("system", "s")]) == "off"  # fixed prefixes: not declared
    assert able.warmed == [([Message("system", "s")], ""), ([Message("system", "s")], None)]
