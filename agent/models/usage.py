"""What one model call cost: tokens and seconds.

It lives with the models because a backend's ``complete()`` is what measures it;
``agent/events.py`` re-exports it as the event the loops stream to a renderer.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Usage"]


@dataclass(frozen=True)
class Usage:
    """Token counts and timings of one model call (or the sum over an agent run)."""

    prompt_tokens: int
    completion_tokens: int
    seconds_to_first_token: float
    seconds_total: float
    finish_reason: str = ""

    @property
    def tokens_per_second(self) -> float:
        gen_time = self.seconds_total - self.seconds_to_first_token
        if self.completion_tokens <= 1 or gen_time <= 0:
            return 0.0
        return (self.completion_tokens - 1) / gen_time
