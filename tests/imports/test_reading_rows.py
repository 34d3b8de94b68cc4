"""``reading_from_row`` is ``ReadingWrite.model_validate`` made cheaper, never different: for any
row it gives the same model (fields, fields set, typed numbers) or the same refusal, and leaves
the row's values as the importer always left them (codes lowered)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.kpis.models import ReadingWrite
from app.kpis.reading_rows import MAX_CODES, reading_from_row


def _lowered(values: dict[str, Any]) -> dict[str, Any]:
    """What the importer did to a row before: codes in any case lowered in place."""
    out = dict(values)
    for name in ("indicator", "unit", "domain", "plan"):
        value = out.get(name)
        if isinstance(value, str) and not value.islower():
            out[name] = value.strip().lower()
    return out


def _errors(exc: ValidationError) -> list[tuple[object, ...]]:
    """What a refusal says (the errors' context holds exception objects, equal only to
    themselves)."""
    return [(e["type"], e["loc"], e["msg"], repr(e["input"])) for e in exc.errors()]


def _same(values: dict[str, Any]) -> None:
    expected_values = _lowered(values)
    try:
        expected: ReadingWrite | None = ReadingWrite.model_validate(copy.deepcopy(expected_values))
        expected_error = None
    except ValidationError as exc:
        expected, expected_error = None, _errors(exc)
    row = dict(values)
    try:
        got: ReadingWrite | None = reading_from_row(row, {})
        got_error = None
    except ValidationError as exc:
        got, got_error = None, _errors(exc)
    assert row == expected_values
    assert got_error == expected_error
    if expected is not None:
        assert got is not None
        assert got == expected
        assert got.model_dump() == expected.model_dump()
        assert got.model_fields_set == expected.model_fields_set
        assert got.typed_numbers == expected.typed_numbers


CODES = [
    "tthc_ontime",
    "TTPVHCC",
    " vp ",
    "ho-tich",
    "",
    " ",
    "a" * 65,
    "a" * 64,
    "Ho Tịch",
    "2025",
    "x\x00",
    "K",
    "\u212aelvin",
    "vp\n",
    "vp\xa0",
    "\xa0vp",
    "İ",
    2025,
    None,
    1.5,
]
PERIODS = [
    "2025-10",
    " 2025-10 ",
    "2025-10\n",
    "2025-Q1",
    "x" * 16,
    " " + "x" * 16,
    "x" * 17,
    "2025\x0010",
    "2025\x0110",
    "\x1c2025-10",
    "2025-10\u3000",
    "\xa02025-10",
    202510,
    None,
]
NUMBERS = [
    0,
    1,
    -1,
    5,
    2**53,
    2**53 + 1,
    2**60,
    2**1100,
    True,
    False,
    93.45,
    -0.0,
    -2.5,
    float("nan"),
    float("inf"),
    "12",
    " 12 ",
    "0012",
    "1" * 15,
    "1" * 16,
    "1" * 400,
    "93.45",
    "93,45",
    "1.250",
    "1,250",
    "12.345",
    "-5",
    "+5",
    "abc",
    "",
    " ",
    "5%",
    "1.2.3",
    "١٢",
    None,
    [1],
]
NOTES = [
    "",
    "ghi chú",
    " a ",
    "a\x07b",
    "a\tb",
    "x" * 4000,
    "x" * 4001,
    " " + "x" * 4000,
    "\u2028x",
    None,
    5,
]
URLS = ["", " ", "https://example.org/a", "not a url", None, 5]
VERSIONS = [0, 1, -1, 2**40, "3", " 3 ", "1.000", "1,5", 1.0, 1.5, True, None, "x", [1]]


@settings(max_examples=3000, deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "indicator": st.sampled_from(CODES),
            "unit": st.sampled_from(CODES),
            "period": st.sampled_from(PERIODS),
        },
        optional={
            "domain": st.sampled_from(CODES),
            "plan": st.sampled_from(CODES),
            "value": st.sampled_from(NUMBERS),
            "numerator": st.sampled_from(NUMBERS),
            "denominator": st.sampled_from(NUMBERS),
            "note": st.sampled_from(NOTES),
            "evidence_url": st.sampled_from(URLS),
            "version": st.sampled_from(VERSIONS),
        },
    )
)
def test_same_as_model_validate(values: dict[str, Any]) -> None:
    _same(values)


@settings(max_examples=1000, deadline=None)
@given(
    indicator=st.text(max_size=8),
    unit=st.text(max_size=8),
    period=st.text(max_size=20),
    value=st.one_of(st.floats(), st.integers(), st.text(max_size=10)),
    note=st.text(max_size=10),
)
def test_same_on_any_text(indicator: str, unit: str, period: str, value: Any, note: str) -> None:
    _same({"indicator": indicator, "unit": unit, "period": period, "value": value, "note": note})


@pytest.mark.parametrize(
    "values",
    [
        {"indicator": "tthc_ontime", "unit": "vp", "period": "2025-10", "value": 98.5},
        {"indicator": "TTHC_ONTIME", "unit": " VP", "period": "2025-10", "value": "98,5"},
        {
            "indicator": "a",
            "unit": "b",
            "period": "2025-10",
            "numerator": "1.250",
            "denominator": 2000,
            "domain": "Ho-Tich",
        },
        {"indicator": "a", "unit": "b", "period": "2025-10", "value": 1, "version": "2"},
    ],
)
def test_plain_rows(values: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    _same(values)
    # and these never reach pydantic's validation
    monkeypatch.setattr(ReadingWrite, "model_validate", None)
    reading_from_row(dict(values), {})


@pytest.mark.parametrize(
    "values",
    [
        {"indicator": "a", "unit": "b"},
        {"indicator": "a", "period": "2025-10"},
        {"indicator": "a", "unit": None, "period": "2025-10"},
        {"indicator": "a", "unit": "b", "period": "2025-10", "colour": "red"},
        {"indicator": "a", "unit": "b", "period": "2025-10", "evidence_url": "https://x.vn/a"},
    ],
)
def test_rows_left_to_pydantic(values: dict[str, Any]) -> None:
    _same(values)


def test_the_code_cache_stays_bounded() -> None:
    codes: dict[str, str] = {}
    for i in range(MAX_CODES + 100):
        reading_from_row({"indicator": f"I{i}", "unit": "u", "period": "2025-10"}, codes)
    assert len(codes) == MAX_CODES
