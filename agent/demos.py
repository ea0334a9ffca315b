"""Worked examples for the built-in tools, shown to the model before the user's question.

A 0.5B model told "call a tool, then answer" often calls the same tool again
with its own result; shown one short trajectory (call, result, plain answer)
it answers. Each demo is used only when every tool it calls is enabled, so the
model never sees a tool it cannot call. The demos sit in the fixed prompt
prefix, which the prefix cache keeps, so they cost prompt time once.
"""

from __future__ import annotations

from collections.abc import Iterable

from .formats import Action, Demo

__all__ = ["BUILTIN_DEMOS", "demos_for"]

BUILTIN_DEMOS: tuple[Demo, ...] = (
    Demo(
        "How many days are there from 3 March 2025 to 19 November 2025?",
        ((Action("python", {"code": "from datetime import date\n"
                                    "print((date(2025, 11, 19) - date(2025, 3, 3)).days)"},
                 "Date arithmetic is easy to get wrong by hand; Python can count."),
          "261"),),
        "261 days",
        "The program counted 261 days.",
    ),
    Demo(
        "What is 18% of 2,450?",
        ((Action("calculator", {"expression": "2450 * 18 / 100"},
                 "A percentage is a multiplication."),
          "441"),),
        "441",
        "The calculator gave 441.",
    ),
)


def demos_for(tool_names: Iterable[str], demos: tuple[Demo, ...] = BUILTIN_DEMOS
              ) -> tuple[Demo, ...]:
    """The demos whose every call is to an enabled tool."""
    enabled = set(tool_names)
    return tuple(d for d in demos if all(a.tool in enabled for a, _ in d.calls))
