"""JSON API for KPI readings: ``PUT/GET /api/v1/readings`` and ``DELETE /api/v1/readings/{id}``.

Every test starts from Plan 84 as seeded, on 2025-11-20 (2025-10 and 2025-11 are open periods).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.formatting import NumberError, parse_number
from app.kpis.models import Domain, Indicator, Reading
from app.units.models import Unit

URL = "/api/v1/readings"

#: Vietnamese letters with diacritics; a message carrying none of them is not Vietnamese.
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


def body(**overrides: Any) -> dict[str, Any]:
    """A valid reading of a non-disaggregated percent indicator, changed as the test needs."""
    data: dict[str, Any] = {
        "indicator": "complaint_ontime",
        "unit": "vhxh",
        "period": "2025-10",
        "value": 96.5,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def put(api: TestClient, **overrides: Any) -> Any:
    return api.put(URL, json=body(**overrides))


def detail(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return resp.json()["detail"]


def field_error(
    resp: Any, field: str, code: str | None = None, status: int = 422
) -> dict[str, str]:
    """The error entry for ``field`` in a refused request (checking its code when given)."""
    errors = detail(resp, status)["errors"]
    matching = [e for e in errors if e["field"] == field]
    assert matching, f"no error for {field!r} in {errors}"
    if code is not None:
        assert code in {e["code"] for e in matching}, matching
    return matching[0]


def count_readings(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Reading)).one()


def readings(api: TestClient, **params: Any) -> dict[str, Any]:
    resp = api.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


# --- create, update, unchanged -------------------------------------------------------------------


def test_create_answers_201_with_version_1_and_source_api(api: TestClient) -> None:
    resp = put(api, note="Số liệu tháng 10", evidence_url="https://example.gov.vn/bao-cao")
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["version"] == 1
    assert got["source"] == "api"
    assert got["value"] == 96.5
    assert got["indicator"] == "complaint_ontime"
    assert got["unit"] == "vhxh"
    assert got["period"] == "2025-10"
    assert got["domain"] is None
    assert got["numerator"] is None and got["denominator"] is None
    assert got["note"] == "Số liệu tháng 10"
    assert got["evidence_url"].startswith("https://example.gov.vn/bao-cao")
    assert isinstance(got["id"], int)
    listed = readings(api, indicator="complaint_ontime")
    assert [r["id"] for r in listed["items"]] == [got["id"]]
    assert listed["items"][0]["value"] == 96.5


def test_same_key_with_another_value_updates_to_version_2(api: TestClient) -> None:
    first = put(api, value=90).json()
    resp = put(api, value=97.25)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["id"] == first["id"]
    assert got["version"] == 2
    assert got["value"] == 97.25
    assert got["created_at"] == first["created_at"]
    listed = readings(api)
    assert listed["total"] == 1
    assert listed["items"][0]["value"] == 97.25


def test_update_stamps_updated_at_from_the_clock(api: TestClient, clock: FixedClock) -> None:
    first = put(api, value=90).json()
    clock.advance(timedelta(hours=2))
    got = put(api, value=91).json()
    assert got["updated_at"] != first["updated_at"]
    assert got["created_at"] == first["created_at"]


def test_same_values_again_writes_nothing(api: TestClient, clock: FixedClock) -> None:
    first = put(api, value=96.5, note="ghi chú").json()
    clock.advance(timedelta(hours=1))
    resp = put(api, value=96.5, note="ghi chú")
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["version"] == 1
    assert got["updated_at"] == first["updated_at"]
    # Sending the version seen is just as idempotent.
    again = put(api, value=96.5, note="ghi chú", version=1)
    assert again.status_code == 200
    assert again.json()["version"] == 1
    assert again.json()["updated_at"] == first["updated_at"]


def test_changing_only_the_note_is_a_change(api: TestClient) -> None:
    put(api, note="")
    got = put(api, note="Bổ sung nguồn số liệu").json()
    assert got["version"] == 2
    assert got["note"] == "Bổ sung nguồn số liệu"


# --- numerator and denominator -------------------------------------------------------------------


def test_value_is_computed_from_numerator_and_denominator(api: TestClient) -> None:
    resp = put(api, value=..., numerator=197, denominator=200)
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["value"] == pytest.approx(98.5)
    assert got["numerator"] == 197
    assert got["denominator"] == 200


def test_value_agreeing_with_the_fraction_is_accepted(api: TestClient) -> None:
    resp = put(api, value=98.5, numerator=197, denominator=200)
    assert resp.status_code == 201, resp.text
    assert resp.json()["value"] == pytest.approx(98.5)


@pytest.mark.parametrize(
    ("parts", "field"),
    [({"numerator": 197}, "denominator"), ({"denominator": 200}, "numerator")],
)
def test_only_one_part_of_the_fraction_is_refused(
    api: TestClient, seeded: Session, parts: dict[str, int], field: str
) -> None:
    resp = put(api, value=..., **parts)
    err = field_error(resp, field, "required")
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


def test_zero_denominator_is_refused(api: TestClient, seeded: Session) -> None:
    resp = put(api, value=..., numerator=0, denominator=0)
    err = field_error(resp, "denominator", "zero_denominator")
    assert "Mẫu số" in err["message"]
    assert count_readings(seeded) == 0


def test_numerator_above_denominator_is_refused(api: TestClient, seeded: Session) -> None:
    resp = put(api, value=..., numerator=201, denominator=200)
    err = field_error(resp, "numerator", "numerator_above_denominator")
    assert "Tử số" in err["message"]
    assert count_readings(seeded) == 0


def test_negative_numerator_is_refused(api: TestClient, seeded: Session) -> None:
    resp = put(api, value=..., numerator=-1, denominator=200)
    field_error(resp, "numerator")
    assert count_readings(seeded) == 0


def test_value_disagreeing_with_the_fraction_is_refused(api: TestClient, seeded: Session) -> None:
    resp = put(api, value=90, numerator=197, denominator=200)
    err = field_error(resp, "value", "value_mismatch")
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


def test_fraction_on_a_count_indicator_is_refused(api: TestClient, seeded: Session) -> None:
    created = api.post(
        "/api/v1/indicators",
        json={
            "code": "sipas_surveys",
            "name": "Số phiếu khảo sát SIPAS thu về",
            "area": "par8",
            "measure": "count",
            "comparator": ">=",
            "target": 300,
        },
    )
    assert created.status_code == 201, created.text
    resp = put(api, indicator="sipas_surveys", value=..., numerator=10, denominator=20)
    field_error(resp, "numerator", "not_a_rate")
    assert count_readings(seeded) == 0
    # A count may exceed 100, unlike a percent.
    ok = put(api, indicator="sipas_surveys", value=350)
    assert ok.status_code == 201, ok.text
    assert ok.json()["value"] == 350


# --- numbers that are not numbers ----------------------------------------------------------------


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("field", ["value", "numerator", "denominator"])
def test_nan_and_infinity_are_refused(
    api: TestClient, seeded: Session, raw: str, field: str
) -> None:
    parts = {"value": "96.5", "numerator": "null", "denominator": "null"}
    if field != "value":
        parts = {"value": "null", "numerator": "1", "denominator": "2"}
    parts[field] = raw
    text = (
        '{"indicator": "complaint_ontime", "unit": "vhxh", "period": "2025-10", '
        f'"value": {parts["value"]}, "numerator": {parts["numerator"]}, '
        f'"denominator": {parts["denominator"]}}}'
    )
    resp = api.put(URL, content=text, headers={"content-type": "application/json"})
    field_error(resp, field)
    assert count_readings(seeded) == 0


def test_nan_message_is_vietnamese(api: TestClient) -> None:
    text = '{"indicator": "complaint_ontime", "unit": "vhxh", "period": "2025-10", "value": NaN}'
    resp = api.put(URL, content=text, headers={"content-type": "application/json"})
    err = field_error(resp, "value")
    assert "NaN" in err["message"] and VIETNAMESE.search(err["message"])


def test_malformed_json_is_refused(api: TestClient, seeded: Session) -> None:
    resp = api.put(URL, content='{"indicator": ', headers={"content-type": "application/json"})
    assert detail(resp, 422)["errors"]
    assert count_readings(seeded) == 0


@pytest.mark.parametrize("value", ["abc", True, False, [1], {"v": 1}])
def test_non_numeric_value_is_refused(api: TestClient, seeded: Session, value: Any) -> None:
    resp = put(api, value=value)
    field_error(resp, "value")
    assert count_readings(seeded) == 0


def test_booleans_are_not_numbers_anywhere(api: TestClient, seeded: Session) -> None:
    err = field_error(put(api, value=..., numerator=True, denominator=True), "numerator")
    assert VIETNAMESE.search(err["message"])
    field_error(put(api, version=True), "version")
    assert count_readings(seeded) == 0


def test_numeric_string_is_read_as_a_number(api: TestClient) -> None:
    # What an HTML form sends; the form and the API share the schema.
    resp = put(api, value="97.5")
    assert resp.status_code == 201, resp.text
    assert resp.json()["value"] == 97.5


# --- range and presence of the value -------------------------------------------------------------


@pytest.mark.parametrize(("value", "code"), [(100.01, "out_of_range"), (-0.5, "negative")])
def test_percent_outside_0_100_is_refused(
    api: TestClient, seeded: Session, value: float, code: str
) -> None:
    resp = put(api, value=value)
    err = field_error(resp, "value", code)
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


@pytest.mark.parametrize("value", [0, 100])
def test_percent_bounds_are_accepted(api: TestClient, value: float) -> None:
    resp = put(api, value=value)
    assert resp.status_code == 201, resp.text
    assert resp.json()["value"] == value


def test_missing_value_is_refused(api: TestClient, seeded: Session) -> None:
    resp = put(api, value=...)
    field_error(resp, "value", "required")
    assert count_readings(seeded) == 0
    field_error(put(api, value=None), "value", "required")


@pytest.mark.parametrize("missing", ["indicator", "unit", "period"])
def test_missing_key_fields_are_refused(api: TestClient, missing: str) -> None:
    field_error(put(api, **{missing: ...}), missing, "missing")


# --- periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2025-13", "abc", "2025-1", "", "2025-10-01"])
def test_unparseable_period_is_refused(api: TestClient, seeded: Session, period: str) -> None:
    err = field_error(put(api, period=period), "period")
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


def test_unparseable_period_message_names_the_accepted_forms(api: TestClient) -> None:
    err = field_error(put(api, period="abc"), "period", "period_invalid")
    assert "Kỳ báo cáo" in err["message"]
    assert "2025-10" in err["message"]


@pytest.mark.parametrize("period", ["2025-Q4", "2025", "2026-03"])
def test_period_of_the_wrong_cadence_is_refused(
    api: TestClient, clock: FixedClock, seeded: Session, period: str
) -> None:
    clock.advance(timedelta(days=400))  # late 2026, so no period here is in the future
    err = field_error(put(api, period=period), "period", "period_invalid")
    assert "báo cáo theo" in err["message"]
    assert count_readings(seeded) == 0


def test_period_before_the_plan_start_is_refused(api: TestClient, seeded: Session) -> None:
    err = field_error(put(api, period="2025-09"), "period", "period_invalid")
    assert "2025-10" in err["message"]
    assert count_readings(seeded) == 0


def test_future_period_is_refused_until_it_starts(
    api: TestClient, clock: FixedClock, seeded: Session
) -> None:
    err = field_error(put(api, period="2025-12"), "period", "period_invalid")
    assert "chưa bắt đầu" in err["message"]
    assert count_readings(seeded) == 0
    clock.advance(timedelta(days=11))  # 2025-12-01
    resp = put(api, period="2025-12")
    assert resp.status_code == 201, resp.text
    assert resp.json()["period"] == "2025-12"


def test_quarterly_period_is_accepted_once_the_clock_is_in_2026(
    api: TestClient, clock: FixedClock
) -> None:
    field_error(put(api, period="2026-Q1"), "period", "period_invalid")
    clock.advance(timedelta(days=45))  # 2026-01-04
    resp = put(api, period="2026-q1")
    assert resp.status_code == 201, resp.text
    assert resp.json()["period"] == "2026-Q1"  # stored in its canonical form
    field_error(put(api, period="2026-01"), "period", "period_invalid")


def test_period_is_stored_canonically_so_spellings_share_a_row(api: TestClient) -> None:
    first = put(api, period=" 2025-10 ", value=90).json()
    assert first["period"] == "2025-10"
    second = put(api, period="2025-10", value=91)
    assert second.status_code == 200
    assert second.json()["id"] == first["id"]


# --- domains -------------------------------------------------------------------------------------


def test_disaggregated_indicator_needs_a_domain(api: TestClient, seeded: Session) -> None:
    resp = put(api, indicator="tthc_ontime", value=99)
    err = field_error(resp, "domain", "domain_required")
    assert "lĩnh vực" in err["message"]
    assert count_readings(seeded) == 0


@pytest.mark.parametrize("blank", ["", "   "])
def test_empty_domain_is_treated_as_none(api: TestClient, seeded: Session, blank: str) -> None:
    resp = put(api, indicator="tthc_ontime", value=99, domain=blank)
    field_error(resp, "domain", "domain_required")
    resp = put(api, domain=blank)
    assert resp.status_code == 201, resp.text
    assert resp.json()["domain"] is None
    # ...and names the same row as no domain at all.
    again = put(api, domain=..., value=50)
    assert again.status_code == 200
    assert again.json()["id"] == resp.json()["id"]
    assert count_readings(seeded) == 1


def test_domain_on_a_non_disaggregated_indicator_is_refused(
    api: TestClient, seeded: Session
) -> None:
    resp = put(api, domain="ho-tich")
    err = field_error(resp, "domain", "domain_not_allowed")
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


def test_unknown_domain_is_404(api: TestClient, seeded: Session) -> None:
    resp = put(api, indicator="tthc_ontime", domain="khong-co")
    assert detail(resp, 404)["code"] == "domain_not_found"
    assert count_readings(seeded) == 0


def test_each_domain_has_its_own_row(api: TestClient) -> None:
    a = put(api, indicator="tthc_ontime", unit="ttpvhcc", domain="ho-tich", value=99)
    b = put(api, indicator="tthc_ontime", unit="ttpvhcc", domain="chung-thuc", value=97)
    assert a.status_code == 201 and b.status_code == 201, (a.text, b.text)
    assert a.json()["id"] != b.json()["id"]
    assert a.json()["domain"] == "ho-tich"
    upd = put(api, indicator="tthc_ontime", unit="ttpvhcc", domain="ho-tich", value=98.2)
    assert upd.status_code == 200
    assert upd.json()["id"] == a.json()["id"]
    listed = readings(api, indicator="tthc_ontime")
    assert listed["total"] == 2
    by_domain = {r["domain"]: r["value"] for r in listed["items"]}
    assert by_domain == {"ho-tich": 98.2, "chung-thuc": 97}


# --- references ----------------------------------------------------------------------------------


def test_unknown_indicator_is_404(api: TestClient, seeded: Session) -> None:
    d = detail(put(api, indicator="khong_co"), 404)
    assert d["code"] == "indicator_not_found"
    assert VIETNAMESE.search(d["message"])
    assert count_readings(seeded) == 0


def test_unknown_unit_is_404(api: TestClient, seeded: Session) -> None:
    assert detail(put(api, unit="khong-co"), 404)["code"] == "unit_not_found"
    assert count_readings(seeded) == 0


def test_inactive_unit_is_refused(api: TestClient, seeded: Session) -> None:
    patched = api.patch("/api/v1/units/vhxh", json={"active": False})
    assert patched.status_code == 200, patched.text
    err = field_error(put(api, unit="vhxh"), "unit", "unit_inactive")
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


def test_inactive_indicator_is_refused(api: TestClient, seeded: Session) -> None:
    patched = api.patch("/api/v1/indicators/complaint_ontime", json={"active": False})
    assert patched.status_code == 200, patched.text
    field_error(put(api), "indicator", "indicator_inactive")
    assert count_readings(seeded) == 0


def test_unknown_plan_is_404(api: TestClient) -> None:
    assert detail(put(api, plan="khong-co"), 404)["code"] == "plan_not_found"


@pytest.mark.parametrize("extra", ["valeu", "id", "source"])
def test_unknown_fields_are_refused(api: TestClient, seeded: Session, extra: str) -> None:
    err = field_error(put(api, **{extra: 1}), extra, "extra_forbidden")
    assert VIETNAMESE.search(err["message"])
    assert count_readings(seeded) == 0


def test_evidence_url_round_trips_and_can_be_cleared(api: TestClient) -> None:
    created = put(api, evidence_url="https://example.gov.vn/a").json()
    assert created["evidence_url"] == "https://example.gov.vn/a"
    # What a read returns can be sent back as it is: "" means no link.
    cleared = put(api, evidence_url="")
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["evidence_url"] == ""
    assert cleared.json()["version"] == 2
    fetched = readings(api)["items"][0]
    back = {k: fetched[k] for k in ("indicator", "unit", "period", "domain", "value", "note")}
    again = api.put(URL, json={**back, "evidence_url": fetched["evidence_url"], "version": 2})
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 2


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/x"])
def test_bad_evidence_url_is_refused(api: TestClient, seeded: Session, url: str) -> None:
    field_error(put(api, evidence_url=url), "evidence_url")
    assert count_readings(seeded) == 0


# --- optimistic concurrency ----------------------------------------------------------------------


def test_current_version_applies_and_bumps(api: TestClient) -> None:
    put(api, value=90)
    resp = put(api, value=91, version=1)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2
    resp = put(api, value=92, version=2)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 3
    assert resp.json()["value"] == 92


def test_stale_version_is_409_and_changes_nothing(api: TestClient) -> None:
    put(api, value=90)
    put(api, value=91, version=1)
    resp = put(api, value=50, version=1)
    d = detail(resp, 409)
    assert d["code"] == "stale_version"
    assert d["errors"][0]["field"] == "version"
    assert VIETNAMESE.search(d["message"])
    stored = readings(api)["items"][0]
    assert stored["value"] == 91
    assert stored["version"] == 2


def test_version_0_is_create_only(api: TestClient) -> None:
    resp = put(api, value=90, version=0)
    assert resp.status_code == 201, resp.text
    again = put(api, value=80, version=0)
    assert detail(again, 409)["errors"][0]["field"] == "version"
    assert readings(api)["items"][0]["value"] == 90


def test_version_on_a_missing_row_is_409(api: TestClient, seeded: Session) -> None:
    d = detail(put(api, value=90, version=3), 409)
    assert d["code"] == "stale_version"
    assert count_readings(seeded) == 0


def test_negative_version_is_refused(api: TestClient) -> None:
    field_error(put(api, version=-1), "version")


def test_two_clients_cannot_lose_each_others_update(api: TestClient) -> None:
    put(api, value=90)
    seen_by_a = readings(api)["items"][0]
    seen_by_b = readings(api)["items"][0]
    a = put(api, value=95, version=seen_by_a["version"])
    assert a.status_code == 200
    b = put(api, value=85, version=seen_by_b["version"])
    assert detail(b, 409)["code"] == "stale_version"
    stored = readings(api)["items"][0]
    assert stored["value"] == 95
    # B reloads and tries again with what it now sees.
    c = put(api, value=85, version=stored["version"])
    assert c.status_code == 200
    assert c.json()["version"] == 3


# --- uniqueness in the database itself -----------------------------------------------------------


def _raw_reading(seeded: Session, clock: FixedClock, *, domain: str | None) -> Reading:
    indicator = "tthc_ontime" if domain else "complaint_ontime"
    ind = seeded.exec(select(Indicator).where(Indicator.code == indicator)).one()
    unit = seeded.exec(select(Unit).where(Unit.code == "vhxh")).one()
    dom = seeded.exec(select(Domain).where(Domain.code == domain)).one() if domain else None
    assert ind.id is not None and unit.id is not None
    now = clock.now()
    return Reading(
        indicator_id=ind.id,
        unit_id=unit.id,
        period="2025-10",
        period_start=date(2025, 10, 1),
        period_end=date(2025, 10, 31),
        domain_id=dom.id if dom else None,
        value=90,
        source="api",
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize("domain", [None, "ho-tich"])
def test_database_refuses_a_duplicate_key(
    seeded: Session, clock: FixedClock, domain: str | None
) -> None:
    seeded.add(_raw_reading(seeded, clock, domain=domain))
    seeded.commit()
    seeded.add(_raw_reading(seeded, clock, domain=domain))
    with pytest.raises(IntegrityError):
        seeded.commit()
    seeded.rollback()
    assert count_readings(seeded) == 1


def test_database_allows_distinct_domains(seeded: Session, clock: FixedClock) -> None:
    seeded.add(_raw_reading(seeded, clock, domain="ho-tich"))
    seeded.add(_raw_reading(seeded, clock, domain="chung-thuc"))
    seeded.commit()
    assert count_readings(seeded) == 2


# --- listing -------------------------------------------------------------------------------------


def _fill(api: TestClient, clock: FixedClock) -> None:
    """Readings in 2025-10, 2025-11 and (moving the clock) 2026-Q1, over two units and domains."""
    rows = [
        ("complaint_ontime", "vhxh", "2025-10", None, 95),
        ("complaint_ontime", "vp", "2025-10", None, 96),
        ("complaint_ontime", "vhxh", "2025-11", None, 97),
        ("tthc_ontime", "ttpvhcc", "2025-10", "ho-tich", 99),
        ("tthc_ontime", "ttpvhcc", "2025-11", "ho-tich", 98.5),
        ("tthc_ontime", "ttpvhcc", "2025-11", "chung-thuc", 97.5),
        ("online_dossier", "ttpvhcc", "2025-11", None, 82),
    ]
    for indicator, unit, period, domain, value in rows:
        resp = put(api, indicator=indicator, unit=unit, period=period, domain=domain, value=value)
        assert resp.status_code == 201, resp.text
    clock.advance(timedelta(days=60))  # 2026-01-19
    for unit, value in (("vhxh", 98), ("vp", 99)):
        resp = put(api, unit=unit, period="2026-Q1", value=value)
        assert resp.status_code == 201, resp.text


def _keys(page: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    return [(r["indicator"], r["unit"], r["period"], r["domain"]) for r in page["items"]]


def test_list_is_empty_before_anything_is_reported(api: TestClient) -> None:
    page = readings(api)
    assert page["items"] == [] and page["total"] == 0
    assert page["limit"] == 100 and page["offset"] == 0


def test_list_filters_by_indicator_unit_period_and_domain(
    api: TestClient, clock: FixedClock
) -> None:
    _fill(api, clock)
    assert readings(api)["total"] == 9
    page = readings(api, indicator="complaint_ontime")
    assert page["total"] == 5
    assert {r["indicator"] for r in page["items"]} == {"complaint_ontime"}
    page = readings(api, unit="ttpvhcc")
    assert page["total"] == 4
    assert {r["unit"] for r in page["items"]} == {"ttpvhcc"}
    page = readings(api, period="2025-11")
    assert page["total"] == 4
    assert {r["period"] for r in page["items"]} == {"2025-11"}
    page = readings(api, domain="ho-tich")
    assert _keys(page) == [
        ("tthc_ontime", "ttpvhcc", "2025-10", "ho-tich"),
        ("tthc_ontime", "ttpvhcc", "2025-11", "ho-tich"),
    ]
    page = readings(api, indicator="complaint_ontime", unit="vhxh", period="2025-11")
    assert [r["value"] for r in page["items"]] == [97]
    assert readings(api, period="2026-q1")["total"] == 2


def test_list_filters_by_period_range(api: TestClient, clock: FixedClock) -> None:
    _fill(api, clock)
    page = readings(api, period_from="2025-11")
    assert {r["period"] for r in page["items"]} == {"2025-11", "2026-Q1"}
    assert page["total"] == 6
    page = readings(api, period_to="2025-10")
    assert {r["period"] for r in page["items"]} == {"2025-10"}
    assert page["total"] == 3
    page = readings(api, period_from="2025-10", period_to="2025-11")
    assert {r["period"] for r in page["items"]} == {"2025-10", "2025-11"}
    assert page["total"] == 7
    page = readings(api, period_from="2026", period_to="2026")
    assert {r["period"] for r in page["items"]} == {"2026-Q1"}
    assert page["total"] == 2
    page = readings(api, period_from="2025", period_to="2025")
    assert page["total"] == 7
    page = readings(api, period_from="2025-Q4", period_to="2025-Q4")
    assert page["total"] == 7
    # A month filter does not take in the quarter it belongs to.
    assert readings(api, period_from="2026-01", period_to="2026-01")["total"] == 0
    assert readings(api, period_from="2025-12", period_to="2025-12")["total"] == 0


@pytest.mark.parametrize("param", ["period", "period_from", "period_to"])
def test_bad_period_in_a_filter_is_refused(api: TestClient, param: str) -> None:
    err = field_error(api.get(URL, params={param: "2025-13"}), param, "period_invalid")
    assert VIETNAMESE.search(err["message"])


@pytest.mark.parametrize(
    ("param", "code"),
    [
        ("indicator", "indicator_not_found"),
        ("unit", "unit_not_found"),
        ("domain", "domain_not_found"),
    ],
)
def test_unknown_code_in_a_filter_is_404(api: TestClient, param: str, code: str) -> None:
    assert detail(api.get(URL, params={param: "khong-co"}), 404)["code"] == code


def test_list_is_sorted_stably_and_paginated(api: TestClient, clock: FixedClock) -> None:
    _fill(api, clock)
    everything = readings(api)
    assert everything["total"] == 9
    keys = _keys(everything)
    # Oldest period first, then indicator, unit and domain codes.
    assert keys[0][2] == "2025-10" and keys[-1][2] == "2026-Q1"
    periods = [k[2] for k in keys]
    assert periods == sorted(periods)
    oct_keys = [k for k in keys if k[2] == "2025-10"]
    assert oct_keys == [
        ("complaint_ontime", "vhxh", "2025-10", None),
        ("complaint_ontime", "vp", "2025-10", None),
        ("tthc_ontime", "ttpvhcc", "2025-10", "ho-tich"),
    ]
    nov = [k for k in keys if k[2] == "2025-11" and k[0] == "tthc_ontime"]
    assert [k[3] for k in nov] == ["chung-thuc", "ho-tich"]
    pages = [readings(api, limit=4, offset=o) for o in (0, 4, 8)]
    assert [p["total"] for p in pages] == [9, 9, 9]
    assert [len(p["items"]) for p in pages] == [4, 4, 1]
    assert pages[1]["limit"] == 4 and pages[1]["offset"] == 4
    assert [k for p in pages for k in _keys(p)] == keys
    assert readings(api) == everything  # the same request gives the same order
    assert readings(api, offset=50)["items"] == []
    assert readings(api, offset=50)["total"] == 9


def test_list_order_does_not_follow_insertion(api: TestClient) -> None:
    for unit in ("vp", "mttq", "vhxh", "kthtdt"):
        assert put(api, unit=unit).status_code == 201
    units = [r["unit"] for r in readings(api)["items"]]
    assert units == sorted(units)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"offset": -1}])
def test_bad_paging_is_refused(api: TestClient, params: dict[str, int]) -> None:
    field_error(api.get(URL, params=params), next(iter(params)))


# --- deleting ------------------------------------------------------------------------------------


def test_delete_then_404(api: TestClient, seeded: Session) -> None:
    created = put(api).json()
    other = put(api, unit="vp").json()
    resp = api.delete(f"{URL}/{created['id']}")
    assert resp.status_code == 204
    assert resp.content == b""
    assert [r["id"] for r in readings(api)["items"]] == [other["id"]]
    again = api.delete(f"{URL}/{created['id']}")
    d = detail(again, 404)
    assert d["code"] == "reading_not_found"
    assert VIETNAMESE.search(d["message"])
    assert count_readings(seeded) == 1


def test_delete_unknown_and_malformed_ids(api: TestClient) -> None:
    assert detail(api.delete(f"{URL}/999999"), 404)["code"] == "reading_not_found"
    field_error(api.delete(f"{URL}/abc"), "reading_id")


def test_a_deleted_reading_can_be_created_again(api: TestClient) -> None:
    created = put(api, value=90).json()
    assert api.delete(f"{URL}/{created['id']}").status_code == 204
    # An editor still holding version 1 learns the row is gone.
    assert detail(put(api, value=91, version=1), 409)["code"] == "stale_version"
    resp = put(api, value=91)
    assert resp.status_code == 201
    assert resp.json()["version"] == 1


@pytest.mark.parametrize("reading_id", ["0", "-1", "2147483648", "99999999999999999999"])
def test_ids_outside_the_databases_range_are_refused(api: TestClient, reading_id: str) -> None:
    field_error(api.delete(f"{URL}/{reading_id}"), "reading_id")


# --- text every database can store ---------------------------------------------------------------


@pytest.mark.parametrize("field", ["note", "period"])
def test_nul_character_in_text_is_refused(api: TestClient, seeded: Session, field: str) -> None:
    # SQLite would store it; PostgreSQL refuses it. Either way the answer must be a 422.
    value = "ghi\x00chú" if field == "note" else "2025-10\x00"
    err = field_error(put(api, **{field: value}), field)
    assert "NUL" in err["message"]
    assert count_readings(seeded) == 0


# --- numbers given as text (app.formatting) ------------------------------------------------------


def _parser_message(text: str, **options: Any) -> str:
    with pytest.raises(NumberError) as caught:
        parse_number(text, **options)
    return caught.value.message


def test_a_json_string_is_read_the_vietnamese_way(api: TestClient) -> None:
    resp = put(api, value=..., numerator="1.250", denominator="1.300")
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert (got["numerator"], got["denominator"]) == (1250, 1300)  # not 1,25 / 1,3
    assert got["value"] == pytest.approx(1250 / 1300 * 100)
    assert put(api, value="96,5").json()["value"] == 96.5
    assert put(api, value="12.345").json()["value"] == 12.345  # a percent: 12345 is ruled out


def test_a_fraction_in_a_count_is_refused_whether_a_number_or_text(api: TestClient) -> None:
    as_number = field_error(put(api, value=..., numerator=1.5, denominator=2), "numerator")
    assert as_number == {
        "field": "numerator",
        "code": "not_whole",
        "message": "Phải là số nguyên (nhận được “1,5”).",
    }
    as_text = field_error(put(api, value=..., numerator="1,5", denominator=2), "numerator")
    assert as_text == as_number
    ambiguous = field_error(put(api, value=..., numerator="1,250", denominator=2000), "numerator")
    assert ambiguous["code"] == "ambiguous_number"
    assert ambiguous["message"] == _parser_message("1,250", whole=True)
    assert field_error(put(api, value=..., numerator=True, denominator=2), "numerator")


def test_money_ratios_keep_decimal_parts(api: TestClient, db_session: Session) -> None:
    resp = put(
        api, indicator="disbursement", unit="kthtdt", value=..., numerator="12,5", denominator=25
    )
    assert resp.status_code == 201, resp.text
    assert (resp.json()["numerator"], resp.json()["value"]) == (12.5, 50)
    unclear = put(
        api, indicator="disbursement", unit="kthtdt", value=..., numerator="1.250", denominator=2500
    )
    assert field_error(unclear, "numerator", "ambiguous_number")["message"] == _parser_message(
        "1.250"
    )


def test_a_count_indicators_value_is_whole(api: TestClient) -> None:
    created = api.post(
        "/api/v1/indicators",
        json={
            "code": "dossiers_received",
            "name": "Số hồ sơ tiếp nhận",
            "area": "par3",
            "measure": "count",
            "comparator": ">=",
            "target": "1.000",
            "responsible_unit": "vhxh",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["target"] == 1000
    ok = put(api, indicator="dossiers_received", value="1.250")
    assert ok.status_code == 201, ok.text
    assert ok.json()["value"] == 1250
    refused = put(api, indicator="dossiers_received", value=12.5)
    assert field_error(refused, "value", "not_whole")


def test_text_that_is_no_number_is_refused_by_the_schema(api: TestClient) -> None:
    err = field_error(put(api, value="chín mươi"), "value", "not_a_number")
    assert err["message"] == _parser_message("chín mươi")


def test_codes_are_matched_whatever_their_case(api) -> None:
    """A file import always took ``TTPVHCC``; the single write now does too."""
    resp = api.put(
        "/api/v1/readings",
        json={"indicator": "ONLINE_DOSSIER", "unit": "TTPVHCC", "period": "2025-10", "value": 81},
    )
    assert resp.status_code in (200, 201), resp.text
    assert (resp.json()["indicator"], resp.json()["unit"]) == ("online_dossier", "ttpvhcc")
