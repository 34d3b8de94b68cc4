"""JSON API for PAR areas, plans and assignments (``/api/v1/areas``, ``/plans``, ``/assignments``).

Tests on ``api`` start from Plan 84 as seeded, on 2025-11-20; expectations are computed from the
seed data file (``app/seed/data/plan84.json``) rather than copied, with a few spot checks.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.plans.models import Assignment, AssignmentCoordinator
from app.seed.service import load_data

API = "/api/v1"
URL = f"{API}/assignments"

#: Vietnamese letters with diacritics; a message carrying none of them is not Vietnamese.
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")

SEED = load_data()
TASKS: list[dict[str, Any]] = SEED["assignments"]
#: The seed file lists the tasks in the plan's own order.
PLAN_ORDER = [a["code"] for a in TASKS]
TASK = {a["code"]: a for a in TASKS}


def detail(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    got = resp.json()["detail"]
    assert VIETNAMESE.search(got["message"]), got
    return got


def field_error(resp: Any, field: str, code: str | None = None, status: int = 422) -> dict:
    """The error entry for ``field`` in a refused request (checking its code when given)."""
    errors = detail(resp, status)["errors"]
    matching = [e for e in errors if e["field"] == field]
    assert matching, f"no error for {field!r} in {errors}"
    if code is not None:
        assert code in {e["code"] for e in matching}, matching
    assert VIETNAMESE.search(matching[0]["message"]), matching[0]
    return matching[0]


def listing(client: TestClient, **params: Any) -> dict[str, Any]:
    resp = client.get(URL, params={"limit": 1000, **params})
    assert resp.status_code == 200, resp.text
    page = resp.json()
    assert page["total"] == len(page["items"]), "expected one page holding everything"
    return page


def codes(client: TestClient, **params: Any) -> list[str]:
    return [a["code"] for a in listing(client, **params)["items"]]


def seed_codes(pred: Any) -> list[str]:
    return [a["code"] for a in TASKS if pred(a)]


def new_task(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "II.2.3.7",
        "text": "Tổ chức tập huấn nghiệp vụ tiếp nhận hồ sơ trực tuyến cho công chức.",
        "area": "par3",
        "scope": "lead_unit",
        "lead_unit": "ttpvhcc",
        "coordinating_units": ["vp", "vhxh"],
        "cadence": "once",
        "due_date": "2025-12-31",
        "expected_product": "Báo cáo kết quả tập huấn",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def create(client: TestClient, **overrides: Any) -> dict[str, Any]:
    resp = client.post(URL, json=new_task(**overrides))
    assert resp.status_code == 201, resp.text
    return resp.json()


def get(client: TestClient, code: str) -> dict[str, Any]:
    resp = client.get(f"{URL}/{code}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def count_rows(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(Assignment)).one(),
        session.exec(select(func.count()).select_from(AssignmentCoordinator)).one(),
    )


# --- areas ---------------------------------------------------------------------------------------


def test_areas_are_the_eight_par_areas_in_order(api: TestClient) -> None:
    resp = api.get(f"{API}/areas")
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert [a["code"] for a in got] == [f"par{i}" for i in range(1, 9)]
    assert [a["position"] for a in got] == list(range(1, 9))
    assert [a["section"] for a in got] == [f"II.1.{i}" for i in range(1, 9)]
    assert [a["name"] for a in got] == [a["name"] for a in SEED["areas"]]
    assert got[0]["name"] == "Công tác chỉ đạo, điều hành CCHC"
    assert all(a["max_points"] is None for a in got)


def test_areas_of_an_empty_database(client: TestClient) -> None:
    assert client.get(f"{API}/areas").json() == []


# --- plans ---------------------------------------------------------------------------------------


def test_plans_list_the_seeded_plan(api: TestClient) -> None:
    resp = api.get(f"{API}/plans")
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert [p["code"] for p in got] == ["kh-84-2025"]
    plan = got[0]
    assert plan["number"] == "84/KH-UBND"
    assert plan["issued_date"] == "2025-10-08"
    assert (plan["issuer_unit"], plan["coordinator_unit"]) == ("phu-dinh", "vhxh")
    assert plan["reporting"] == [
        {"from_year": 2025, "cadence": "monthly"},
        {"from_year": 2026, "cadence": "quarterly"},
    ]
    assert plan["reporting_start"] == "2025-10"


def test_plans_of_an_empty_database(client: TestClient) -> None:
    assert client.get(f"{API}/plans").json() == []


def test_get_the_plan_with_its_counts(api: TestClient) -> None:
    got = api.get(f"{API}/plans/kh-84-2025").json()
    assert got["code"] == "kh-84-2025"
    assert got["assignment_count"] == len(TASKS) == 70
    assert got["indicator_count"] == len(SEED["indicators"]) == 15
    assert got["title"] == SEED["plan"]["title"]
    assert got["basis"] == SEED["plan"]["basis"]


def test_the_plan_counts_follow_new_tasks(api: TestClient) -> None:
    create(api)
    assert api.get(f"{API}/plans/kh-84-2025").json()["assignment_count"] == len(TASKS) + 1


def test_get_an_unknown_plan_is_404(api: TestClient) -> None:
    got = detail(api.get(f"{API}/plans/kh-99-2030"), 404)
    assert got["code"] == "plan_not_found"
    assert "kế hoạch" in got["message"] and "kh-99-2030" in got["message"]


# --- assignments: list ---------------------------------------------------------------------------


def test_list_holds_every_task_in_plan_order(api: TestClient) -> None:
    page = listing(api)
    got = [a["code"] for a in page["items"]]
    assert got == PLAN_ORDER
    assert page["total"] == 70
    assert got[0] == "II.1.1.1" and got[-1] == "III.2.1"
    # Numeric order, not text order: II.2.1.10 comes after II.2.1.9, and before II.2.2.1.
    assert got.index("II.2.1.9") < got.index("II.2.1.10") < got.index("II.2.1.11")
    assert got.index("II.2.1.11") < got.index("II.2.2.1")


def test_list_items_carry_the_seeded_fields(api: TestClient) -> None:
    for item in listing(api)["items"]:
        seed = TASK[item["code"]]
        for key in ("section", "position", "text", "area", "scope", "lead_unit", "cadence"):
            assert item[key] == seed[key], (item["code"], key)
        assert item["due_date"] == seed["due_date"]
        assert item["coordinating_units"] == sorted(seed["coordinating_units"])
        assert [f["marker"] for f in item["footnotes"]] == seed["footnotes"]
        assert item["plan"] == "kh-84-2025"
        assert item["version"] == 1


def test_list_default_page_and_paging(api: TestClient) -> None:
    default = api.get(URL).json()
    assert (default["limit"], default["offset"], default["total"]) == (100, 0, 70)
    pages = [api.get(URL, params={"limit": 16, "offset": o}).json() for o in range(0, 80, 16)]
    assert [len(p["items"]) for p in pages] == [16, 16, 16, 16, 6]
    assert all(p["total"] == 70 for p in pages)
    assert [a["code"] for p in pages for a in p["items"]] == PLAN_ORDER
    assert api.get(URL, params={"offset": 70}).json()["items"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 5000}, {"offset": -3}])
def test_list_refuses_bad_paging(api: TestClient, params: dict[str, int]) -> None:
    field_error(api.get(URL, params=params), next(iter(params)))


def _for_unit(unit: str) -> list[str]:
    return seed_codes(
        lambda a: (
            a["scope"] == "all_units" or a["lead_unit"] == unit or unit in a["coordinating_units"]
        )
    )


@pytest.mark.parametrize("unit", sorted(u["code"] for u in SEED["units"]))
def test_list_by_unit_holds_all_units_led_and_coordinated_tasks(api: TestClient, unit: str) -> None:
    page = listing(api, unit=unit)
    assert [a["code"] for a in page["items"]] == _for_unit(unit)


def test_list_by_unit_spot_checks_for_vhxh(api: TestClient) -> None:
    got = codes(api, unit="vhxh")
    all_units = seed_codes(lambda a: a["scope"] == "all_units")
    assert len(all_units) == 42
    assert set(all_units) <= set(got)
    assert "II.2.3.4" in got  # led by ttpvhcc, coordinated by vhxh
    assert "II.2.1.5" in got  # led by vhxh
    assert "III.2.1" in got  # led by vhxh
    assert "II.2.2.1" not in got  # led by vp
    assert "II.3.1" not in got  # led by mttq
    assert len(got) == 42 + 11 + 1 + 1  # all units + II.2.1 + III.2.1 + II.2.3.4


def test_list_by_unit_follows_a_new_coordinator(api: TestClient) -> None:
    assert "II.2.4.1" not in codes(api, unit="mttq")
    resp = api.patch(f"{URL}/II.2.4.1", json={"coordinating_units": ["mttq"]})
    assert resp.status_code == 200, resp.text
    assert "II.2.4.1" in codes(api, unit="mttq")


def test_list_by_unknown_unit_is_404(api: TestClient) -> None:
    got = detail(api.get(URL, params={"unit": "khong-co"}), 404)
    assert got["code"] == "unit_not_found" and "đơn vị" in got["message"]


@pytest.mark.parametrize("area", [f"par{i}" for i in range(1, 9)])
def test_list_by_area(api: TestClient, area: str) -> None:
    assert codes(api, area=area) == seed_codes(lambda a: a["area"] == area)


def test_list_by_area_spot_check(api: TestClient) -> None:
    got = codes(api, area="par8")
    assert got == ["II.1.8.1", "II.2.4.2"]


def test_list_by_unknown_area_is_404(api: TestClient) -> None:
    assert detail(api.get(URL, params={"area": "par9"}), 404)["code"] == "area_not_found"


@pytest.mark.parametrize(("scope", "count"), [("all_units", 42), ("lead_unit", 28)])
def test_list_by_scope(api: TestClient, scope: str, count: int) -> None:
    got = codes(api, scope=scope)
    assert got == seed_codes(lambda a: a["scope"] == scope)
    assert len(got) == count


def test_list_by_cadence(api: TestClient) -> None:
    monthly = codes(api, cadence="monthly")
    assert monthly == seed_codes(lambda a: a["cadence"] == "monthly")
    assert "II.2.1.9" in monthly and "III.2.1" in monthly
    assert "II.2.1.1" not in monthly  # follows the plan's rhythm: cadence "plan"
    assert codes(api, cadence="plan") == ["II.2.1.1", "III.1.2"]
    assert codes(api, cadence="quarterly") == []


def test_list_by_due_date(api: TestClient) -> None:
    due = codes(api, due_before="2025-12-31")
    assert due == seed_codes(lambda a: a["due_date"] and a["due_date"] <= "2025-12-31")
    assert due == ["II.1.3.6", "II.1.6.1", "II.1.7.4", "II.2.3.3"]
    assert codes(api, due_before="2025-12-30") == []


def test_list_filters_combine(api: TestClient) -> None:
    got = codes(api, unit="ttpvhcc", cadence="monthly", area="par3")
    assert got == ["II.2.3.6"]
    got = codes(api, unit="vhxh", scope="lead_unit")
    assert got == seed_codes(
        lambda a: (
            a["scope"] == "lead_unit"
            and (a["lead_unit"] == "vhxh" or "vhxh" in a["coordinating_units"])
        )
    )


def test_list_by_active(api: TestClient) -> None:
    assert api.patch(f"{URL}/II.3.1", json={"active": False}).status_code == 200
    assert codes(api, active="false") == ["II.3.1"]
    assert len(codes(api, active="true")) == 69
    assert len(codes(api)) == 70


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scope": "everyone"}, "scope"),
        ({"cadence": "weekly"}, "cadence"),
        ({"due_before": "31/12/2025"}, "due_before"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_list_refuses_bad_filters(api: TestClient, params: dict[str, str], field: str) -> None:
    field_error(api.get(URL, params=params), field)


def test_list_of_an_unknown_plan_is_404(api: TestClient) -> None:
    assert detail(api.get(URL, params={"plan": "khac"}), 404)["code"] == "plan_not_found"


def test_list_with_no_plan_loaded_is_404(client: TestClient) -> None:
    got = detail(client.get(URL), 404)
    assert got["code"] == "plan_not_found" and "kế hoạch" in got["message"]


def test_new_tasks_sort_numerically(api: TestClient) -> None:
    for n in (10, 7, 8, 9):
        create(api, code=f"II.1.1.{n}", area="par1", scope="all_units", lead_unit=None)
    got = codes(api, area="par1")
    section = [c for c in got if c.startswith("II.1.1.")]
    assert section == [f"II.1.1.{n}" for n in range(1, 11)]
    assert got.index("II.1.1.10") < got.index("II.2.1.1")
    all_codes = codes(api)
    assert all_codes.index("II.1.1.6") < all_codes.index("II.1.1.10") < all_codes.index("II.1.2.1")


def test_a_new_section_sorts_by_its_roman_number(api: TestClient) -> None:
    create(api, code="IV.1", area="par1", coordinating_units=[])
    create(api, code="X.1", area="par1", coordinating_units=[])
    create(api, code="IX.2", area="par1", coordinating_units=[])
    assert codes(api)[-4:] == ["III.2.1", "IV.1", "IX.2", "X.1"]


# --- assignments: get ----------------------------------------------------------------------------


def test_get_a_task_with_its_footnotes_resolved(api: TestClient) -> None:
    got = get(api, "II.1.1.4")
    assert got["text"] == TASK["II.1.1.4"]["text"]
    assert got["footnotes"] == [
        {"marker": m, "text": SEED["footnotes"][m]} for m in TASK["II.1.1.4"]["footnotes"]
    ]
    assert [f["marker"] for f in got["footnotes"]] == ["1", "2"]
    assert got["footnotes"][0]["text"].startswith("Kết luận số 14-KL/TW")
    assert (got["section"], got["position"], got["area"]) == ("II.1.1", 4, "par1")
    assert (got["scope"], got["lead_unit"]) == ("all_units", None)


def test_get_a_led_and_coordinated_task(api: TestClient) -> None:
    got = get(api, "II.2.3.4")
    assert (got["lead_unit"], got["coordinating_units"]) == ("ttpvhcc", ["vhxh"])
    assert got["footnotes"] == []
    assert got["text"].startswith("Phối hợp Phòng Văn hóa - Xã hội")


def test_get_an_unknown_task_is_404(api: TestClient) -> None:
    got = detail(api.get(f"{URL}/II.9.9.9"), 404)
    assert got["code"] == "assignment_not_found"
    assert "nhiệm vụ" in got["message"] and "II.9.9.9" in got["message"]


# --- assignments: create -------------------------------------------------------------------------


def test_create_answers_201_with_derived_section_and_position(api: TestClient) -> None:
    got = create(api)
    assert got["code"] == "II.2.3.7"
    assert (got["section"], got["position"]) == ("II.2.3", 7)
    assert got["plan"] == "kh-84-2025"
    assert (got["scope"], got["lead_unit"]) == ("lead_unit", "ttpvhcc")
    assert got["coordinating_units"] == ["vhxh", "vp"]
    assert (got["cadence"], got["due_date"]) == ("once", "2025-12-31")
    assert got["expected_product"] == "Báo cáo kết quả tập huấn"
    assert got["footnotes"] == []
    assert (got["active"], got["version"]) == (True, 1)
    assert get(api, "II.2.3.7") == got
    assert "II.2.3.7" in codes(api, unit="vp")
    assert "II.2.3.7" in codes(api, unit="ttpvhcc")
    assert "II.2.3.7" not in codes(api, unit="mttq")
    assert codes(api, area="par3")[-1] == "II.2.3.7"


def test_create_with_defaults(api: TestClient) -> None:
    body = {"code": "III.3.1", "text": "Nhiệm vụ mới.", "area": "par1", "lead_unit": "vp"}
    resp = api.post(URL, json=body)
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert (got["scope"], got["cadence"], got["due_date"]) == ("lead_unit", "continuous", None)
    assert (got["coordinating_units"], got["expected_product"]) == ([], "")
    assert (got["section"], got["position"]) == ("III.3", 1)


def test_create_an_all_units_task(api: TestClient) -> None:
    got = create(api, code="II.1.8.2", area="par8", scope="all_units", lead_unit=None)
    assert got["lead_unit"] is None
    for unit in ("vhxh", "vp", "mttq", "phu-dinh"):
        assert "II.1.8.2" in codes(api, unit=unit)


def test_create_a_duplicate_code_is_409(api: TestClient, db_session: Session) -> None:
    before = count_rows(db_session)
    resp = api.post(URL, json=new_task(code="II.1.1.1"))
    field_error(resp, "code", "duplicate", status=409)
    assert detail(resp, 409)["code"] == "assignment_exists"
    assert count_rows(db_session) == before
    assert get(api, "II.1.1.1")["text"] == TASK["II.1.1.1"]["text"]


@pytest.mark.parametrize(
    "code", ["2.1", "II", "ii.1", "II.", "II.0", "II.1.01", "IIII.1", "VX.1", "II.1.1.1.1.1"]
)
def test_create_refuses_a_malformed_code(api: TestClient, db_session: Session, code: str) -> None:
    before = count_rows(db_session)
    field_error(api.post(URL, json=new_task(code=code)), "code", "string_pattern_mismatch")
    assert count_rows(db_session) == before


def test_create_requires_a_lead_unit_for_a_lead_unit_task(
    api: TestClient, db_session: Session
) -> None:
    before = count_rows(db_session)
    err = field_error(api.post(URL, json=new_task(lead_unit=...)), "lead_unit")
    assert err["code"] == "lead_unit_required"
    assert "đơn vị chủ trì" in err["message"]
    field_error(api.post(URL, json=new_task(lead_unit=None)), "lead_unit", "lead_unit_required")
    assert count_rows(db_session) == before


def test_create_refuses_a_lead_unit_on_an_all_units_task(
    api: TestClient, db_session: Session
) -> None:
    before = count_rows(db_session)
    resp = api.post(URL, json=new_task(scope="all_units"))
    field_error(resp, "lead_unit", "lead_unit_not_allowed")
    assert count_rows(db_session) == before


def test_create_refuses_the_lead_as_a_coordinator(api: TestClient, db_session: Session) -> None:
    before = count_rows(db_session)
    resp = api.post(URL, json=new_task(coordinating_units=["vp", "ttpvhcc"]))
    field_error(resp, "coordinating_units", "lead_is_coordinator")
    assert count_rows(db_session) == before
    assert api.get(f"{URL}/II.2.3.7").status_code == 404


def test_create_refuses_repeated_coordinators(api: TestClient, db_session: Session) -> None:
    before = count_rows(db_session)
    resp = api.post(URL, json=new_task(coordinating_units=["vp", "vhxh", "vp"]))
    err = field_error(resp, "coordinating_units")
    assert "đơn vị" in err["message"]
    assert count_rows(db_session) == before


@pytest.mark.parametrize(
    ("overrides", "code", "name"),
    [
        ({"area": "par9"}, "area_not_found", "par9"),
        ({"lead_unit": "khong-co"}, "unit_not_found", "khong-co"),
        ({"coordinating_units": ["vp", "khong-co"]}, "unit_not_found", "khong-co"),
        ({"plan": "kh-99-2030"}, "plan_not_found", "kh-99-2030"),
    ],
)
def test_create_with_an_unknown_reference_is_404(
    api: TestClient, db_session: Session, overrides: dict[str, Any], code: str, name: str
) -> None:
    before = count_rows(db_session)
    got = detail(api.post(URL, json=new_task(**overrides)), 404)
    assert got["code"] == code and name in got["message"]
    assert count_rows(db_session) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"text": "  "}, "text"),
        ({"text": ...}, "text"),
        ({"area": ...}, "area"),
        ({"code": ...}, "code"),
        ({"cadence": "weekly"}, "cadence"),
        ({"scope": "some_units"}, "scope"),
        ({"due_date": "31/12/2025"}, "due_date"),
        ({"coordinating_units": "vp"}, "coordinating_units"),
        ({"coordinating_units": ["Bad Code!"]}, "coordinating_units.0"),
        ({"priority": "high"}, "priority"),
        ({"version": 1}, "version"),
        ({"expected_product": "x" * 2001}, "expected_product"),
    ],
)
def test_create_refuses_malformed_bodies(
    api: TestClient, db_session: Session, overrides: dict[str, Any], field: str
) -> None:
    before = count_rows(db_session)
    field_error(api.post(URL, json=new_task(**overrides)), field)
    assert count_rows(db_session) == before


# --- assignments: update -------------------------------------------------------------------------


def test_update_the_text_bumps_the_version(api: TestClient, clock: FixedClock) -> None:
    before = get(api, "II.2.2.3")
    clock.advance(timedelta(minutes=5))
    resp = api.patch(f"{URL}/II.2.2.3", json={"text": "Nội dung đã chỉnh sửa."})
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["text"] == "Nội dung đã chỉnh sửa."
    assert got["version"] == before["version"] + 1 == 2
    assert got["updated_at"] > before["updated_at"]
    assert got["created_at"] == before["created_at"]
    for key in ("area", "scope", "lead_unit", "coordinating_units", "cadence", "due_date"):
        assert got[key] == before[key]
    assert get(api, "II.2.2.3") == got


def test_update_the_lead_unit(api: TestClient) -> None:
    got = api.patch(f"{URL}/II.2.2.1", json={"lead_unit": "kthtdt"}).json()
    assert got["lead_unit"] == "kthtdt"
    assert "II.2.2.1" in codes(api, unit="kthtdt")
    assert "II.2.2.1" not in codes(api, unit="vp")


def test_update_replaces_the_coordinating_units(api: TestClient, db_session: Session) -> None:
    resp = api.patch(f"{URL}/II.2.3.4", json={"coordinating_units": ["vp", "kthtdt"]})
    assert resp.status_code == 200, resp.text
    assert resp.json()["coordinating_units"] == ["kthtdt", "vp"]
    assert "II.2.3.4" not in codes(api, unit="vhxh")
    assert "II.2.3.4" in codes(api, unit="kthtdt")
    resp = api.patch(f"{URL}/II.2.3.4", json={"coordinating_units": []})
    assert resp.json()["coordinating_units"] == []
    assert resp.json()["version"] == 3
    assert "II.2.3.4" not in codes(api, unit="vp")


def test_update_cadence_due_date_and_product(api: TestClient) -> None:
    body = {"cadence": "quarterly", "due_date": "2026-03-31", "expected_product": "Báo cáo quý"}
    got = api.patch(f"{URL}/II.2.4.3", json=body).json()
    assert (got["cadence"], got["due_date"], got["expected_product"]) == (
        "quarterly",
        "2026-03-31",
        "Báo cáo quý",
    )
    assert "II.2.4.3" in codes(api, cadence="quarterly")
    assert "II.2.4.3" in codes(api, due_before="2026-03-31")
    got = api.patch(f"{URL}/II.2.4.3", json={"due_date": None, "expected_product": None}).json()
    assert (got["due_date"], got["expected_product"]) == (None, "")
    assert "II.2.4.3" not in codes(api, due_before="2030-01-01")


def test_update_area_scope_and_active(api: TestClient) -> None:
    got = api.patch(
        f"{URL}/II.3.1", json={"area": "par2", "scope": "all_units", "lead_unit": None}
    ).json()
    assert (got["area"], got["scope"], got["lead_unit"]) == ("par2", "all_units", None)
    assert "II.3.1" in codes(api, unit="vp")
    got = api.patch(f"{URL}/II.3.1", json={"active": False}).json()
    assert got["active"] is False


def test_update_with_the_current_version_applies(api: TestClient) -> None:
    resp = api.patch(f"{URL}/II.2.2.2", json={"text": "Lần 1.", "version": 1})
    assert resp.status_code == 200, resp.text
    resp = api.patch(f"{URL}/II.2.2.2", json={"text": "Lần 2.", "version": 2})
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 3


def test_update_with_a_stale_version_is_409_and_changes_nothing(api: TestClient) -> None:
    assert api.patch(f"{URL}/II.2.2.2", json={"text": "Người A sửa.", "version": 1}).is_success
    before = get(api, "II.2.2.2")
    resp = api.patch(
        f"{URL}/II.2.2.2", json={"text": "Người B sửa.", "cadence": "once", "version": 1}
    )
    err = field_error(resp, "version", "stale_version", status=409)
    assert err["message"]
    assert detail(resp, 409)["code"] == "stale_version"
    assert get(api, "II.2.2.2") == before


@pytest.mark.parametrize(
    "field", ["text", "area", "scope", "cadence", "active", "coordinating_units"]
)
def test_update_refuses_null_for_a_required_field(api: TestClient, field: str) -> None:
    before = get(api, "II.2.3.4")
    err = field_error(api.patch(f"{URL}/II.2.3.4", json={field: None}), field)
    assert err["code"] == "required"
    assert get(api, "II.2.3.4") == before


def test_update_refuses_removing_the_lead_of_a_lead_unit_task(api: TestClient) -> None:
    before = get(api, "II.2.2.4")
    resp = api.patch(f"{URL}/II.2.2.4", json={"lead_unit": None, "text": "Không còn chủ trì."})
    field_error(resp, "lead_unit", "lead_unit_required")
    assert get(api, "II.2.2.4") == before


def test_update_refuses_a_lead_on_an_all_units_task(api: TestClient) -> None:
    before = get(api, "II.1.2.1")
    field_error(
        api.patch(f"{URL}/II.1.2.1", json={"lead_unit": "vp"}), "lead_unit", "lead_unit_not_allowed"
    )
    assert get(api, "II.1.2.1") == before


def test_update_refuses_making_a_coordinator_the_lead(api: TestClient) -> None:
    """II.2.3.4 is coordinated by vhxh: naming vhxh lead would list it twice."""
    before = get(api, "II.2.3.4")
    field_error(
        api.patch(f"{URL}/II.2.3.4", json={"lead_unit": "vhxh"}), "lead_unit", "lead_is_coordinator"
    )
    assert get(api, "II.2.3.4") == before
    field_error(
        api.patch(f"{URL}/II.2.3.4", json={"coordinating_units": ["ttpvhcc"]}),
        "coordinating_units",
        "lead_is_coordinator",
    )
    assert get(api, "II.2.3.4") == before
    # Swapping both at once is fine.
    body = {"lead_unit": "vhxh", "coordinating_units": ["ttpvhcc"]}
    got = api.patch(f"{URL}/II.2.3.4", json=body).json()
    assert (got["lead_unit"], got["coordinating_units"]) == ("vhxh", ["ttpvhcc"])


def test_update_refuses_repeated_coordinators(api: TestClient) -> None:
    before = get(api, "II.2.3.4")
    field_error(
        api.patch(f"{URL}/II.2.3.4", json={"coordinating_units": ["vp", "vp"]}),
        "coordinating_units",
    )
    assert get(api, "II.2.3.4") == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"area": "par9"}, "area_not_found"),
        ({"lead_unit": "khong-co"}, "unit_not_found"),
        ({"coordinating_units": ["khong-co"]}, "unit_not_found"),
    ],
)
def test_update_with_an_unknown_reference_is_404(
    api: TestClient, body: dict[str, Any], code: str
) -> None:
    before = get(api, "II.2.3.4")
    assert detail(api.patch(f"{URL}/II.2.3.4", json=body), 404)["code"] == code
    assert get(api, "II.2.3.4") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "II.2.3.9"}, "code"),
        ({"plan": "kh-84-2025"}, "plan"),
        ({"section": "II.9"}, "section"),
        ({"version": 0}, "version"),
        ({"cadence": "daily"}, "cadence"),
        ({"text": ""}, "text"),
    ],
)
def test_update_refuses_malformed_bodies(api: TestClient, body: dict[str, Any], field: str) -> None:
    before = get(api, "II.2.3.4")
    field_error(api.patch(f"{URL}/II.2.3.4", json=body), field)
    assert get(api, "II.2.3.4") == before


def test_update_an_unknown_task_is_404(api: TestClient) -> None:
    resp = api.patch(f"{URL}/II.9.9", json={"text": "X."})
    assert detail(resp, 404)["code"] == "assignment_not_found"


# --- assignments: delete -------------------------------------------------------------------------


def test_delete_a_new_task(api: TestClient, db_session: Session) -> None:
    before = count_rows(db_session)
    create(api)
    resp = api.delete(f"{URL}/II.2.3.7")
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert api.get(f"{URL}/II.2.3.7").status_code == 404
    assert count_rows(db_session) == before  # its coordinators went with it
    # The code is free again.
    create(api)


def test_delete_a_task_with_progress_is_409(api: TestClient, db_session: Session) -> None:
    create(api, lead_unit="vhxh", coordinating_units=[])
    resp = api.put(
        f"{API}/progress",
        json={
            "assignment": "II.2.3.7",
            "unit": "vhxh",
            "period": "2025-10",
            "status": "done",
            "result": "Đã tổ chức 2 lớp tập huấn cho 60 cán bộ.",
            "evidence": "Báo cáo số 30/BC-VHXH ngày 25/10/2025",
        },
    )
    assert resp.status_code == 201, resp.text
    before = count_rows(db_session)
    got = detail(api.delete(f"{URL}/II.2.3.7"), 409)
    assert got["code"] == "assignment_in_use"
    assert "báo cáo tiến độ" in got["message"] and "II.2.3.7" in got["message"]
    assert get(api, "II.2.3.7")["version"] == 1
    assert count_rows(db_session) == before


def test_delete_a_task_with_only_evidence_is_409_not_500(
    api: TestClient, db_session: Session
) -> None:
    """Evidence may be attached before the row is first saved, so a task can have evidence and
    no progress row. Before the delete check followed the foreign keys, that delete reached the
    database's constraint and answered 500."""
    create(api, lead_unit="vhxh", coordinating_units=[])
    link = api.post(
        f"{API}/units/vhxh/periods/2025-10/tasks/II.2.3.7/evidence",
        json={"url": "https://phudinh.hochiminhcity.gov.vn/vb/30"},
    )
    assert link.status_code == 201, link.text
    before = count_rows(db_session)
    got = detail(api.delete(f"{URL}/II.2.3.7"), 409)
    assert got["code"] == "assignment_in_use"
    assert "minh chứng" in got["message"] and "II.2.3.7" in got["message"]
    assert count_rows(db_session) == before


def test_delete_a_task_an_indicator_refers_to_is_409(api: TestClient) -> None:
    referred = {i["assignment"] for i in SEED["indicators"] if i["assignment"]}
    assert "II.1.3.2" in referred
    got = detail(api.delete(f"{URL}/II.1.3.2"), 409)
    assert got["code"] == "assignment_in_use"
    assert "chỉ tiêu" in got["message"]
    assert get(api, "II.1.3.2")["text"] == TASK["II.1.3.2"]["text"]


def test_delete_a_seeded_task_nothing_refers_to(api: TestClient) -> None:
    referred = {i["assignment"] for i in SEED["indicators"] if i["assignment"]}
    assert "II.3.1" not in referred
    assert api.delete(f"{URL}/II.3.1").status_code == 204
    assert api.get(f"{API}/plans/kh-84-2025").json()["assignment_count"] == 69


def test_delete_an_unknown_task_is_404(api: TestClient) -> None:
    assert detail(api.delete(f"{URL}/II.9.9"), 404)["code"] == "assignment_not_found"


# --- OpenAPI -------------------------------------------------------------------------------------

#: Every path and method of the issue's "JSON API" section.
ISSUE_PATHS = {
    "/units": {"get", "post"},
    "/units/{code}": {"get", "patch", "delete"},
    "/areas": {"get"},
    "/plans": {"get"},
    "/plans/{code}": {"get"},
    "/domains": {"get", "post"},
    "/assignments": {"get", "post"},
    "/assignments/{code}": {"get", "patch", "delete"},
    "/indicators": {"get", "post"},
    "/indicators/{code}": {"get", "patch"},
    "/readings": {"get", "put"},
    "/readings/{reading_id}": {"delete"},
    "/progress": {"get", "put"},
}


def test_openapi_lists_every_path_of_the_issue(client: TestClient) -> None:
    resp = client.get("/openapi.json")
    assert resp.status_code == 200, resp.text
    paths = resp.json()["paths"]
    for path, methods in ISSUE_PATHS.items():
        assert f"{API}{path}" in paths, path
        assert methods <= set(paths[f"{API}{path}"]), (path, set(paths[f"{API}{path}"]))


def test_openapi_documents_the_assignment_filters_and_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = {p["name"] for p in spec["paths"][f"{URL}"]["get"]["parameters"]}
    assert {"unit", "area", "scope", "cadence", "due_before", "limit", "offset"} <= params
    schema = spec["components"]["schemas"]["AssignmentCreate"]
    assert schema["properties"]["code"]["examples"] == ["II.2.3.7"]


def test_docs_page_answers(client: TestClient) -> None:
    resp = client.get("/docs")
    assert resp.status_code == 200
    assert "openapi.json" in resp.text


# --- text no database can store -------------------------------------------------------------------


@pytest.mark.parametrize("field", ["text", "expected_product"])
def test_a_nul_character_is_422_not_a_server_error(
    api: TestClient, db_session: Session, field: str
) -> None:
    """PostgreSQL refuses U+0000 in text; SQLite would store it. Both must answer 422."""
    before = count_rows(db_session)
    err = field_error(api.post(URL, json=new_task(**{field: "Báo cáo\x00"})), field)
    assert "NUL" in err["message"]
    assert count_rows(db_session) == before
    before_task = get(api, "II.2.3.4")
    field_error(api.patch(f"{URL}/II.2.3.4", json={field: "Báo cáo\x00"}), field)
    assert get(api, "II.2.3.4") == before_task


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (f"{URL}/II.2%00.3", {}, "path"),
        (URL, {"unit": "vh\x00xh"}, "unit"),
        (URL, {"area": "par\x001"}, "area"),
        (URL, {"plan": "kh\x00"}, "plan"),
        (f"{API}/plans/kh-84%002025", {}, "path"),
    ],
)
def test_a_nul_character_in_a_looked_up_code_is_refused(
    api: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    """NUL in a path or query is refused before routing (``app.errors.RefuseNulBytes``)."""
    assert "NUL" in field_error(api.get(path, params=params), field)["message"]


def test_a_short_page_tells_its_total_without_counting(api: TestClient, clean_db: Any) -> None:
    """A page shorter than the limit ends the list: its total is known without a count query
    (issue #17: the workspace reads its lists whole); a full page, or an empty one past the
    end, still counts."""
    from tests.conftest import statements

    def total(**params: int) -> tuple[int, bool]:
        with statements(clean_db) as seen:
            page = api.get(URL, params=params).json()
        return page["total"], any("count(" in s.lower() for s in seen)

    assert total(limit=1000) == (70, False)
    assert total(limit=16, offset=64) == (70, False)  # the last page, 6 rows
    assert total(limit=16, offset=16) == (70, True)  # a full page cannot tell
    assert total(limit=16, offset=70) == (70, True)  # empty past the end
    assert total(limit=16, offset=1000) == (70, True)
