"""What PAL shows the model: instructions, worked examples, and the harness around its program.

Kept apart from the loop (agent/pal/solve.py) because this is what gets tuned and
measured (docs/pal.md): the wording, the examples, how a program's value is
reported back. ``pal_question`` is how a request becomes the question, so
every caller (the CLI, benchmarks, scripts) asks it the same way.
"""

from __future__ import annotations

from ..framing import neutralize
from ..models import Message, worked_turns

__all__ = ["EXAMPLES", "HARNESS", "MARKER", "SYSTEM", "pal_messages", "pal_question"]

MARKER = "@@lamp-pal-result@@ "

SYSTEM = (
    "You solve word problems by writing Python. Write a function solution() that computes "
    "the answer step by step, with short comments for the reasoning, and returns the final "
    "number. Use only the standard library. Reply with one ```python code block and nothing "
    "else."
)

# Our own worked examples, one per common shape: counts that go up and down (including
# things that come back), rates and percentages, unit changes, parts of a group,
# comparisons, money and change, ages, and growth over repeated periods. Each step's
# comment quotes the words of the problem it uses, which ties every number in the code
# to its place in the text (GSM8K dev, first 100, greedy: 0.25 with quoting comments,
# 0.23 with free-form ones). The examples sit in the cached prompt prefix, so their
# length costs prompt time once.
_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("A library has 3 shelves with 42 books each. It lends out 17 books and then receives "
     "a donation of 25 books. How many books does it have now?",
     '    # "3 shelves with 42 books each"\n    books = 3 * 42\n'
     '    # "lends out 17 books": they leave the library\n    books -= 17\n'
     '    # "receives a donation of 25 books": they come in\n    books += 25\n'
     "    return books"),
    ("Maria earns $18 an hour and works 7.5 hours a day, 4 days a week. She saves 20% of "
     "what she earns. How many dollars does she save in a week?",
     '    # "$18 an hour", "7.5 hours a day, 4 days a week"\n    weekly_pay = 18 * 7.5 * 4\n'
     '    # "saves 20% of what she earns"\n    savings = weekly_pay * 20 / 100\n'
     "    return savings"),
    ("A train covers 150 km in 2 hours. At the same speed, how many minutes does it need "
     "for 45 km?",
     '    # "150 km in 2 hours"\n    speed_km_per_hour = 150 / 2\n'
     '    # "how many minutes ... for 45 km"\n    hours = 45 / speed_km_per_hour\n'
     "    return hours * 60"),
    ("A shop had 120 umbrellas. It sold 45 on Monday and 38 on Tuesday, and customers "
     "returned 7 of the umbrellas they had bought. How many umbrellas does the shop have now?",
     '    # "had 120 umbrellas"\n    umbrellas = 120\n'
     '    # "sold 45 on Monday and 38 on Tuesday": they leave the shop\n'
     "    umbrellas -= 45 + 38\n"
     '    # "customers returned 7": they are back in the shop\n    umbrellas += 7\n'
     "    return umbrellas"),
    ("In a class of 30 students, two fifths walk to school and a third of the others take the "
     "bus. The rest are driven. How many students are driven?",
     '    # "two fifths walk"\n    walkers = 30 * 2 / 5\n    others = 30 - walkers\n'
     '    # "a third of the others take the bus"\n    bus = others / 3\n'
     '    # "the rest are driven"\n    return others - bus'),
    ("Tom has 3 times as many marbles as Ana, who has 14. Tom gives 9 marbles away. How many "
     "more marbles than Ana does Tom have now?",
     '    # "Ana, who has 14"\n    ana = 14\n'
     '    # "3 times as many as Ana", "gives 9 away"\n    tom = 3 * ana - 9\n'
     '    # "how many more than Ana": a difference\n    return tom - ana'),
    ("Ella buys 4 notebooks at $2.50 each and a pen for $1.75. She pays with a $20 bill. How "
     "much change does she get?",
     '    # "4 notebooks at $2.50 each and a pen for $1.75"\n    cost = 4 * 2.50 + 1.75\n'
     '    # "pays with a $20 bill": change is paid minus cost\n    return 20 - cost'),
    ("Sam is 4 years older than twice his sister's age. His sister is 9. How old will Sam be "
     "in 5 years?",
     '    # "4 years older than twice his sister\'s age", "sister is 9"\n'
     "    sam_now = 2 * 9 + 4\n"
     '    # "in 5 years"\n    return sam_now + 5'),
    ("A plant is 40 cm tall and grows 15% taller every month. How tall is it after 2 months?",
     '    # "40 cm tall"\n    height = 40\n'
     '    # "15% taller every month", "after 2 months"\n'
     "    for month in range(2):\n        height = height * 1.15\n    return height"),
)
EXAMPLES: tuple[tuple[str, str], ...] = tuple(
    (question, f"```python\ndef solution():\n{body}\n```") for question, body in _EXAMPLES)

# Appended to the model's program inside the sandbox: call solution() and print its
# value after a marker, normalised so 74.0 prints as 74 and 0.1 + 0.2 as 0.3. Rounding
# keeps 12 significant digits, which hides the float noise of a few operations, but
# never fewer than the whole part and three decimals (up to the 15 digits a float
# holds): 9284017268534.4 must not print as 9284017268530.
HARNESS = f"""

def __lamp_report():
    from decimal import Decimal
    from fractions import Fraction
    from math import floor, log10
    if "solution" not in globals():
        return
    value = solution()
    if isinstance(value, (Fraction, Decimal)):
        value = float(value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        if not (value.is_integer() and abs(value) < 1e16):
            whole_digits = floor(log10(abs(value))) + 1
            digits = min(15, max(12, whole_digits + 3))
            value = float(format(value, "." + str(digits) + "g"))
        if value.is_integer() and abs(value) < 1e16:
            value = int(value)
    print({MARKER!r} + str(value))

__lamp_report()
"""


def pal_messages(question: str) -> list[Message]:
    return [Message("system", SYSTEM), *worked_turns(EXAMPLES),
            Message("user", question.strip())]


def pal_question(prompt: str, material: str | None = None) -> str:
    """The problem as the model sees it: the argument, then any piped-in text (made
    plain: no chat-template control tokens, no frame markers; framing.py)."""
    return "\n\n".join(part for part in (prompt, material and neutralize(material)) if part)
