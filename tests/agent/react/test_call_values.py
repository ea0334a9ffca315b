"""Which numbers of a tool call the request actually gives (agent/react/call_values.py)."""

from __future__ import annotations

import pytest

from lamp.agent.react.call_values import numbers_in, unsupported_numbers

LOAN = {"type": "object", "properties": {
    "principal": {"type": "number"}, "rate": {"type": "number"},
    "years": {"type": "integer"}, "rounding": {"type": "integer"},
    "currency": {"type": "string"}},
    "required": ["principal", "rate", "years"]}


@pytest.mark.parametrize(("text", "value"), [
    ("a loan of 200,000 dollars", 200000),
    ("cash flows [200,300,400,500]", 300),
    ("revenue of $1.2M", 1200000),
    ("a population of 213 million", 213000000),
    ("charges of 1e-9 and 2e-9 coulomb", 2e-9),
    ("an annual rate of 3%", 0.03),
    ("a rate of 0.05", 5),
    ("a temperature of -4 degrees", -4),
    ("a temperature of -4 degrees", 4),
    ("twelve eggs", 12),
    ("over the past decade", 10),
    ("half a cup", 0.5),
    ("the third chord", 3),
    ("3만 원짜리 책", 30000),
    ("1.5억 원 대출", 150000000),
    ("5천만 원", 50000000),
    ("사과 두 개와 배 세 개", 3),
    ("학생 열 명", 10),
])
def test_numbers_are_read_in_the_forms_people_write_them(text: str, value: float) -> None:
    assert any(abs(found - value) <= 1e-12 + 1e-9 * abs(value) for found in numbers_in(text))


@pytest.mark.parametrize(("text", "value"), [
    ("air quality in New York for the next week", 7),
    ("house prices for the next month", 1),
    ("a track of 3 minutes", 180),
    ("repaid over 30 years", 360),
    ("다음 주 서울 날씨", 7),
    ("두 달 동안", 60),
    ("30년 만기 대출", 360),
])
def test_a_span_of_time_gives_its_length_in_smaller_units(text: str, value: float) -> None:
    assert float(value) in numbers_in(text)


@pytest.mark.parametrize(("text", "value"), [
    ("interest compounded quarterly for 5 years", 4),
    ("a deposit compounded monthly", 12),
    ("paid bi-weekly", 26),
    ("semi-annual coupon payments", 2),
    ("분기마다 이자가 붙는 예금", 4),
    ("매월 30만 원씩 저축", 12),
    ("the angle of the clock hands at 6:30 PM", 18),
    ("meet at 3pm", 15),
    ("오후 3시에 만나요", 15),
])
def test_a_recurrence_or_an_afternoon_hour_gives_its_count(text: str, value: float) -> None:
    assert float(value) in numbers_in(text)


def test_morning_hours_and_plain_words_add_nothing() -> None:
    assert 21.0 not in numbers_in("the train leaves at 9:15 AM")
    assert 24.0 not in numbers_in("12:00 pm")  # noon stays 12
    assert 4.0 not in numbers_in("a quarter of the cake")  # a fraction, not a recurrence
    assert not {12.0, 52.0, 365.0} & numbers_in("What is the weather like?")


def test_a_compounding_call_passes_where_the_frequency_is_written() -> None:
    schema = {"type": "object", "required": ["principal", "rate", "years", "n"],
              "properties": {k: {"type": "number"} for k in ("principal", "rate", "years", "n")}}
    call = {"principal": 5000, "rate": 0.03, "years": 5, "n": 4}
    given = "$5000 at 3% for 5 years"
    assert unsupported_numbers(call, schema, [given + ", compounded quarterly"]) == []
    assert unsupported_numbers(call, schema, [given]) == ["n=4"]


def test_a_time_word_alone_gives_no_length() -> None:
    # "monthly payment" says nothing about 30 days, "주" alone is also "state" or "stock".
    assert 30.0 not in numbers_in("What is my monthly payment?")
    assert 7.0 not in numbers_in("주식 시장은 어때?")


def test_korean_counts_need_a_counter_word() -> None:
    # "세" and "네" are also ordinary words ("tax", "yes"): alone they are no number.
    assert 3.0 not in numbers_in("세금을 내야 하나요?")
    assert 4.0 not in numbers_in("네, 알겠습니다")


def test_a_call_with_the_requests_numbers_passes() -> None:
    args = {"principal": 200000, "rate": 0.05, "years": 30}
    assert unsupported_numbers(
        args, LOAN, ["Monthly payment on 200,000 at 5% a year over thirty years?"]) == []
    assert unsupported_numbers(
        args, LOAN, ["20만 달러를 연 5%로 30년 동안 빌리면 월 상환액은?"]) == []


def test_numbers_nobody_gave_are_named() -> None:
    args = {"principal": 200000, "rate": 0.05, "years": 30}
    assert unsupported_numbers(args, LOAN, ["What is the monthly payment on my loan?"]) == [
        "principal=200000", "rate=0.05", "years=30"]
    assert unsupported_numbers(args, LOAN, ["A loan of 200000 over 30 years?"]) == ["rate=0.05"]


def test_a_sign_may_be_in_the_words() -> None:
    schema = {"type": "object", "required": ["coefficients"], "properties": {
        "coefficients": {"type": "array", "items": {"type": "number"}}}}
    args = {"coefficients": [3, 2, -4]}
    assert unsupported_numbers(args, schema, ["Area under y = 3x^2 + 2x - 4"]) == []
    assert unsupported_numbers(args, schema, ["Area under y = 3x^2 + 2x - 5"]) == [
        "coefficients[2]=-4"]


def test_an_earlier_tool_result_counts_as_a_source() -> None:
    args = {"principal": 182500.5, "rate": 4, "years": 15}
    sources = ["Refinance what I still owe at 4% over 15 years.", "balance: 182,500.50"]
    assert unsupported_numbers(args, LOAN, sources) == []
    assert unsupported_numbers(args, LOAN, sources[:1]) == ["principal=182500.5"]


def test_optional_arguments_strings_and_booleans_are_not_checked() -> None:
    args = {"principal": 1000, "rate": 2, "years": 1, "rounding": 7, "currency": "EUR"}
    assert unsupported_numbers(args, LOAN, ["1000 at 2% for 1 year"]) == []
    flags = {"type": "object", "properties": {"exact": {"type": "boolean"}},
             "required": ["exact"]}
    assert unsupported_numbers({"exact": True}, flags, ["q?"]) == []


def test_enum_values_and_declared_defaults_are_the_tools_own() -> None:
    schema = {"type": "object", "required": ["base", "digits"], "properties": {
        "base": {"type": "integer", "enum": [2, 8, 10, 16]},
        "digits": {"type": "integer", "default": 6}}}
    assert unsupported_numbers({"base": 16, "digits": 6}, schema, ["255 in hex"]) == []
    assert unsupported_numbers({"base": 16, "digits": 9}, schema, ["255 in hex"]) == [
        "digits=9"]


def test_numbers_inside_lists_and_objects_are_checked() -> None:
    schema = {"type": "object", "required": ["origin", "stops"], "properties": {
        "origin": {"type": "object", "properties": {"lat": {"type": "number"},
                                                    "lon": {"type": "number"}}},
        "stops": {"type": "array", "items": {"type": "integer"}}}}
    args = {"origin": {"lat": 42.36, "lon": -71.06}, "stops": [3, 9]}
    assert unsupported_numbers(args, schema, ["From Boston, stopping at exits 3 and 9"]) == [
        "origin.lat=42.36", "origin.lon=-71.06"]
    assert unsupported_numbers(args, schema, ["From 42.36, -71.06 via exits 3 and 9"]) == []


def test_a_schema_without_properties_is_left_alone() -> None:
    assert unsupported_numbers({"x": 5}, {"type": "object"}, ["q?"]) == []


def test_an_integer_too_large_for_a_float_is_not_given() -> None:
    schema = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
    assert unsupported_numbers({"n": 10**400}, schema, ["a big number"]) == [f"n={10**400}"]


CALC = {"type": "object", "properties": {"expression": {"type": "string"}},
        "required": ["expression"]}


def _calc(question: str, expression: str, *results: str) -> list[str]:
    return unsupported_numbers({"expression": expression}, CALC, [question, *results],
                               ("expression",))


@pytest.mark.parametrize("question", ["What is photosynthesis?", "광합성이 뭐예요?"])
def test_a_worked_examples_expression_for_a_question_without_numbers_is_held(
        question: str) -> None:
    assert _calc(question, "2450 * 18 / 100") == ["expression=2450", "expression=18"]


@pytest.mark.parametrize(("question", "expression"), [
    ("What is 18% of 2,450?", "2450 * 18 / 100"),
    ("2,340,000원의 15%는 정확히 얼마인가요?", "2340000 * 15 / 100"),
    ("Divide 98765 by 37 and give the result to four decimal places.", "round(98765 / 37, 4)"),
    ("How many seconds are there in 3 hours?", "3 * 60 * 60"),
    ("How many weeks are there in 3 years?", "3 * 52"),
    ("What is the square root of 1522756?", "sqrt(1522756)"),
    ("What is 2 to the power of 89?", "2 ** 89"),
    ("What is minus 5 squared?", "(-5) ** 2"),
    ("48213 곱하기 377은 얼마인가요?", "48213 * 377"),
])
def test_an_expression_of_the_requests_numbers_runs(question: str, expression: str) -> None:
    assert _calc(question, expression) == []


def test_an_expression_may_use_an_earlier_result_and_repeats_are_named_once() -> None:
    assert _calc("Then double the total of 17 and 25.", "42 * 2", "42") == []
    assert _calc("What is 3 squared?", "9 * 9 + 9") == ["expression=9"]


def test_knowledge_constants_in_an_expression_count_as_not_given() -> None:
    # The price of the check: a formula the question does not state is answered without
    # the calculator (docs/tools.md).
    assert _calc("Convert 100 F to Celsius.", "(100 - 32) * 5 / 9") == [
        "expression=32", "expression=5", "expression=9"]


def test_only_the_named_string_arguments_are_read_as_expressions() -> None:
    code = {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}
    assert unsupported_numbers({"code": "print(2450 * 18)"}, code, ["q"]) == []
    assert _calc("What is photosynthesis?", "2450 *") == []  # the tool reports bad syntax
