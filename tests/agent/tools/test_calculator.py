"""calculator: exact big-number arithmetic, and nothing that is not arithmetic."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lamp.agent.tools import ToolContext, ToolError, run_tool
from lamp.agent.tools.builtins import CalculatorTool, calculate
from lamp.agent.tools.builtins.calculator import MAX_DIGITS


@pytest.mark.parametrize(("expression", "expected"), [
    ("123456789 * 987654321", "121932631112635269"),
    ("2**200", str(2**200)),
    ("2 ** 64 - 1", "18446744073709551615"),
    ("0.1 + 0.2", "0.3"),
    ("10 / 4", "2.5"),
    ("6 / 3", "2"),
    ("1/3", "0.33333333333333333333 (exactly 1/3)"),
    ("2**90/3", "412646679761793424966374741.33333333333333333333 "
                "(exactly 1237940039285380274899124224/3)"),
    ("10**40/3", "3.3333333333333333333E+39 (rounded)"),
    ("1.05 ** 300", "2273996.1286023937046041179 (rounded)"),
    ("-7 // 2", "-4"),
    ("-7 % 3", "2"),
    ("2 ** -3", "0.125"),
    ("-(3 - 5) * +2", "4"),
    ("sqrt(16)", "4"),
    ("(8/27) ** (2/3)", "0.44444444444444444444 (exactly 4/9)"),
    ("sqrt(2)", "1.4142135623730950488 (rounded)"),
    ("factorial(25)", "15511210043330985984000000"),
    ("round(2.5) + round(-2.675, 2)", "0.32"),
    ("max(3, 7, 5) - min(4, 2) + abs(-1) + gcd(12, 18)", "12"),
    ("floor(2.7) + ceil(2.1)", "5"),
    ("1_000_000 * 3", "3000000"),
    ("(-1) ** (10 ** 100)", "1"),
])
def test_exact_results(expression: str, expected: str) -> None:
    assert calculate(expression) == expected


def test_results_beyond_the_int_string_limit_are_shown_in_full() -> None:
    """Python refuses str() of ints over 4,300 digits; the calculator still shows them."""
    shown = calculate("7 ** 5000")
    assert len(shown) == 4226  # floor(5000 * log10(7)) + 1
    assert shown[:20] == str(7**5000 // 10 ** (4226 - 20))
    assert shown[-20:] == str(7**5000 % 10**20).rjust(20, "0")
    assert calculate("10 ** 9999") == "1" + "0" * 9999


@pytest.mark.parametrize(("expression", "fragment"), [
    ("9**9**9", "digits (limit 10,000)"),
    ("factorial(5000)", "more than 10,000 digits"),
    ("10 ** 10001", "digits (limit 10,000)"),
    ("(10 ** 6000) * (10 ** 6000)", "digits (limit 10,000)"),
    ("2 ** (10 ** 30)", "far too large"),
    ("1e999999999", "too large"),
])
def test_huge_results_are_refused_quickly(expression: str, fragment: str) -> None:
    start = time.monotonic()
    with pytest.raises(ToolError) as info:
        calculate(expression)
    assert fragment in str(info.value)
    assert time.monotonic() - start < 1.0


@pytest.mark.parametrize(("expression", "fragment"), [
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('true')", "attribute access (.system) is not allowed"),
    ("(1).real", "attribute access (.real) is not allowed"),
    ("().__class__", "attribute access (.__class__)"),
    ("open('x')", "unknown function 'open'"),
    ("x + 1", "unknown name 'x'"),
    ("[1, 2][0]", "Subscript is not allowed"),
    ("lambda: 1", "Lambda is not allowed"),
    ("'a' * 3", "only numbers"),
    ("2 ^ 10", "write 2 ** 10"),
    ("1,000", "one expression only"),
    ("1 < 2", "comparisons"),
    ("sqrt(x=4)", "plain numbers only"),
    ("1 / 0", "division by zero"),
    ("sqrt(-1)", "no real root"),
    ("factorial(2.5)", "whole number"),
    ("2 +", "not an arithmetic expression"),
    ("1" * 2000, "too long"),
])
def test_anything_but_arithmetic_is_refused(expression: str, fragment: str) -> None:
    with pytest.raises(ToolError) as info:
        calculate(expression)
    assert fragment in str(info.value)


def test_through_the_runner_a_refusal_is_an_observation(tmp_path: Path) -> None:
    ctx = ToolContext(cwd=tmp_path)
    assert run_tool(CalculatorTool(), {"expression": "2**10"}, ctx).output == "1024"
    outcome = run_tool(CalculatorTool(), {"expression": "__import__('os')"}, ctx)
    assert outcome.is_error and outcome.output.startswith("ToolError: unknown function")


def test_the_digit_limit_is_the_documented_one() -> None:
    assert MAX_DIGITS == 10_000
    assert calculate("factorial(3000)")  # 9,131 digits: allowed
