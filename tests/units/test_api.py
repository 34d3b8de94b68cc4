"""JSON API for units: ``GET/POST /api/v1/units`` and ``GET/PATCH/DELETE /api/v1/units/{code}``.

Tests on ``api`` start from Plan 84 as seeded; tests on ``client`` start from an empty database.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.seed.service import load_data
from app.units.models import Unit

URL = "/api/v1/units"

#: Vietnamese letters with diacritics; a message carrying none of them is not Vietnamese.
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")

SEED = load_data()
SEED_CODES = sorted(u["code"] for u in SEED["units"])


def detail(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    return resp.json()["detail"]


def field_error(resp: Any, field: str, code: str | None = None, status: int = 422) -> dict:
    """The error entry for ``field`` in a refused request (checking its code when given)."""
    errors = detail(resp, status)["errors"]
    matching = [e for e in errors if e["field"] == field]
    assert matching, f"no error for {field!r} in {errors}"
    if code is not None:
        assert code in {e["code"] for e in matching}, matching
    assert VIETNAMESE.search(matching[0]["message"]), matching[0]
    return matching[0]


def new_unit(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "tccd",
        "name": "Tổ công tác chuyển đổi số",
        "short_name": "TCT-CĐS",
        "kind": "other",
        "parent": "phu-dinh",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def units(client: TestClient, **params: Any) -> dict[str, Any]:
    resp = client.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def codes(page: dict[str, Any]) -> list[str]:
    return [u["code"] for u in page["items"]]


def count_units(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Unit)).one()


# --- list ----------------------------------------------------------------------------------------


def test_list_is_empty_on_an_empty_database(client: TestClient) -> None:
    page = units(client)
    assert page == {"items": [], "total": 0, "limit": 100, "offset": 0}


def test_list_holds_the_seeded_units_ordered_by_code(api: TestClient) -> None:
    page = units(api)
    assert codes(page) == SEED_CODES
    assert page["total"] == len(SEED_CODES) == 6
    by_code = {u["code"]: u for u in page["items"]}
    for item in SEED["units"]:
        got = by_code[item["code"]]
        assert (got["name"], got["short_name"], got["kind"], got["parent"]) == (
            item["name"],
            item["short_name"],
            item["kind"],
            item["parent"],
        )
        assert got["active"] is True


def test_list_pages_through_the_units_with_a_stable_total(api: TestClient) -> None:
    first = units(api, limit=4, offset=0)
    second = units(api, limit=4, offset=4)
    assert (first["limit"], first["offset"], second["offset"]) == (4, 0, 4)
    assert first["total"] == second["total"] == len(SEED_CODES)
    assert codes(first) == SEED_CODES[:4]
    assert codes(second) == SEED_CODES[4:]
    beyond = units(api, limit=4, offset=100)
    assert beyond["items"] == [] and beyond["total"] == len(SEED_CODES)


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"offset": -1}, "offset")],
)
def test_list_refuses_bad_paging(api: TestClient, params: dict[str, int], field: str) -> None:
    field_error(api.get(URL, params=params), field)


def test_list_filters_by_active(api: TestClient) -> None:
    assert api.patch(f"{URL}/mttq", json={"active": False}).status_code == 200
    inactive = units(api, active="false")
    assert codes(inactive) == ["mttq"] and inactive["total"] == 1
    active = units(api, active="true")
    assert codes(active) == [c for c in SEED_CODES if c != "mttq"]
    assert active["total"] == len(SEED_CODES) - 1


def test_list_filters_by_parent(api: TestClient) -> None:
    children = units(api, parent="phu-dinh")
    expected = sorted(u["code"] for u in SEED["units"] if u["parent"] == "phu-dinh")
    assert codes(children) == expected and children["total"] == 5
    assert units(api, parent="vhxh")["items"] == []


def test_list_with_an_unknown_parent_is_404(api: TestClient) -> None:
    got = detail(api.get(URL, params={"parent": "khong-co"}), 404)
    assert got["code"] == "unit_not_found"
    assert "khong-co" in got["message"]


def seed_matches(text: str) -> list[str]:
    """Seeded unit codes whose code or name contains ``text``, case aside."""
    needle = text.casefold()
    return sorted(
        u["code"]
        for u in SEED["units"]
        if needle in u["code"].casefold() or needle in u["name"].casefold()
    )


def test_list_searches_code_and_name_ignoring_case(api: TestClient) -> None:
    assert codes(units(api, q="VHX")) == ["vhxh"]
    assert codes(units(api, q="PHÒNG")) == seed_matches("phòng") == ["kthtdt", "vhxh", "vp"]
    # Upper-case Vietnamese letters fold on SQLite too (SQLite's lower() is ASCII-only).
    assert codes(units(api, q="ủy ban")) == seed_matches("ủy ban") == ["mttq", "phu-dinh", "vp"]
    assert codes(units(api, q="ỦY BAN NHÂN DÂN PHƯỜNG PHÚ")) == ["phu-dinh"]
    assert units(api, q="không có đơn vị này")["total"] == 0


def test_search_reads_wildcards_literally(api: TestClient) -> None:
    assert units(api, q="%")["total"] == 0
    assert units(api, q="_")["total"] == 0
    created = api.post(URL, json=new_unit(code="to_cds"))
    assert created.status_code == 201, created.text
    assert codes(units(api, q="_")) == ["to_cds"]


def test_search_matches_decomposed_input(api: TestClient) -> None:
    import unicodedata

    assert codes(units(api, q=unicodedata.normalize("NFD", "Văn hóa"))) == ["vhxh"]


def test_filters_combine(api: TestClient) -> None:
    assert api.patch(f"{URL}/vp", json={"active": False}).status_code == 200
    page = units(api, parent="phu-dinh", active="true", q="phòng", limit=1)
    assert codes(page) == ["kthtdt"] and page["total"] == 2


# --- get -----------------------------------------------------------------------------------------


def test_get_one_unit(api: TestClient) -> None:
    resp = api.get(f"{URL}/vhxh")
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert got["code"] == "vhxh"
    assert got["name"] == "Phòng Văn hóa - Xã hội"
    assert got["parent"] == "phu-dinh"
    assert got["kind"] == "office"
    assert api.get(f"{URL}/phu-dinh").json()["parent"] is None


def test_get_unknown_unit_is_404_in_vietnamese(api: TestClient) -> None:
    got = detail(api.get(f"{URL}/khong-co"), 404)
    assert got["code"] == "unit_not_found"
    assert "đơn vị" in got["message"] and "khong-co" in got["message"]


# --- create --------------------------------------------------------------------------------------


def test_create_answers_201_and_the_unit_is_listed(api: TestClient, clock: FixedClock) -> None:
    resp = api.post(URL, json=new_unit())
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["code"] == "tccd"
    assert got["name"] == "Tổ công tác chuyển đổi số"
    assert got["parent"] == "phu-dinh"
    assert got["kind"] == "other"
    assert got["active"] is True
    assert got["created_at"] == got["updated_at"]
    assert api.get(f"{URL}/tccd").json() == got
    assert "tccd" in codes(units(api, parent="phu-dinh"))


def test_create_a_root_unit_on_an_empty_database(client: TestClient) -> None:
    resp = client.post(URL, json=new_unit(code="phuong-x", kind="committee", parent=...))
    assert resp.status_code == 201, resp.text
    assert resp.json()["parent"] is None
    assert resp.json()["kind"] == "committee"
    assert units(client)["total"] == 1


def test_create_defaults_kind_to_office(client: TestClient) -> None:
    resp = client.post(URL, json=new_unit(kind=..., parent=...))
    assert resp.status_code == 201, resp.text
    assert resp.json()["kind"] == "office"


def test_create_a_duplicate_code_is_409_on_code(api: TestClient, db_session: Session) -> None:
    before = count_units(db_session)
    resp = api.post(URL, json=new_unit(code="vhxh"))
    err = field_error(resp, "code", "duplicate", status=409)
    assert err["message"]
    assert "vhxh" in detail(resp, 409)["message"]
    assert count_units(db_session) == before
    assert api.get(f"{URL}/vhxh").json()["name"] == "Phòng Văn hóa - Xã hội"


@pytest.mark.parametrize("code", ["Bad Code!", "VHXH", "-dash-first", "", "a" * 65, "đơn-vị"])
def test_create_refuses_a_malformed_code(client: TestClient, code: str) -> None:
    field_error(client.post(URL, json=new_unit(code=code, parent=...)), "code")
    assert units(client)["total"] == 0


@pytest.mark.parametrize("field", ["name", "short_name"])
def test_create_refuses_empty_text(client: TestClient, field: str) -> None:
    field_error(client.post(URL, json=new_unit(parent=..., **{field: "   "})), field)
    assert units(client)["total"] == 0


@pytest.mark.parametrize("field", ["code", "name", "short_name"])
def test_create_refuses_a_missing_field(client: TestClient, field: str) -> None:
    field_error(client.post(URL, json=new_unit(parent=..., **{field: ...})), field, "missing")


def test_create_refuses_unknown_fields(client: TestClient) -> None:
    resp = client.post(URL, json=new_unit(parent=..., colour="blue"))
    field_error(resp, "colour", "extra_forbidden")
    assert units(client)["total"] == 0


def test_create_refuses_an_unknown_kind(client: TestClient) -> None:
    field_error(client.post(URL, json=new_unit(parent=..., kind="ministry")), "kind", "enum")


def test_create_refuses_a_name_too_long(client: TestClient) -> None:
    field_error(client.post(URL, json=new_unit(parent=..., name="x" * 256)), "name")


def test_create_refuses_malformed_json(client: TestClient) -> None:
    resp = client.post(URL, content=b"{not json", headers={"content-type": "application/json"})
    assert detail(resp, 422)["errors"]
    assert units(client)["total"] == 0


def test_create_under_an_unknown_parent_is_404(api: TestClient, db_session: Session) -> None:
    before = count_units(db_session)
    got = detail(api.post(URL, json=new_unit(parent="khong-co")), 404)
    assert got["code"] == "unit_not_found"
    assert "khong-co" in got["message"] and "đơn vị" in got["message"]
    assert count_units(db_session) == before


# --- update --------------------------------------------------------------------------------------


def test_rename_a_unit(api: TestClient, clock: FixedClock) -> None:
    before = api.get(f"{URL}/vp").json()
    clock.advance(timedelta(hours=2))
    resp = api.patch(f"{URL}/vp", json={"name": "Văn phòng HĐND-UBND", "short_name": "VP"})
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["name"], got["short_name"]) == ("Văn phòng HĐND-UBND", "VP")
    assert got["parent"] == before["parent"] and got["kind"] == before["kind"]
    assert got["created_at"] == before["created_at"]
    assert got["updated_at"] > before["updated_at"]
    assert api.get(f"{URL}/vp").json()["name"] == "Văn phòng HĐND-UBND"


def test_move_a_unit_under_another_parent(api: TestClient) -> None:
    resp = api.patch(f"{URL}/ttpvhcc", json={"parent": "vp"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["parent"] == "vp"
    assert codes(units(api, parent="vp")) == ["ttpvhcc"]
    assert "ttpvhcc" not in codes(units(api, parent="phu-dinh"))


def test_a_null_parent_makes_a_root(api: TestClient) -> None:
    resp = api.patch(f"{URL}/mttq", json={"parent": None})
    assert resp.status_code == 200, resp.text
    assert resp.json()["parent"] is None


@pytest.mark.parametrize(("unit", "parent"), [("vhxh", "vhxh"), ("phu-dinh", "vhxh")])
def test_a_parent_cycle_is_422_on_parent(api: TestClient, unit: str, parent: str) -> None:
    before = api.get(f"{URL}/{unit}").json()
    err = field_error(api.patch(f"{URL}/{unit}", json={"parent": parent}), "parent", "parent_cycle")
    assert "đơn vị" in err["message"].lower()
    assert api.get(f"{URL}/{unit}").json() == before


def test_a_deeper_cycle_is_refused(api: TestClient) -> None:
    assert api.post(URL, json=new_unit(code="to-1", parent="vhxh")).status_code == 201
    assert api.post(URL, json=new_unit(code="to-2", parent="to-1")).status_code == 201
    field_error(api.patch(f"{URL}/vhxh", json={"parent": "to-2"}), "parent", "parent_cycle")
    assert api.get(f"{URL}/vhxh").json()["parent"] == "phu-dinh"


def test_move_under_an_unknown_parent_is_404(api: TestClient) -> None:
    got = detail(api.patch(f"{URL}/vhxh", json={"parent": "khong-co"}), 404)
    assert got["code"] == "unit_not_found"
    assert api.get(f"{URL}/vhxh").json()["parent"] == "phu-dinh"


def test_deactivate_and_reactivate(api: TestClient) -> None:
    resp = api.patch(f"{URL}/mttq", json={"active": False})
    assert resp.status_code == 200, resp.text
    assert resp.json()["active"] is False
    assert api.get(f"{URL}/mttq").json()["active"] is False
    assert api.patch(f"{URL}/mttq", json={"active": True}).json()["active"] is True


def test_change_kind(api: TestClient) -> None:
    resp = api.patch(f"{URL}/ttpvhcc", json={"kind": "office"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["kind"] == "office"


def test_update_refuses_unknown_fields_and_the_code(api: TestClient) -> None:
    field_error(api.patch(f"{URL}/vhxh", json={"colour": "blue"}), "colour", "extra_forbidden")
    field_error(api.patch(f"{URL}/vhxh", json={"code": "vhxh2"}), "code", "extra_forbidden")
    assert api.get(f"{URL}/vhxh").status_code == 200
    assert api.get(f"{URL}/vhxh2").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", None), ("name", " "), ("short_name", None), ("kind", None), ("active", None)],
)
def test_update_refuses_emptying_a_required_field(api: TestClient, field: str, value: Any) -> None:
    before = api.get(f"{URL}/vhxh").json()
    field_error(api.patch(f"{URL}/vhxh", json={field: value}), field)
    assert api.get(f"{URL}/vhxh").json() == before


def test_a_refused_update_changes_nothing(api: TestClient) -> None:
    before = api.get(f"{URL}/vhxh").json()
    resp = api.patch(f"{URL}/vhxh", json={"name": "Tên mới", "parent": "vhxh"})
    field_error(resp, "parent", "parent_cycle")
    assert api.get(f"{URL}/vhxh").json() == before


def test_update_unknown_unit_is_404(api: TestClient) -> None:
    assert detail(api.patch(f"{URL}/khong-co", json={"name": "X"}), 404)["code"] == (
        "unit_not_found"
    )


# --- delete --------------------------------------------------------------------------------------


def test_delete_an_unreferenced_unit(api: TestClient, db_session: Session) -> None:
    assert api.post(URL, json=new_unit()).status_code == 201
    before = count_units(db_session)
    resp = api.delete(f"{URL}/tccd")
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    assert api.get(f"{URL}/tccd").status_code == 404
    assert count_units(db_session) == before - 1


def test_delete_a_referenced_unit_is_409_naming_what_refers_to_it(
    api: TestClient, db_session: Session
) -> None:
    before = count_units(db_session)
    got = detail(api.delete(f"{URL}/vhxh"), 409)
    assert got["code"] == "unit_in_use"
    message = got["message"]
    assert "đơn vị" in message and "vhxh" in message
    # vhxh leads tasks, coordinates others and coordinates the plan itself.
    lead_count = sum(1 for a in SEED["assignments"] if a["lead_unit"] == "vhxh")
    coord_count = sum(1 for a in SEED["assignments"] if "vhxh" in a["coordinating_units"])
    assert f"{lead_count} nhiệm vụ chủ trì" in message
    assert f"{coord_count} nhiệm vụ phối hợp" in message
    assert "kế hoạch" in message
    assert "active = false" in message
    assert api.get(f"{URL}/vhxh").status_code == 200
    assert count_units(db_session) == before


def test_delete_a_unit_with_children_is_409(api: TestClient) -> None:
    assert api.post(URL, json=new_unit(code="cha", parent=...)).status_code == 201
    assert api.post(URL, json=new_unit(code="con", parent="cha")).status_code == 201
    got = detail(api.delete(f"{URL}/cha"), 409)
    assert "1 đơn vị cấp dưới" in got["message"]
    assert api.delete(f"{URL}/con").status_code == 204
    assert api.delete(f"{URL}/cha").status_code == 204


def test_delete_a_unit_with_readings_or_progress_is_409(api: TestClient) -> None:
    assert api.post(URL, json=new_unit(code="to-moi")).status_code == 201
    resp = api.put(
        "/api/v1/readings",
        json={"indicator": "complaint_ontime", "unit": "to-moi", "period": "2025-10", "value": 96},
    )
    assert resp.status_code == 201, resp.text
    resp = api.put(
        "/api/v1/progress",
        json={"assignment": "II.1.1.1", "unit": "to-moi", "period": "2025-10", "status": "done"},
    )
    assert resp.status_code == 201, resp.text
    message = detail(api.delete(f"{URL}/to-moi"), 409)["message"]
    assert "1 số liệu chỉ tiêu" in message and "1 báo cáo tiến độ" in message
    assert api.get(f"{URL}/to-moi").status_code == 200


def test_delete_unknown_unit_is_404(api: TestClient) -> None:
    assert detail(api.delete(f"{URL}/khong-co"), 404)["code"] == "unit_not_found"


# --- text no database can store -------------------------------------------------------------------


@pytest.mark.parametrize("field", ["name", "short_name"])
def test_a_nul_character_is_422_not_a_server_error(
    api: TestClient, db_session: Session, field: str
) -> None:
    """PostgreSQL refuses U+0000 in text; SQLite would store it. Both must answer 422."""
    before = count_units(db_session)
    err = field_error(api.post(URL, json=new_unit(**{field: "Tổ\x00công tác"})), field)
    assert "NUL" in err["message"]
    assert count_units(db_session) == before
    field_error(api.patch(f"{URL}/vhxh", json={field: "Phòng\x00"}), field)
    assert api.get(f"{URL}/vhxh").json()["name"] == "Phòng Văn hóa - Xã hội"


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        (f"{URL}/vh%00xh", {}, "path"),
        (URL, {"parent": "phu\x00dinh"}, "parent"),
    ],
)
def test_a_nul_character_in_a_looked_up_code_is_refused(
    api: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    """NUL in a path or query is refused before routing (``app.errors.RefuseNulBytes``)."""
    assert "NUL" in field_error(api.get(path, params=params), field, "nul_character")["message"]


def test_a_nul_character_in_a_search_is_refused(api: TestClient) -> None:
    field_error(api.get(URL, params={"q": "vh\x00"}), "q", "nul_character")
