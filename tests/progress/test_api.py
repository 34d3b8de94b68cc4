"""JSON API for progress updates: ``PUT /api/v1/progress`` and ``GET /api/v1/progress``.

Every test starts from Plan 84 as seeded, on 2025-11-20 (2025-10 and 2025-11 are open periods).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.progress.models import ProgressUpdate

URL = "/api/v1/progress"

VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


def body(**overrides: Any) -> dict[str, Any]:
    """A valid report by ``vp`` on the task it leads (II.2.2.1), changed as the test needs."""
    data: dict[str, Any] = {
        "assignment": "II.2.2.1",
        "unit": "vp",
        "period": "2025-10",
        "status": "in_progress",
        "percent_complete": 60,
        "result": "Đã rà soát 12 quy trình nội bộ.",
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
    errors = detail(resp, status)["errors"]
    matching = [e for e in errors if e["field"] == field]
    assert matching, f"no error for {field!r} in {errors}"
    if code is not None:
        assert code in {e["code"] for e in matching}, matching
    return matching[0]


def count_rows(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(ProgressUpdate)).one()


def listing(api: TestClient, **params: Any) -> dict[str, Any]:
    resp = api.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


# --- create, update, unchanged -------------------------------------------------------------------


def test_create_answers_201_with_version_1(api: TestClient) -> None:
    resp = put(api, difficulties="Thiếu nhân lực", proposals="Bổ sung 01 công chức", evidence="x")
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["version"] == 1
    assert got["assignment"] == "II.2.2.1"
    assert got["unit"] == "vp"
    assert got["period"] == "2025-10"
    assert got["status"] == "in_progress"
    assert got["percent_complete"] == 60
    assert got["result"] == "Đã rà soát 12 quy trình nội bộ."
    assert got["difficulties"] == "Thiếu nhân lực"
    assert got["proposals"] == "Bổ sung 01 công chức"
    assert got["evidence"] == "x"
    assert isinstance(got["id"], int)
    assert [r["id"] for r in listing(api)["items"]] == [got["id"]]


def test_same_key_with_a_change_updates_to_version_2(api: TestClient, clock: FixedClock) -> None:
    first = put(api).json()
    clock.advance(timedelta(hours=3))
    resp = put(api, percent_complete=80)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["id"] == first["id"]
    assert got["version"] == 2
    assert got["percent_complete"] == 80
    assert got["created_at"] == first["created_at"]
    assert got["updated_at"] != first["updated_at"]
    assert listing(api)["total"] == 1


def test_same_values_again_keep_the_version(api: TestClient, clock: FixedClock) -> None:
    first = put(api).json()
    clock.advance(timedelta(hours=1))
    resp = put(api)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 1
    assert resp.json()["updated_at"] == first["updated_at"]
    resp = put(api, version=1)
    assert resp.status_code == 200
    assert resp.json()["version"] == 1


def test_each_period_has_its_own_report(api: TestClient) -> None:
    a = put(api, period="2025-10").json()
    b = put(api, period="2025-11", percent_complete=90).json()
    assert a["id"] != b["id"]
    assert b["version"] == 1
    assert listing(api)["total"] == 2


# --- status and percent --------------------------------------------------------------------------


def test_done_fills_in_100(api: TestClient) -> None:
    resp = put(api, status="done", percent_complete=...)
    assert resp.status_code == 201, resp.text
    assert resp.json()["percent_complete"] == 100
    resp = put(api, status="done", percent_complete=100, period="2025-11")
    assert resp.status_code == 201, resp.text
    assert resp.json()["percent_complete"] == 100


def test_done_with_another_percent_is_refused(api: TestClient, seeded: Session) -> None:
    err = field_error(put(api, status="done", percent_complete=50), "percent_complete")
    assert err["code"] == "inconsistent"
    assert "100%" in err["message"] and VIETNAMESE.search(err["message"])
    assert count_rows(seeded) == 0


def test_not_started_fills_in_0(api: TestClient, seeded: Session) -> None:
    resp = put(api, status="not_started", percent_complete=...)
    assert resp.status_code == 201, resp.text
    assert resp.json()["percent_complete"] == 0
    field_error(put(api, status="not_started", percent_complete=10), "percent_complete")
    assert listing(api)["items"][0]["percent_complete"] == 0


def test_in_progress_needs_a_percent(api: TestClient, seeded: Session) -> None:
    err = field_error(put(api, percent_complete=...), "percent_complete", "required")
    assert VIETNAMESE.search(err["message"])
    field_error(put(api, percent_complete=None), "percent_complete", "required")
    assert count_rows(seeded) == 0


def test_in_progress_with_100_is_refused(api: TestClient, seeded: Session) -> None:
    err = field_error(put(api, percent_complete=100), "percent_complete", "inconsistent")
    assert "Đã hoàn thành" in err["message"]
    assert count_rows(seeded) == 0


@pytest.mark.parametrize("percent", [0, 99])
def test_in_progress_accepts_0_to_99(api: TestClient, percent: int) -> None:
    resp = put(api, percent_complete=percent)
    assert resp.status_code == 201, resp.text
    assert resp.json()["percent_complete"] == percent


def test_not_applicable_takes_no_percent(api: TestClient, seeded: Session) -> None:
    field_error(put(api, status="not_applicable", percent_complete=0), "percent_complete")
    assert count_rows(seeded) == 0
    resp = put(api, status="not_applicable", percent_complete=...)
    assert resp.status_code == 201, resp.text
    assert resp.json()["percent_complete"] is None


@pytest.mark.parametrize(
    ("percent", "code"), [(101, "less_than_equal"), (-1, "greater_than_equal")]
)
def test_percent_outside_0_100_is_refused(
    api: TestClient, seeded: Session, percent: int, code: str
) -> None:
    err = field_error(put(api, percent_complete=percent), "percent_complete", code)
    assert err["message"].startswith("Phải")
    assert VIETNAMESE.search(err["message"])
    assert count_rows(seeded) == 0


@pytest.mark.parametrize("percent", [50.5, "abc", True])
def test_percent_must_be_a_whole_number(api: TestClient, seeded: Session, percent: Any) -> None:
    field_error(put(api, percent_complete=percent), "percent_complete")
    assert count_rows(seeded) == 0


def test_percent_from_a_form_field_is_read_as_a_number(api: TestClient) -> None:
    resp = put(api, percent_complete="45")
    assert resp.status_code == 201, resp.text
    assert resp.json()["percent_complete"] == 45


@pytest.mark.parametrize("status", ["finished", "DONE", "", None])
def test_unknown_status_is_refused(api: TestClient, seeded: Session, status: Any) -> None:
    err = field_error(put(api, status=status), "status")
    assert VIETNAMESE.search(err["message"])
    assert count_rows(seeded) == 0


def test_status_change_is_an_update(api: TestClient) -> None:
    put(api, status="in_progress", percent_complete=60)
    resp = put(api, status="done", percent_complete=...)
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "done"
    assert resp.json()["percent_complete"] == 100
    assert resp.json()["version"] == 2


# --- who must report -----------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["phu-dinh", "vhxh", "vp", "ttpvhcc", "kthtdt", "mttq"])
def test_an_all_units_task_is_accepted_from_any_unit(api: TestClient, unit: str) -> None:
    resp = put(api, assignment="II.1.1.1", unit=unit)
    assert resp.status_code == 201, resp.text
    assert resp.json()["unit"] == unit


def test_a_lead_task_is_refused_from_another_unit(api: TestClient, seeded: Session) -> None:
    resp = put(api, assignment="II.2.2.1", unit="ttpvhcc")
    err = field_error(resp, "unit", "not_assigned")
    assert "II.2.2.1" in err["message"] and VIETNAMESE.search(err["message"])
    assert count_rows(seeded) == 0
    assert put(api, assignment="II.2.2.1", unit="vp").status_code == 201


def test_a_coordinating_unit_may_report(api: TestClient) -> None:
    assert put(api, assignment="II.2.3.4", unit="vhxh").status_code == 201
    assert put(api, assignment="II.2.3.4", unit="ttpvhcc").status_code == 201
    field_error(put(api, assignment="II.2.3.4", unit="vp"), "unit", "not_assigned")
    assert listing(api, assignment="II.2.3.4")["total"] == 2


def test_a_unit_added_as_coordinator_may_then_report(api: TestClient) -> None:
    field_error(put(api, assignment="II.2.2.1", unit="mttq"), "unit", "not_assigned")
    resp = api.patch("/api/v1/assignments/II.2.2.1", json={"coordinating_units": ["mttq"]})
    assert resp.status_code == 200, resp.text
    assert put(api, assignment="II.2.2.1", unit="mttq").status_code == 201


def test_unknown_assignment_is_404(api: TestClient, seeded: Session) -> None:
    d = detail(put(api, assignment="II.9.9.9"), 404)
    assert d["code"] == "assignment_not_found"
    assert VIETNAMESE.search(d["message"])
    assert count_rows(seeded) == 0


def test_unknown_unit_is_404(api: TestClient) -> None:
    assert detail(put(api, unit="khong-co"), 404)["code"] == "unit_not_found"


def test_inactive_unit_is_refused(api: TestClient, seeded: Session) -> None:
    assert api.patch("/api/v1/units/vp", json={"active": False}).status_code == 200
    field_error(put(api), "unit", "unit_inactive")
    assert count_rows(seeded) == 0


def test_inactive_assignment_is_refused(api: TestClient, seeded: Session) -> None:
    resp = api.patch("/api/v1/assignments/II.2.2.1", json={"active": False})
    assert resp.status_code == 200, resp.text
    err = field_error(put(api), "assignment", "assignment_inactive")
    assert VIETNAMESE.search(err["message"])
    assert count_rows(seeded) == 0


@pytest.mark.parametrize("extra", ["percent", "id", "note"])
def test_unknown_fields_are_refused(api: TestClient, seeded: Session, extra: str) -> None:
    field_error(put(api, **{extra: 1}), extra, "extra_forbidden")
    assert count_rows(seeded) == 0


@pytest.mark.parametrize("missing", ["assignment", "unit", "period", "status"])
def test_missing_fields_are_refused(api: TestClient, missing: str) -> None:
    err = field_error(put(api, **{missing: ...}), missing, "missing")
    assert VIETNAMESE.search(err["message"])


def test_malformed_json_is_refused(api: TestClient, seeded: Session) -> None:
    resp = api.put(URL, content="{not json", headers={"content-type": "application/json"})
    assert detail(resp, 422)["errors"]
    assert count_rows(seeded) == 0


# --- periods -------------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2025-13", "abc", "2025-1", ""])
def test_unparseable_period_is_refused(api: TestClient, seeded: Session, period: str) -> None:
    err = field_error(put(api, period=period), "period")
    assert VIETNAMESE.search(err["message"])
    assert count_rows(seeded) == 0


@pytest.mark.parametrize("period", ["2025-Q4", "2025", "2026-03"])
def test_period_of_the_wrong_cadence_is_refused(
    api: TestClient, clock: FixedClock, period: str
) -> None:
    clock.advance(timedelta(days=400))
    err = field_error(put(api, period=period), "period", "period_invalid")
    assert "báo cáo theo" in err["message"]


def test_period_before_the_plan_start_is_refused(api: TestClient, seeded: Session) -> None:
    field_error(put(api, period="2025-09"), "period", "period_invalid")
    assert count_rows(seeded) == 0


def test_future_period_is_refused_until_it_starts(
    api: TestClient, clock: FixedClock, seeded: Session
) -> None:
    err = field_error(put(api, period="2025-12"), "period", "period_invalid")
    assert "chưa bắt đầu" in err["message"]
    assert count_rows(seeded) == 0
    clock.advance(timedelta(days=11))
    assert put(api, period="2025-12").status_code == 201


def test_quarterly_period_once_the_clock_is_in_2026(api: TestClient, clock: FixedClock) -> None:
    field_error(put(api, period="2026-Q1"), "period", "period_invalid")
    clock.advance(timedelta(days=45))
    resp = put(api, period="2026-Q1")
    assert resp.status_code == 201, resp.text
    assert resp.json()["period"] == "2026-Q1"
    field_error(put(api, period="2026-01"), "period", "period_invalid")


# --- optimistic concurrency ----------------------------------------------------------------------


def test_current_version_applies_and_bumps(api: TestClient) -> None:
    put(api)
    resp = put(api, percent_complete=70, version=1)
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2


def test_stale_version_is_409_and_changes_nothing(api: TestClient) -> None:
    put(api)
    put(api, percent_complete=70, version=1)
    d = detail(put(api, percent_complete=10, version=1), 409)
    assert d["code"] == "stale_version"
    assert d["errors"][0]["field"] == "version"
    assert VIETNAMESE.search(d["message"])
    stored = listing(api)["items"][0]
    assert (stored["percent_complete"], stored["version"]) == (70, 2)


def test_version_0_on_an_existing_report_is_409(api: TestClient) -> None:
    assert put(api, version=0).status_code == 201
    d = detail(put(api, percent_complete=10, version=0), 409)
    assert d["errors"][0]["field"] == "version"
    assert listing(api)["items"][0]["percent_complete"] == 60


def test_version_on_a_missing_report_is_409(api: TestClient, seeded: Session) -> None:
    assert detail(put(api, version=2), 409)["code"] == "stale_version"
    assert count_rows(seeded) == 0


def test_two_editors_cannot_lose_an_update(api: TestClient) -> None:
    put(api)
    seen = listing(api)["items"][0]["version"]
    assert put(api, percent_complete=80, version=seen).status_code == 200
    assert detail(put(api, percent_complete=20, version=seen), 409)["code"] == "stale_version"
    assert listing(api)["items"][0]["percent_complete"] == 80


def test_boolean_version_is_refused(api: TestClient) -> None:
    put(api)
    field_error(put(api, percent_complete=70, version=True), "version")


# --- listing -------------------------------------------------------------------------------------


def _fill(api: TestClient) -> None:
    rows = [
        ("II.2.2.1", "vp", "2025-11"),
        ("II.1.1.1", "vhxh", "2025-10"),
        ("II.1.1.1", "vp", "2025-10"),
        ("II.2.3.4", "ttpvhcc", "2025-10"),
        ("II.2.3.4", "vhxh", "2025-11"),
        ("II.1.1.1", "vhxh", "2025-11"),
        ("II.2.2.1", "vp", "2025-10"),
    ]
    for assignment, unit, period in rows:
        resp = put(api, assignment=assignment, unit=unit, period=period)
        assert resp.status_code == 201, resp.text


def _keys(page: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["period"], r["assignment"], r["unit"]) for r in page["items"]]


def test_list_is_empty_at_first(api: TestClient) -> None:
    page = listing(api)
    assert page == {"items": [], "total": 0, "limit": 100, "offset": 0}


def test_list_filters(api: TestClient) -> None:
    _fill(api)
    assert listing(api)["total"] == 7
    page = listing(api, unit="vhxh")
    assert page["total"] == 3
    assert {r["unit"] for r in page["items"]} == {"vhxh"}
    page = listing(api, period="2025-10")
    assert page["total"] == 4
    assert {r["period"] for r in page["items"]} == {"2025-10"}
    page = listing(api, assignment="II.1.1.1")
    assert page["total"] == 3
    page = listing(api, unit="vp", period="2025-11", assignment="II.2.2.1")
    assert _keys(page) == [("2025-11", "II.2.2.1", "vp")]


def test_list_is_sorted_by_period_then_plan_order_then_unit(api: TestClient) -> None:
    _fill(api)
    assert _keys(listing(api)) == [
        ("2025-10", "II.1.1.1", "vhxh"),
        ("2025-10", "II.1.1.1", "vp"),
        ("2025-10", "II.2.2.1", "vp"),
        ("2025-10", "II.2.3.4", "ttpvhcc"),
        ("2025-11", "II.1.1.1", "vhxh"),
        ("2025-11", "II.2.2.1", "vp"),
        ("2025-11", "II.2.3.4", "vhxh"),
    ]


def test_list_is_paginated_with_a_total(api: TestClient) -> None:
    _fill(api)
    everything = _keys(listing(api))
    pages = [listing(api, limit=3, offset=o) for o in (0, 3, 6)]
    assert [p["total"] for p in pages] == [7, 7, 7]
    assert [len(p["items"]) for p in pages] == [3, 3, 1]
    assert [k for p in pages for k in _keys(p)] == everything
    assert listing(api, limit=3, offset=9)["items"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"period": "2025-13"}, 422, "invalid"),
        ({"unit": "khong-co"}, 404, "unit_not_found"),
        ({"assignment": "II.9.9.9"}, 404, "assignment_not_found"),
        ({"limit": 0}, 422, "invalid"),
        ({"offset": -1}, 422, "invalid"),
    ],
)
def test_bad_filters_are_refused(
    api: TestClient, params: dict[str, Any], status: int, code: str
) -> None:
    d = detail(api.get(URL, params=params), status)
    assert d["code"] == code
    if status == 422:
        assert d["errors"][0]["field"] == next(iter(params))


@pytest.mark.parametrize("field", ["assignment", "result", "difficulties", "proposals", "evidence"])
def test_nul_character_in_text_is_refused(api: TestClient, seeded: Session, field: str) -> None:
    # SQLite would store it; PostgreSQL refuses it. Either way the answer must be a 422.
    field_error(put(api, **{field: "II.2.2.1\x00"}), field)
    assert count_rows(seeded) == 0
