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
        "What is 2 to the power of 40, minus 1?",
        ((Action("python", {"code": "print(2 ** 40 - 1)"},
                 "Python computes big whole numbers exactly."),
          "1099511627775"),),
        "1099511627775",
        "The program printed 1099511627775.",
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
# Tried and left out: a tool-free example ("Who wrote Moby-Dick?"). It stopped the model
# from calling the calculator with "Paris" for the capital of France, but wherever it
# stood it also made the model skip a needed call with some tool sets (calculator only:
# the product written back unevaluated), which our CLI tests catch.


# Formats whose steps the demos help. In the ReAct format the python demo made the 0.5B
# model close its Action Input JSON badly (`print(a * b)}"`) on a case it otherwise
# solves, so ReAct runs without them; measured in docs/tools.md.
FORMATS_WITH_DEMOS = frozenset({"native"})


def demos_for(tool_names: Iterable[str], format_name: str = "native",
              demos: tuple[Demo, ...] = BUILTIN_DEMOS) -> tuple[Demo, ...]:
    """The demos whose every call is to an enabled tool, for formats they help."""
    if format_name not in FORMATS_WITH_DEMOS:
        return ()
    enabled = set(tool_names)
    return tuple(d for d in demos if all(a.tool in enabled for a, _ in d.calls))
