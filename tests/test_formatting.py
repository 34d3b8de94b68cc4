"""How numbers are read and written: hand-picked Vietnamese cases and properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.formatting import (
    AMBIGUOUS,
    EMPTY,
    NOT_A_NUMBER,
    NOT_WHOLE,
    OUT_OF_RANGE,
    NumberError,
    check_number,
    format_input,
    format_machine,
    format_number,
    format_percent,
    parse_number,
    parse_optional,
)

PERCENT = {"minimum": 0, "maximum": 100}


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("1.250", {"whole": True}, 1250),
        ("1.234.567", {"whole": True}, 1234567),
        ("1.234.567", {}, 1234567),
        ("98,5", {}, 98.5),
        ("1.250,5", {}, 1250.5),
        ("1 250", {"whole": True}, 1250),
        ("1\u00a0250", {"whole": True}, 1250),
        ("1\u202f250,5", {}, 1250.5),
        ("98,5%", PERCENT, 98.5),
        ("0,5", {}, 0.5),
        ("-3,25", {}, -3.25),
        ("+7", {"whole": True}, 7),
        ("  42  ", {"whole": True}, 42),
        ("12.345", PERCENT, 12.345),  # 12345 is no percent
        ("1.500", PERCENT, 1.5),
        ("1.2345", {}, 1.2345),
        ("1250", {"whole": True}, 1250),
        ("98.5", {}, 98.5),
        ("0.125", {}, 0.125),  # a leading 0 is never a thousands group
        ("1250.0", {"whole": True}, 1250),  # what a spreadsheet program writes
        ("1.000", {"whole": True}, 1000),
        ("1.250,0", {"whole": True}, 1250),
        ("007", {"whole": True}, 7),
    ],
)
def test_vietnamese_and_machine_forms_are_read(text: str, options: dict, expected: float) -> None:
    assert parse_number(text, **options) == expected


@pytest.mark.parametrize(
    ("text", "options", "code", "words"),
    [
        ("1,250", {"whole": True}, AMBIGUOUS, ["1,25", "1250", "tiếng Anh", "số nào"]),
        ("1,000", {"whole": True}, AMBIGUOUS, ["1000"]),
        ("1.25", {"whole": True}, AMBIGUOUS, ["1,25", "1.250", "thiếu chữ số", "số nào"]),
        ("1.5", {"whole": True}, AMBIGUOUS, ["1,5", "1.500"]),
        ("12.345", {}, AMBIGUOUS, ["12345", "12,345", "số nào"]),
        ("1.250", {}, AMBIGUOUS, ["1250", "1,25"]),
        ("-1.250", {}, AMBIGUOUS, ["-1250", "-1,25"]),
        ("abc", {}, NOT_A_NUMBER, ["“abc” không phải là một số"]),
        ("abc", {"whole": True}, NOT_A_NUMBER, ["không phải là một số nguyên"]),
        ("1..2", {}, NOT_A_NUMBER, ["“1..2”"]),
        ("1.2.3", {}, NOT_A_NUMBER, []),
        (",5", {}, NOT_A_NUMBER, ["0,5"]),
        (".5", {}, NOT_A_NUMBER, ["0,5"]),
        ("5,", {}, NOT_A_NUMBER, []),
        ("1,250.5", {}, NOT_A_NUMBER, ["1.250,5", "tiếng Anh"]),
        ("1,250,000", {"whole": True}, NOT_A_NUMBER, ["1.250.000"]),
        ("1e5", {}, NOT_A_NUMBER, []),
        ("١٢", {}, NOT_A_NUMBER, []),  # digits of another script
        ("-", {}, NOT_A_NUMBER, []),
        ("", {}, EMPTY, ["Chưa nhập số."]),
        ("  %", {}, EMPTY, []),
        ("1,5", {"whole": True}, NOT_WHOLE, ["số nguyên", "1,5"]),
        ("1.2345", {"whole": True}, NOT_WHOLE, []),
        ("0,250", {"whole": True}, NOT_WHOLE, []),
        ("150", PERCENT, OUT_OF_RANGE, ["0 đến 100"]),
        ("123.456", PERCENT, OUT_OF_RANGE, []),
        ("-1", {"minimum": 0}, OUT_OF_RANGE, ["từ 0 trở lên"]),
    ],
)
def test_what_is_not_one_number_is_refused_with_a_reason(
    text: str, options: dict, code: str, words: list[str]
) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(text, **options)
    assert caught.value.code == code
    for word in words:
        assert word in caught.value.message
    assert caught.value.message == str(caught.value)


def test_an_ambiguous_reading_keeps_both_values_and_an_out_of_range_one_its_value() -> None:
    with pytest.raises(NumberError) as ambiguous:
        parse_number("12.345")
    assert set(ambiguous.value.readings) == {12345, 12.345}
    with pytest.raises(NumberError) as outside:
        parse_number("150", **PERCENT)
    assert outside.value.readings == (150,)


def test_blank_is_not_given_only_where_asked() -> None:
    assert parse_optional("  ") is None and parse_optional(None) is None
    assert parse_optional("1.250", whole=True) == 1250


def test_a_number_given_as_one_meets_the_same_rules() -> None:
    assert check_number(1250.0, whole=True) == 1250
    with pytest.raises(NumberError) as caught:
        check_number(1.5, whole=True)
    assert (caught.value.code, caught.value.message) == (
        NOT_WHOLE,
        "Phải là số nguyên (nhận được “1,5”).",
    )
    assert caught.value.message == _message("1,5", whole=True)  # as typed the Vietnamese way
    with pytest.raises(NumberError):
        check_number(math.nan)


def _message(text: str, **options: object) -> str:
    with pytest.raises(NumberError) as caught:
        parse_number(text, **options)  # type: ignore[arg-type]
    return caught.value.message


@pytest.mark.parametrize(
    ("value", "digits", "shown"),
    [
        (1250, None, "1.250"),
        (98.5, None, "98,5"),
        (97.777778, None, "97,78"),
        (1234567.891, None, "1.234.567,89"),
        (98, 2, "98,00"),
        (0.98979, 3, "0,990"),
        (-0.001, None, "0"),
        (-0.001, 2, "0,00"),
        (-1250.5, None, "-1.250,5"),
        (None, None, "—"),
    ],
)
def test_numbers_are_written_the_vietnamese_way(
    value: float | None, digits: int | None, shown: str
) -> None:
    assert format_number(value, digits) == shown


def test_percent_input_and_machine_forms() -> None:
    assert format_percent(98.5) == "98,5%" and format_percent(None) == "—"
    assert format_input(97.777778) == "97,78"  # never 97,777778
    assert format_input(1250.0) == "1250" and format_input(200) == "200"
    assert format_input(1.25) == "1,25"  # a fraction in a count shows, to be corrected
    assert format_input(None) == "" and format_input(-0.001) == "0"
    assert format_machine(12.345) == "12.3450"  # never a dot before exactly three digits
    assert format_machine(1250.0) == "1250" and format_machine(97.5) == "97.5"
    assert format_machine(1e-7) == "0.0000001"


# --- properties ----------------------------------------------------------------------------------

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(finite, st.one_of(st.none(), st.integers(min_value=0, max_value=4)))
def test_every_displayed_number_reads_back_to_itself(value: float, digits: int | None) -> None:
    shown = format_number(value, digits)
    expected = float(f"{value:.{2 if digits is None else digits}f}")
    # A display without a decimal comma is a whole number: read where whole numbers are typed.
    assert parse_number(shown, whole="," not in shown) == expected


@given(st.floats(min_value=0, max_value=100))
def test_every_displayed_percent_reads_back_in_a_percent_field(value: float) -> None:
    assert parse_number(format_percent(value), minimum=0, maximum=100) == float(f"{value:.2f}")


@given(finite)
def test_every_input_value_reads_back_in_any_field(value: float) -> None:
    shown = format_input(value)
    expected = float(f"{value:.2f}")
    assert parse_number(shown) == expected
    if expected.is_integer():
        assert parse_number(shown, whole=True) == expected


@given(finite)
def test_every_machine_number_reads_back_exactly_as_written(value: float) -> None:
    shown = format_machine(value)
    assert parse_number(shown) == float(shown)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_whole_numbers_read_in_every_spelling(value: int) -> None:
    grouped = format_number(value)
    assert parse_number(str(value), whole=True) == value
    assert parse_number(grouped, whole=True) == value
    assert parse_number(grouped.replace(".", " "), whole=True) == value
    assert parse_number(str(value)) == value


@given(
    st.integers(min_value=1, max_value=999),
    st.integers(min_value=0, max_value=999),
    st.sampled_from(["", "-"]),
)
def test_a_dot_before_three_digits_is_ambiguous_in_a_decimal_field(
    head: int, tail: int, sign: str
) -> None:
    text = f"{sign}{head}.{tail:03d}"
    with pytest.raises(NumberError) as caught:
        parse_number(text)
    assert caught.value.code == AMBIGUOUS
    assert parse_number(text, whole=True) == int(f"{sign}{head}{tail:03d}")


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999))
def test_a_comma_before_three_digits_is_ambiguous_in_a_count(head: int, tail: int) -> None:
    text = f"{head},{tail:03d}"
    with pytest.raises(NumberError) as caught:
        parse_number(text, whole=True)
    assert caught.value.code == AMBIGUOUS
    assert parse_number(text) == float(f"{head}.{tail:03d}")  # a decimal comma elsewhere


@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=99))
def test_a_short_group_after_a_dot_is_ambiguous_in_a_count(head: int, tail: int) -> None:
    text = f"{head}.{tail}"
    if float(text).is_integer():
        return
    with pytest.raises(NumberError) as caught:
        parse_number(text, whole=True)
    assert caught.value.code == AMBIGUOUS


@given(st.decimals(min_value=-1e9, max_value=1e9, places=4, allow_nan=False))
def test_machine_decimals_without_a_three_digit_fraction_parse(value: object) -> None:
    text = str(value)
    fraction = text.partition(".")[2]
    if "E" in text or len(fraction) == 3:
        return
    assert parse_number(text) == float(text)
