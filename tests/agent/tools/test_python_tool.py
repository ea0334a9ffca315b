"""The python tool's own judgement of a call, before anything runs."""

from __future__ import annotations

import pytest

from lamp.agent.tools.builtins.python import PythonTool


@pytest.mark.parametrize(("code", "futile"), [
    ("print('Send me the report now.')", True),
    ("print('안녕하세요')\nprint(42)", True),
    ("print(f'Good morning', end='')", True),
    ("'just a string'", True),
    ("print('Thank you.')}", True),  # a JSON spill does not hide it
    ("print(2 ** 40 - 1)", False),
    ("x = 'abc'\nprint(x[::-1])", False),
    ("print(len('strawberry raspberry'))", False),
    ("print(f'{3 * 7}')", False),
    ("import datetime\nprint(datetime.date(1989, 11, 9).strftime('%A'))", False),
    ("print('unclosed", False),
    ("", False),
])
def test_a_program_that_only_prints_literals_is_futile(code: str, futile: bool) -> None:
    assert (PythonTool().futile({"code": code}) is not None) is futile
