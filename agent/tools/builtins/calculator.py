"""``calculator``: exact arithmetic on one expression, without evaluating any code.

The expression is parsed with ``ast`` and walked by a small evaluator that knows
numbers, ``+ - * / // % **``, parentheses and a handful of functions; anything
else (names, attributes, calls to anything but those functions) is refused, so
``__import__('os')`` is a refusal, not an import. Values are ``Fraction``: whole
numbers stay exact at any size and ``0.1 + 0.2`` is ``0.3``. Results beyond
10,000 digits are refused before they are computed, so ``9**9**9`` cannot hang lamp.
"""

from __future__ import annotations

import ast
import decimal
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any, ClassVar

from ..base import Tool, ToolContext, ToolError

__all__ = ["MAX_DIGITS", "CalculatorTool", "calculate"]

MAX_DIGITS = 10_000
MAX_CHARS = 1_000
_LOG10_2 = math.log10(2)
_PREC = 40  # digits kept by the few operations that cannot be exact (sqrt 2, pi)
_SHOWN = 20  # significant digits shown for a non-terminating or rounded result
_CONSTANTS = {"pi": "3.141592653589793238462643383279502884197",
              "e": "2.718281828459045235360287471352662497757"}


class CalculatorTool(Tool):
    name = "calculator"
    description = ("Exact arithmetic on one expression: + - * / // % ** and parentheses; "
                   "functions sqrt, abs, round, floor, ceil, min, max, factorial, gcd; "
                   "constants pi and e. Whole numbers stay exact at any size.")
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "expression": {"type": "string",
                           "description": "The arithmetic expression, written with the "
                                          "numbers the question gives"},
        },
        "required": ["expression"],
        "additionalProperties": False,
    }
    timeout = 10.0
    given_numbers = ("expression",)

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        return calculate(args["expression"])


def calculate(expression: str) -> str:
    """The value of ``expression`` as text: an integer, an exact decimal, or a decimal
    marked ``(exactly p/q)`` or ``(rounded)``. Raises ToolError with the reason."""
    if len(expression) > MAX_CHARS:
        raise ToolError(f"expression is too long ({len(expression):,} characters; "
                        f"at most {MAX_CHARS:,})")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError) as exc:
        raise ToolError(f"not an arithmetic expression: {getattr(exc, 'msg', exc)}") from None
    evaluator = _Evaluator(expression.strip())
    value = evaluator.eval(tree.body)
    return _format(value, evaluator.rounded)


class _Evaluator:
    def __init__(self, source: str) -> None:
        self.source = source
        self.rounded = False  # set once a step could not be exact (sqrt 2, pi, 2 ** 0.5)
        self.functions: dict[str, Callable[..., Fraction]] = {
            "sqrt": lambda x: self.power(x, Fraction(1, 2)),
            "abs": abs, "floor": lambda x: Fraction(math.floor(x)),
            "ceil": lambda x: Fraction(math.ceil(x)), "round": _round,
            "min": min, "max": max, "factorial": _factorial, "gcd": _gcd,
        }

    def eval(self, node: ast.AST) -> Fraction:
        return _checked(self._eval(node))

    def _eval(self, node: ast.AST) -> Fraction:
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.eval(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            return self.binop(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                self.rounded = True
                return Fraction(_CONSTANTS[node.id])
            raise ToolError(f"unknown name {node.id!r} (only numbers, pi and e)")
        raise ToolError(_refusal(node))

    def number(self, node: ast.Constant) -> Fraction:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ToolError(f"only numbers are allowed, not {value!r}")
        if isinstance(value, int):
            return Fraction(value)
        # The literal as written, not the binary float: 0.1 means one tenth.
        text = (ast.get_source_segment(self.source, node) or repr(value)).replace("_", "")
        parsed = decimal.Decimal(text)
        if not parsed.is_finite() or abs(parsed.adjusted()) > MAX_DIGITS:
            raise ToolError(f"the number {text} is too large (limit {MAX_DIGITS:,} digits)")
        return Fraction(parsed)

    def binop(self, node: ast.BinOp) -> Fraction:
        op = node.op
        if isinstance(op, ast.BitXor):
            raise ToolError("^ is not a power here: write 2 ** 10 for 2 to the 10th")
        if not isinstance(op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
                               ast.Pow)):
            raise ToolError(f"operator {type(op).__name__} is not allowed "
                            "(+ - * / // % ** only)")
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(op, ast.Pow):
            return self.power(left, right)
        if isinstance(op, (ast.Add, ast.Sub, ast.Mult)):  # operands are capped: cheap
            return left + right if isinstance(op, ast.Add) else (
                left - right if isinstance(op, ast.Sub) else left * right)
        if right == 0:
            raise ToolError("division by zero")
        if isinstance(op, ast.Div):
            return left / right
        return Fraction(left // right) if isinstance(op, ast.FloorDiv) else left % right

    def call(self, node: ast.Call) -> Fraction:
        if not isinstance(node.func, ast.Name):
            raise ToolError(_refusal(node.func))
        fn = self.functions.get(node.func.id)
        if fn is None:
            known = ", ".join(sorted(self.functions))
            raise ToolError(f"unknown function {node.func.id!r} (available: {known})")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ToolError(f"{node.func.id}() takes plain numbers only")
        args = [self.eval(a) for a in node.args]
        try:
            return Fraction(fn(*args))
        except TypeError:
            raise ToolError(f"{node.func.id}() got {len(args)} arguments") from None

    def power(self, base: Fraction, exp: Fraction) -> Fraction:
        if base == 0 and exp < 0:
            raise ToolError("division by zero (0 to a negative power)")
        if base in (0, 1) or exp == 0:
            return Fraction(1) if exp == 0 else base
        if base == -1 and exp.denominator == 1:
            return Fraction(-1 if exp.numerator % 2 else 1)
        if _digits(exp) > 15:
            raise ToolError(f"the exponent is far too large (limit {MAX_DIGITS:,} digits "
                            "in the result)")
        magnitude = float(abs(exp)) * abs(_log10(abs(base)))
        if magnitude > MAX_DIGITS:
            raise ToolError(f"the result would have about {magnitude:,.0f} digits "
                            f"(limit {MAX_DIGITS:,})")
        if exp.denominator == 1:
            n = int(exp)
            longest = max(_int_log10(abs(base.numerator)), _int_log10(base.denominator))
            if abs(n) * longest <= MAX_DIGITS:
                return base ** n
        elif base < 0:
            raise ToolError("a negative number has no real root of that kind")
        else:
            exact = _exact_root(base, exp)
            if exact is not None:
                return exact
        # Exact would be too long (1.05 ** 5000) or irrational (sqrt 2): round, and say so.
        self.rounded = True
        with decimal.localcontext() as dctx:
            dctx.prec = _PREC
            d_base = decimal.Decimal(base.numerator) / decimal.Decimal(base.denominator)
            d_exp = decimal.Decimal(exp.numerator) / decimal.Decimal(exp.denominator)
            return Fraction(d_base ** d_exp)


def _exact_root(base: Fraction, exp: Fraction) -> Fraction | None:
    """``base ** exp`` when it is rational (``4 ** 0.5``, ``(8/27) ** (2/3)``), else None."""
    q = exp.denominator
    if q > 64:
        return None
    num, den = _iroot(base.numerator, q), _iroot(base.denominator, q)
    if num is None or den is None:
        return None
    return Fraction(num, den) ** exp.numerator


def _iroot(n: int, q: int) -> int | None:
    """The integer q-th root of n >= 0 when it is exact (Newton's method on integers)."""
    if n < 2:
        return n
    x = 1 << -(-n.bit_length() // q)
    while True:
        y = ((q - 1) * x + n // x ** (q - 1)) // q
        if y >= x:
            break
        x = y
    return x if x**q == n else None


def _round(x: Fraction, ndigits: Fraction = Fraction(0)) -> Fraction:
    """Round half away from zero (what a person means by rounding 2.5), to ``ndigits``."""
    if ndigits.denominator != 1 or abs(ndigits) > MAX_DIGITS:
        raise ToolError("round(x, n) needs a whole number n")
    scale = Fraction(10) ** int(ndigits)
    magnitude = Fraction(math.floor(abs(x) * scale + Fraction(1, 2))) / scale
    return magnitude if x >= 0 else -magnitude


def _factorial(x: Fraction) -> Fraction:
    if x.denominator != 1 or x < 0:
        raise ToolError("factorial needs a whole number >= 0")
    n = int(x)
    if n > 100_000 or math.lgamma(n + 1) / math.log(10) > MAX_DIGITS:
        raise ToolError(f"factorial({n}) has more than {MAX_DIGITS:,} digits")
    return Fraction(math.factorial(n))


def _gcd(*xs: Fraction) -> Fraction:
    if any(x.denominator != 1 for x in xs):
        raise ToolError("gcd needs whole numbers")
    return Fraction(math.gcd(*(int(x) for x in xs)))


def _log10(x: Fraction) -> float:
    """log10 of a positive Fraction of any size (floats overflow past 1e308)."""
    return _int_log10(x.numerator) - _int_log10(x.denominator)


def _int_log10(n: int) -> float:
    shift = max(n.bit_length() - 64, 0)
    return math.log10(n >> shift) + shift * _LOG10_2


def _digits(x: Fraction) -> int:
    """Roughly how many digits the larger of numerator and denominator has."""
    return int(max(abs(x.numerator).bit_length(), x.denominator.bit_length()) * _LOG10_2) + 1


def _guard_digits(digits: int) -> None:
    if digits > MAX_DIGITS + 1:
        raise ToolError(f"the result would have about {digits:,} digits (limit {MAX_DIGITS:,})")


def _checked(value: Fraction) -> Fraction:
    _guard_digits(_digits(value))
    return value


def _refusal(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"attribute access (.{node.attr}) is not allowed: numbers and operators only"
    if isinstance(node, ast.Tuple):
        return "one expression only; write 1000, not 1,000"
    if isinstance(node, ast.Compare):
        return "comparisons are not supported: the calculator gives a number"
    return f"{type(node).__name__} is not allowed: numbers, operators and a few functions only"


def _format(value: Fraction, rounded: bool) -> str:
    """An integer as all its digits; a fraction as an exact decimal when it terminates,
    else as a decimal with its whole part in full and 20 significant digits at least,
    followed by ``(exactly p/q)`` when that is short, or ``(rounded)``."""
    if value.denominator == 1 and not rounded:
        return _int_text(value.numerator)
    if not rounded:
        exact = _terminating(value)
        if exact is not None:
            return exact
    whole_digits = max(math.floor(_log10(abs(value))) + 1, 0) if value else 0
    with decimal.localcontext() as dctx:
        extra = whole_digits if whole_digits < 40 else 0  # else scientific notation
        dctx.prec = min(_SHOWN + extra, _PREC if rounded else _SHOWN + 40)
        approx = decimal.Decimal(value.numerator) / decimal.Decimal(value.denominator)
        if -30 < approx.adjusted() < dctx.prec:  # no padding zeros posing as digits
            text = format(approx, "f")
            text = text.rstrip("0").rstrip(".") if "." in text else text
        else:
            text = str(approx)
    if not rounded and _digits(value) <= 28:  # short to read; str() of a huge int fails
        return f"{text} (exactly {value})"
    return f"{text} (rounded)"


def _terminating(value: Fraction) -> str | None:
    """The exact decimal text of ``value`` when it has at most 40 decimal places."""
    den, twos, fives = value.denominator, 0, 0
    while den % 2 == 0:
        den, twos = den // 2, twos + 1
    while den % 5 == 0:
        den, fives = den // 5, fives + 1
    places = max(twos, fives)
    if den != 1 or places > 40:
        return None
    scaled = abs(value.numerator) * 10**places // value.denominator
    digits = _int_text(scaled).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def _int_text(n: int) -> str:
    """All digits of ``n``; Decimal sidesteps Python's 4,300-digit ``str(int)`` limit."""
    return str(decimal.Decimal(n))
