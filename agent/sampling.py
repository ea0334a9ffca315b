"""Sampling policies the loops share, written once.

The settings' default temperature (0.7) is for prose. Tool steps and programs
want the likeliest tokens, so they decode greedily, unless the user chose a
temperature (by flag, environment or config file): a choice always wins.
``chosen`` is the set of setting names the user chose.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from .models import Sampling

__all__ = ["greedy_unless_set"]


def greedy_unless_set(sampling: Sampling, chosen: Collection[str]) -> Sampling:
    """``sampling`` with temperature 0, unless the user chose a temperature."""
    return sampling if "temperature" in chosen else replace(sampling, temperature=0.0)
