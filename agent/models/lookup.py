"""Prompt-lookup drafting: guess the next tokens of a reply from the text it is copying.

A summary, a translation that keeps names and numbers, a reformatted table, an
answer quoting an attached file: much of such a reply repeats runs of tokens
that are already in the prompt. When the last few tokens written also occur
earlier, the tokens that followed them there are a cheap guess at what comes
next. The model checks a guess in one batch and keeps the part it would have
written anyway (llama.cpp samples every position of the batch in order, so the
reply is the one it would write token by token, up to floating-point order).

A guess the model rejects still costs its batch, and on a laptop CPU a batch of
eight tokens costs several single steps. So a guess is made only from a match
of at least ``min_ngram`` tokens, it is as long as the last guesses earned
(``PromptLookup`` doubles it after a guess kept whole, drops it to what was kept
after a miss), and after ``rest_after`` misses in a row drafting pauses for as
many tokens as the misses cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["PromptLookup", "find_draft"]


def find_draft(ids: Any, *, min_ngram: int, max_ngram: int, size: int) -> Any:
    """Up to ``size`` tokens that followed the latest earlier occurrence of the longest
    n-gram (``max_ngram`` down to ``min_ngram`` tokens) that ends ``ids``; empty when no
    such n-gram occurs earlier. ``ids`` is a 1-D numpy int array; so is the result."""
    import numpy as np

    ids = np.asarray(ids)
    n = int(ids.shape[0])
    empty = np.array([], dtype=np.intc)
    if size <= 0:
        return empty
    for k in range(min(max_ngram, n - 1), min_ngram - 1, -1):
        if k <= 0:
            break
        # Windows over ids[:-1]: a match starting at i ends before the last token, so the
        # tail itself is never its own match and every match has a token after it.
        windows = np.lib.stride_tricks.sliding_window_view(ids[:-1], k)
        hits = np.flatnonzero((windows == ids[-k:]).all(axis=1))
        if hits.size:
            start = int(hits[-1]) + k
            return ids[start:start + size].astype(np.intc)
    return empty


@dataclass
class PromptLookup:
    """A draft model for ``llama_cpp.Llama.generate``: called with every token so far
    (prompt and reply), it returns the guessed next tokens (a numpy array, maybe empty).

    It learns from what the model kept: the tokens it saw on the next call start with
    the accepted part of its last guess."""

    min_ngram: int = 3
    max_ngram: int = 5
    max_draft: int = 8
    first_draft: int = 4
    rest_after: int = 2  # misses in a row before drafting pauses
    size: int = field(init=False)
    _last: tuple[int, tuple[int, ...]] | None = field(default=None, init=False, repr=False)
    _misses: int = field(default=0, init=False, repr=False)
    _resume_at: int = field(default=0, init=False, repr=False)
    drafted: int = field(default=0, init=False)  # tokens guessed, for reports
    accepted: int = field(default=0, init=False)  # ... and kept

    def __post_init__(self) -> None:
        self.size = self.first_draft

    def __call__(self, input_ids: Any, /, **_: Any) -> Any:
        import numpy as np

        n = len(input_ids)
        self._learn(input_ids, n)
        if n < self._resume_at:
            return np.array([], dtype=np.intc)
        draft = find_draft(input_ids, min_ngram=self.min_ngram, max_ngram=self.max_ngram,
                           size=self.size)
        if draft.size:
            self._last = (n, tuple(int(t) for t in draft))
            self.drafted += int(draft.size)
        return draft

    def _learn(self, ids: Any, n: int) -> None:
        """Adjust the guess length to how much of the last guess the model kept."""
        if self._last is None:
            return
        at, guess = self._last
        self._last = None
        seen = [int(t) for t in ids[at:min(n, at + len(guess))]]
        kept = 0
        for mine, real in zip(guess, seen, strict=False):
            if mine != real:
                break
            kept += 1
        self.accepted += kept
        if kept == len(guess):
            self.size, self._misses = min(self.max_draft, self.size * 2), 0
            return
        self.size = max(1, kept)
        self._misses = self._misses + 1 if kept == 0 else 0
        if self._misses >= self.rest_after:
            # Each miss cost about one verification batch; write that many tokens plainly.
            self._resume_at = n + self._misses * self.first_draft
            self._misses, self.size = 0, self.first_draft
