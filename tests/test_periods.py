"""Periods and the Plan 84 reporting calendar: pure, no database, no clock (always pass today)."""

import unicodedata
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.periods import (
    Cadence,
    Granularity,
    Period,
    PeriodError,
    ReportingCalendar,
    cadence_granularity,
    format_date_vi,
    parse_period,
    periods_overlapping,
)

# No example database: the suite must not leave a .hypothesis/ folder in the repo.
quick = settings(database=None, deadline=None, max_examples=200)

P = Period.parse
M, Q, Y = Granularity.MONTH, Granularity.QUARTER, Granularity.YEAR
VI_LETTERS = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def periods_in(lo: int, hi: int) -> st.SearchStrategy[Period]:
    return st.one_of(
        st.builds(Period, st.integers(lo, hi), st.just(M), st.integers(1, 12)),
        st.builds(Period, st.integers(lo, hi), st.just(Q), st.integers(1, 4)),
        st.builds(Period, st.integers(lo, hi), st.just(Y), st.just(1)),
    )


any_period = periods_in(2000, 2100)
inner_period = periods_in(2001, 2099)  # room for next()/previous()


def assert_vietnamese(message: str) -> None:
    assert set(message.lower()) & VI_LETTERS, message
    assert unicodedata.is_normalized("NFC", message), message
    assert message.endswith("."), message


@pytest.fixture
def cal() -> ReportingCalendar:
    return ReportingCalendar.from_rules(
        [{"from_year": 2025, "cadence": "monthly"}, {"from_year": 2026, "cadence": "quarterly"}],
        start="2025-10",
    )


# --- parsing and formatting -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("2025-10", Period(2025, M, 10), "2025-10"),
        ("2025-01", Period(2025, M, 1), "2025-01"),
        ("2026-Q1", Period(2026, Q, 1), "2026-Q1"),
        ("2026-q4", Period(2026, Q, 4), "2026-Q4"),
        ("2026", Period(2026, Y, 1), "2026"),
        ("  2025-10 ", Period(2025, M, 10), "2025-10"),
        ("\t2026-q2\n", Period(2026, Q, 2), "2026-Q2"),
        ("2000", Period(2000, Y, 1), "2000"),
        ("2100-12", Period(2100, M, 12), "2100-12"),
    ],
)
def test_parse_accepts_and_canonicalises(text: str, expected: Period, canonical: str) -> None:
    assert Period.parse(text) == expected
    assert parse_period(text) == expected
    assert str(expected) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "Chưa nhập kỳ báo cáo"),
        ("   ", "Chưa nhập kỳ báo cáo"),
        ("2025-13", "tháng phải từ 01 đến 12"),
        ("2025-00", "tháng phải từ 01 đến 12"),
        ("2025-Q5", "quý phải từ Q1 đến Q4"),
        ("2025-q0", "quý phải từ Q1 đến Q4"),
        ("2025-1", "hai chữ số, ví dụ 2025-01"),
        ("25-10", "dùng dạng 2025-10"),
        ("2025/10", "dùng dạng 2025-10"),
        ("2025-10-01", "dùng dạng 2025-10"),
        ("2025 - 10", "dùng dạng 2025-10"),
        ("2025-Q", "dùng dạng 2025-10"),
        ("Q1-2026", "dùng dạng 2025-10"),
        ("abc", "dùng dạng 2025-10"),
        ("２０２５-10", "dùng dạng 2025-10"),  # full-width digits are not accepted
        ("1999-12", "năm phải từ 2000 đến 2100"),
        ("2101", "năm phải từ 2000 đến 2100"),
        ("2101-Q1", "năm phải từ 2000 đến 2100"),
    ],
)
def test_parse_rejects_with_vietnamese_message(text: str, reason: str) -> None:
    with pytest.raises(PeriodError) as caught:
        Period.parse(text)
    err = caught.value
    assert isinstance(err, ValueError)
    assert str(err) == err.message
    assert reason in err.message
    assert text.strip() in err.message
    assert_vietnamese(err.message)


def test_parse_error_message_exact_wording() -> None:
    with pytest.raises(PeriodError) as caught:
        P("2025-13")
    assert caught.value.message == 'Kỳ báo cáo "2025-13" không hợp lệ: tháng phải từ 01 đến 12.'


def test_parse_rejects_non_string() -> None:
    with pytest.raises(PeriodError):
        Period.parse(202510)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("year", "granularity", "index"),
    [(2025, M, 0), (2025, M, 13), (2025, Q, 5), (2025, Y, 2), (1999, M, 1), (2101, Y, 1)],
)
def test_constructor_refuses_impossible_periods(year: int, granularity: str, index: int) -> None:
    with pytest.raises(PeriodError) as caught:
        Period(year, granularity, index)
    assert_vietnamese(caught.value.message)


def test_constructor_coerces_granularity_string() -> None:
    assert Period(2026, "quarter", 1) == P("2026-Q1")  # type: ignore[arg-type]
    assert Period(2026, "quarter", 1).granularity is Q  # type: ignore[arg-type]
    with pytest.raises(PeriodError):
        Period(2026, "week", 1)  # type: ignore[arg-type]


@quick
@given(any_period)
def test_round_trip(p: Period) -> None:
    assert str(P(str(p))) == str(p)
    assert P(str(p)) == p
    assert P(f"  {str(p).lower()} ") == p


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025-10", date(2025, 10, 1), date(2025, 10, 31)),
        ("2025-11", date(2025, 11, 1), date(2025, 11, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("2100-02", date(2100, 2, 1), date(2100, 2, 28)),
        ("2000-02", date(2000, 2, 1), date(2000, 2, 29)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2025-Q4", date(2025, 10, 1), date(2025, 12, 31)),
        ("2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_start_and_end_dates(text: str, start: date, end: date) -> None:
    assert P(text).start_date == start
    assert P(text).end_date == end


@quick
@given(any_period)
def test_dates_are_consistent(p: Period) -> None:
    assert p.start_date.day == 1
    assert p.start_date <= p.end_date
    assert (p.end_date + timedelta(days=1)).day == 1
    assert p.start_date.year == p.end_date.year == p.year


# --- next / previous ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("2025-10", "2025-11"),
        ("2025-12", "2026-01"),
        ("2025-Q4", "2026-Q1"),
        ("2026-Q1", "2026-Q2"),
        ("2025", "2026"),
    ],
)
def test_next_and_previous_cross_year_boundaries(text: str, after: str) -> None:
    assert P(text).next() == P(after)
    assert P(after).previous() == P(text)


def test_next_beyond_supported_years_is_an_error() -> None:
    with pytest.raises(PeriodError):
        P("2100-12").next()
    with pytest.raises(PeriodError):
        P("2000-Q1").previous()


@quick
@given(inner_period)
def test_next_previous_are_inverse(p: Period) -> None:
    assert p.next().previous() == p
    assert p.previous().next() == p
    assert p.next().granularity is p.granularity
    assert p.next().start_date == p.end_date + timedelta(days=1)
    assert p < p.next()


# --- ordering -----------------------------------------------------------------------------------


def test_sorting_mixed_granularities() -> None:
    mixed = [P(t) for t in ("2026", "2026-02", "2026-Q1", "2025-12", "2026-01", "2025-Q4", "2025")]
    assert [str(p) for p in sorted(mixed)] == [
        "2025",
        "2025-Q4",
        "2025-12",
        "2026-01",
        "2026-Q1",
        "2026",
        "2026-02",
    ]


def test_month_before_its_quarter_before_its_year() -> None:
    assert P("2026-01") < P("2026-Q1") < P("2026")
    assert P("2026") > P("2026-Q1") >= P("2026-01")
    assert P("2026-01") <= P("2026-01")
    assert sorted([P("2026"), P("2026-Q1"), P("2026-01")]) == [
        P(t) for t in ("2026-01", "2026-Q1", "2026")
    ]


def test_comparison_with_other_types_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = P("2026") < "2027"  # type: ignore[operator]
    assert P("2026") != "2026"


def test_equality_and_hash() -> None:
    assert P("2026-q1") == Period(2026, Q, 1)
    assert len({P("2026-Q1"), P("2026-q1"), P("2026-01")}) == 2


@quick
@given(any_period, any_period)
def test_order_agrees_with_sort_key_and_dates(a: Period, b: Period) -> None:
    assert (a < b) == (a.sort_key < b.sort_key)
    assert (a == b) == (a.sort_key == b.sort_key)
    assert [a < b, a == b, a > b].count(True) == 1
    if a.start_date < b.start_date:
        assert a < b
    if a.start_date == b.start_date and a.end_date < b.end_date:
        assert a < b


# --- contains / months / parent / labels -------------------------------------------------------


def test_contains() -> None:
    assert P("2026").contains(P("2026-Q3"))
    assert P("2026").contains(P("2026-11"))
    assert P("2026-Q1").contains(P("2026-03"))
    assert not P("2026-Q1").contains(P("2026-04"))
    assert not P("2026-03").contains(P("2026-Q1"))
    assert not P("2026").contains(P("2025-12"))
    assert not P("2026-Q1").contains(P("2026"))
    for text in ("2026", "2026-Q1", "2026-01"):
        assert P(text).contains(P(text))


def test_months() -> None:
    assert P("2026-Q1").months() == [P("2026-01"), P("2026-02"), P("2026-03")]
    assert P("2025-Q4").months() == [P("2025-10"), P("2025-11"), P("2025-12")]
    assert P("2026").months() == [Period(2026, M, m) for m in range(1, 13)]
    assert P("2025-10").months() == [P("2025-10")]


def test_parent() -> None:
    assert P("2026-05").parent(Q) == P("2026-Q2")
    assert P("2026-05").parent(Y) == P("2026")
    assert P("2026-Q4").parent(Y) == P("2026")
    assert P("2026-05").parent(M) == P("2026-05")
    assert P("2026-12").parent(Granularity("quarter")) == P("2026-Q4")
    with pytest.raises(PeriodError) as caught:
        P("2026-Q1").parent(M)
    assert_vietnamese(caught.value.message)


@quick
@given(any_period)
def test_months_and_parents_are_consistent(p: Period) -> None:
    months = p.months()
    assert months[0].start_date == p.start_date
    assert months[-1].end_date == p.end_date
    assert all(p.contains(m) and m.parent(p.granularity) == p for m in months)
    assert p.parent(Y) == Period(p.year, Y, 1)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("2025-10", "Tháng 10/2025"),
        ("2026-03", "Tháng 03/2026"),
        ("2026-Q1", "Quý I/2026"),
        ("2026-Q2", "Quý II/2026"),
        ("2026-Q3", "Quý III/2026"),
        ("2025-Q4", "Quý IV/2025"),
        ("2026", "Năm 2026"),
    ],
)
def test_label_vi(text: str, label: str) -> None:
    assert P(text).label_vi == label


def test_format_date_vi() -> None:
    assert format_date_vi(date(2025, 10, 8)) == "08/10/2025"
    assert format_date_vi(date(2026, 12, 31)) == "31/12/2026"


def test_cadence_granularity() -> None:
    assert cadence_granularity(Cadence.MONTHLY) is M
    assert cadence_granularity(Cadence.QUARTERLY) is Q
    assert cadence_granularity(Cadence("quarterly")) is Q


# --- reporting calendar -------------------------------------------------------------------------


def test_calendar_from_rules_normalises(cal: ReportingCalendar) -> None:
    assert cal.rules == ((2025, Cadence.MONTHLY), (2026, Cadence.QUARTERLY))
    assert cal.start == P("2025-10")
    from_tuples = ReportingCalendar.from_rules([(2026, "quarterly"), (2025, "monthly")], "2025-10")
    assert from_tuples == cal
    direct = ReportingCalendar(((2025, Cadence.MONTHLY), (2026, Cadence.QUARTERLY)), P("2025-10"))
    assert direct == cal


@pytest.mark.parametrize(
    ("rules", "start"),
    [
        ([], "2025-10"),
        ([(2025, "weekly")], "2025-10"),
        ([(2025, "monthly"), (2025, "quarterly")], "2025-10"),
        ([{"from_year": 2025}], "2025-10"),
        ([{"from_year": "năm", "cadence": "monthly"}], "2025-10"),
        ([(2025, "monthly")], "2025-Q4"),  # start must be a reporting period
        ([(2025, "monthly")], "2024-12"),  # start before the first rule
        ([(2025, "monthly")], "2025-13"),
    ],
)
def test_calendar_rejects_bad_configuration(rules: list, start: str) -> None:
    with pytest.raises(PeriodError) as caught:
        ReportingCalendar.from_rules(rules, start)
    assert_vietnamese(caught.value.message)


def test_calendar_refuses_unsorted_rules_when_built_directly() -> None:
    with pytest.raises(PeriodError):
        ReportingCalendar(((2026, Cadence.QUARTERLY), (2025, Cadence.MONTHLY)), P("2025-10"))


def test_cadence_for_year(cal: ReportingCalendar) -> None:
    assert cal.cadence_for_year(2025) is Cadence.MONTHLY
    assert cal.cadence_for_year(2026) is Cadence.QUARTERLY
    assert cal.cadence_for_year(2030) is Cadence.QUARTERLY
    with pytest.raises(PeriodError) as caught:
        cal.cadence_for_year(2024)
    assert "2024" in caught.value.message
    assert_vietnamese(caught.value.message)


def test_cadence_can_change_back() -> None:
    cal = ReportingCalendar.from_rules(
        [(2025, "monthly"), (2026, "quarterly"), (2028, "monthly")], "2025-10"
    )
    assert cal.cadence_for_year(2027) is Cadence.QUARTERLY
    assert cal.cadence_for_year(2028) is Cadence.MONTHLY
    assert cal.periods(until=date(2028, 2, 1), since=P("2027-Q4")) == [
        P("2027-Q4"),
        P("2028-01"),
        P("2028-02"),
    ]


def test_validate_accepts(cal: ReportingCalendar) -> None:
    assert cal.validate("2025-10", today=date(2025, 10, 8)) == P("2025-10")  # in progress
    assert cal.validate(" 2026-q1 ", today=date(2026, 6, 1)) == P("2026-Q1")
    assert cal.validate(P("2025-12"), today=date(2025, 12, 1)) == P("2025-12")
    assert cal.validate("2026-Q2", today=date(2026, 4, 1)) == P("2026-Q2")


@pytest.mark.parametrize(
    ("period", "today", "fragments"),
    [
        ("2025-09", date(2025, 10, 8), ["2025-09", "2025-10", "01/10/2025"]),
        ("2024", date(2025, 10, 8), ["2024", "2025-10"]),
        ("2025-Q3", date(2025, 10, 8), ["2025-Q3", "2025-10"]),
        ("2025-Q4", date(2025, 12, 8), ["theo tháng", "2025-10, 2025-11, 2025-12"]),
        ("2026-03", date(2026, 5, 1), ["theo quý", '"2026-03"', "2026-Q1", "thuộc kỳ 2026-Q1"]),
        ("2026", date(2027, 1, 1), ["theo quý", '"2026"', "cả năm"]),
        ("2025", date(2026, 1, 1), ["theo tháng", '"2025"']),
        ("2026-Q2", date(2026, 3, 31), ["2026-Q2", "chưa bắt đầu", "01/04/2026"]),
        ("2025-13", date(2026, 3, 31), ["2025-13", "tháng phải từ 01 đến 12"]),
    ],
)
def test_validate_refuses(
    cal: ReportingCalendar, period: str, today: date, fragments: list[str]
) -> None:
    with pytest.raises(PeriodError) as caught:
        cal.validate(period, today=today)
    for fragment in fragments:
        assert fragment in caught.value.message
    assert_vietnamese(caught.value.message)


def test_validate_exact_messages(cal: ReportingCalendar) -> None:
    with pytest.raises(PeriodError) as caught:
        cal.validate("2026-03", today=date(2026, 5, 1))
    assert caught.value.message == (
        'Năm 2026 báo cáo theo quý: dùng dạng 2026-Q1 … 2026-Q4, không dùng "2026-03" '
        "(tháng 03/2026 thuộc kỳ 2026-Q1)."
    )
    with pytest.raises(PeriodError) as caught:
        cal.validate("2026-Q3", today=date(2026, 6, 30))
    assert caught.value.message == "Kỳ 2026-Q3 chưa bắt đầu (bắt đầu từ 01/07/2026)."


def test_period_for(cal: ReportingCalendar) -> None:
    assert cal.period_for(date(2025, 10, 1)) == P("2025-10")
    assert cal.period_for(date(2025, 12, 31)) == P("2025-12")
    assert cal.period_for(date(2026, 1, 1)) == P("2026-Q1")
    assert cal.period_for(date(2026, 5, 15)) == P("2026-Q2")
    with pytest.raises(PeriodError) as caught:
        cal.period_for(date(2025, 9, 30))
    assert "30/09/2025" in caught.value.message


def test_periods_cross_the_cadence_change(cal: ReportingCalendar) -> None:
    expected = ["2025-10", "2025-11", "2025-12", "2026-Q1", "2026-Q2"]
    assert cal.periods(until=date(2026, 5, 15)) == [P(t) for t in expected]
    assert cal.periods(until=date(2026, 4, 1)) == [P(t) for t in expected]
    assert cal.periods(until=date(2026, 3, 31)) == [P(t) for t in expected[:-1]]
    assert cal.periods(until=date(2025, 10, 1)) == [P("2025-10")]
    assert cal.periods(until=date(2025, 9, 30)) == []


def test_periods_since(cal: ReportingCalendar) -> None:
    until = date(2026, 8, 1)
    assert cal.periods(until=until, since=P("2025-12")) == [
        P(t) for t in ("2025-12", "2026-Q1", "2026-Q2", "2026-Q3")
    ]
    assert cal.periods(until=until, since=P("2026")) == [
        P(t) for t in ("2026-Q1", "2026-Q2", "2026-Q3")
    ]
    assert cal.periods(until=until, since=P("2026-02")) == [
        P(t) for t in ("2026-Q1", "2026-Q2", "2026-Q3")
    ]
    assert cal.periods(until=until, since=P("2020"))[0] == P("2025-10")  # clamped to start
    assert cal.periods(until=date(2026, 1, 1), since=P("2026-Q2")) == []


@quick
@given(st.dates(min_value=date(2025, 10, 1), max_value=date(2040, 12, 31)))
def test_periods_are_contiguous_and_valid(until: date) -> None:
    cal = ReportingCalendar.from_rules([(2025, "monthly"), (2026, "quarterly")], "2025-10")
    found = cal.periods(until=until)
    assert found[0] == cal.start
    assert found[-1] == cal.period_for(until)
    assert found[-1].contains(Period(until.year, M, until.month))
    for before, after in pairwise(found):
        assert after.start_date == before.end_date + timedelta(days=1)
        assert cal.previous(after) == before
    for p in found:
        assert cal.validate(p, today=until) == p


def test_previous(cal: ReportingCalendar) -> None:
    assert cal.previous(P("2026-Q1")) == P("2025-12")
    assert cal.previous(P("2026-Q2")) == P("2026-Q1")
    assert cal.previous(P("2025-11")) == P("2025-10")
    assert cal.previous(P("2025-10")) is None
    assert cal.previous(P("2025-09")) is None
    with pytest.raises(PeriodError):
        cal.previous(P("2026-03"))  # not a reporting period


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("2025-10", date(2025, 11, 5)),
        ("2025-12", date(2026, 1, 5)),
        ("2026-Q1", date(2026, 4, 10)),
        ("2026-Q4", date(2027, 1, 10)),
    ],
)
def test_default_due_date(cal: ReportingCalendar, text: str, due: date) -> None:
    assert cal.default_due_date(P(text)) == due


def test_default_due_date_refuses_non_reporting_periods(cal: ReportingCalendar) -> None:
    for text in ("2026", "2026-03", "2025-Q4"):
        with pytest.raises(PeriodError):
            cal.default_due_date(P(text))


# --- list filters -------------------------------------------------------------------------------


def test_periods_overlapping() -> None:
    q1, q2 = P("2026-Q1"), P("2026-Q2")
    assert periods_overlapping(q1, q2, P("2026-03"))
    assert periods_overlapping(q1, q2, P("2026-Q2"))
    assert periods_overlapping(P("2026-01"), P("2026-06"), q1)
    assert not periods_overlapping(q1, q2, P("2025-12"))
    assert not periods_overlapping(q1, q2, P("2026-07"))
    assert not periods_overlapping(q1, q2, P("2026"))  # sticks out on both sides
    assert periods_overlapping(None, q1, P("2025-10"))
    assert not periods_overlapping(None, q1, P("2026-04"))
    assert periods_overlapping(q2, None, P("2030"))
    assert not periods_overlapping(q2, None, P("2026-03"))
    assert periods_overlapping(None, None, P("2026"))
    assert not periods_overlapping(q2, q1, P("2026-Q1"))  # empty range keeps nothing


@quick
@given(any_period, any_period, any_period)
def test_periods_overlapping_matches_dates(a: Period, b: Period, c: Period) -> None:
    inside = a.start_date <= c.start_date and c.end_date <= b.end_date
    assert periods_overlapping(a, b, c) == inside
    assert periods_overlapping(c, c, c)
