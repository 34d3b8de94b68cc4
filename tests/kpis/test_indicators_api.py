"""JSON API for TTHC domains and indicators: ``/api/v1/domains`` and ``/api/v1/indicators``.

Tests on ``api`` start from Plan 84 as seeded, on 2025-11-20; expectations are computed from the
seed data file rather than copied, with a few spot checks.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.kpis.models import Domain, Indicator
from app.seed.service import load_data

API = "/api/v1"
DOMAINS = f"{API}/domains"
URL = f"{API}/indicators"

#: Vietnamese letters with diacritics; a message carrying none of them is not Vietnamese.
VIETNAMESE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")

SEED = load_data()
SEED_INDICATORS: list[dict[str, Any]] = SEED["indicators"]
INDICATOR = {i["code"]: i for i in SEED_INDICATORS}


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


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def new_indicator(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": "sipas_satisfaction",
        "name": "Mức độ hài lòng của người dân (SIPAS)",
        "description": "Chỉ số hài lòng đạt từ 90% trở lên.",
        "area": "par8",
        "measure": "percent",
        "comparator": ">=",
        "target": 90,
        "due_date": "2025-12-31",
        "responsible_unit": "vhxh",
        "disaggregation": "none",
        "source_section": "II.1.8",
        "assignment": "II.1.8.1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def get(client: TestClient, code: str) -> dict[str, Any]:
    resp = client.get(f"{URL}/{code}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def listing(client: TestClient, **params: Any) -> dict[str, Any]:
    resp = client.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def codes(client: TestClient, **params: Any) -> list[str]:
    return [i["code"] for i in listing(client, **params)["items"]]


# --- domains -------------------------------------------------------------------------------------


def test_domains_list_the_seeded_domains_in_order(api: TestClient) -> None:
    resp = api.get(DOMAINS)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert [d["code"] for d in got] == [d["code"] for d in SEED["domains"]]
    assert [d["name"] for d in got] == [d["name"] for d in SEED["domains"]]
    assert [d["position"] for d in got] == list(range(1, len(SEED["domains"]) + 1))
    assert got[0] == {"code": "ho-tich", "name": "Hộ tịch", "position": 1, "active": True}
    assert {"chung-thuc", "dat-dai", "xay-dung", "ho-kinh-doanh", "nguoi-co-cong"} <= {
        d["code"] for d in got
    }


def test_domains_of_an_empty_database(client: TestClient) -> None:
    assert client.get(DOMAINS).json() == []


def test_create_a_domain(api: TestClient) -> None:
    resp = api.post(DOMAINS, json={"code": "tu-phap", "name": "Tư pháp", "position": 99})
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"code": "tu-phap", "name": "Tư pháp", "position": 99, "active": True}
    listed = [d["code"] for d in api.get(DOMAINS).json()]
    assert listed[-1] == "tu-phap"
    assert len(listed) == len(SEED["domains"]) + 1


def test_domains_with_the_same_position_are_ordered_by_code(client: TestClient) -> None:
    for code in ("zeta", "alpha", "mu"):
        assert client.post(DOMAINS, json={"code": code, "name": code.title()}).status_code == 201
    assert [d["code"] for d in client.get(DOMAINS).json()] == ["alpha", "mu", "zeta"]


def test_a_new_domain_can_carry_readings(api: TestClient) -> None:
    assert api.post(DOMAINS, json={"code": "tu-phap", "name": "Tư pháp"}).status_code == 201
    body = {
        "indicator": "tthc_ontime",
        "unit": "ttpvhcc",
        "period": "2025-10",
        "domain": "tu-phap",
        "value": 99,
    }
    assert api.put(f"{API}/readings", json=body).status_code == 201


def test_create_a_duplicate_domain_is_409(api: TestClient, db_session: Session) -> None:
    before = count(db_session, Domain)
    resp = api.post(DOMAINS, json={"code": "ho-tich", "name": "Hộ tịch 2"})
    field_error(resp, "code", "duplicate", status=409)
    assert detail(resp, 409)["code"] == "domain_exists"
    assert count(db_session, Domain) == before
    assert api.get(DOMAINS).json()[0]["name"] == "Hộ tịch"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "Hộ tịch", "name": "Hộ tịch"}, "code"),
        ({"code": "Bad Code!", "name": "X"}, "code"),
        ({"code": "", "name": "X"}, "code"),
        ({"name": "X"}, "code"),
        ({"code": "tu-phap", "name": "  "}, "name"),
        ({"code": "tu-phap"}, "name"),
        ({"code": "tu-phap", "name": "Tư pháp", "position": -1}, "position"),
        ({"code": "tu-phap", "name": "Tư pháp", "colour": "red"}, "colour"),
    ],
)
def test_create_a_malformed_domain_is_422(
    api: TestClient, db_session: Session, body: dict[str, Any], field: str
) -> None:
    before = count(db_session, Domain)
    field_error(api.post(DOMAINS, json=body), field)
    assert count(db_session, Domain) == before


# --- indicators: list ----------------------------------------------------------------------------


def test_list_holds_the_fifteen_targets(api: TestClient) -> None:
    page = listing(api)
    assert page["total"] == len(SEED_INDICATORS) == 15
    assert (page["limit"], page["offset"]) == (100, 0)
    assert [i["code"] for i in page["items"]] == [i["code"] for i in SEED_INDICATORS]
    for item in page["items"]:
        seed = INDICATOR[item["code"]]
        for key in ("name", "area", "measure", "comparator", "responsible_unit", "disaggregation"):
            assert item[key] == seed[key], (item["code"], key)
        assert item["target"] == seed["target"]
        assert item["due_date"] == seed["due_date"]
        assert item["assignment"] == seed["assignment"]
        assert (item["plan"], item["version"], item["active"]) == ("kh-84-2025", 1, True)


def test_list_pages_stably(api: TestClient) -> None:
    pages = [listing(api, limit=4, offset=o) for o in range(0, 16, 4)]
    assert [len(p["items"]) for p in pages] == [4, 4, 4, 3]
    assert all(p["total"] == 15 for p in pages)
    assert [i["code"] for p in pages for i in p["items"]] == [i["code"] for i in SEED_INDICATORS]


@pytest.mark.parametrize("area", [f"par{i}" for i in range(1, 9)])
def test_list_by_area(api: TestClient, area: str) -> None:
    expected = [i["code"] for i in SEED_INDICATORS if i["area"] == area]
    page = listing(api, area=area)
    assert [i["code"] for i in page["items"]] == expected
    assert page["total"] == len(expected)


@pytest.mark.parametrize("unit", sorted(u["code"] for u in SEED["units"]))
def test_list_by_responsible_unit(api: TestClient, unit: str) -> None:
    expected = [i["code"] for i in SEED_INDICATORS if i["responsible_unit"] == unit]
    assert codes(api, unit=unit) == expected


def test_list_filter_spot_checks(api: TestClient) -> None:
    assert codes(api, area="par6") == ["disbursement"]
    assert codes(api, unit="vp") == ["complaint_ontime"]
    assert codes(api, unit="mttq") == []
    assert codes(api, area="par7", unit="kthtdt") == []
    assert "online_dossier" in codes(api, area="par7", unit="ttpvhcc")


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"area": "par9"}, "area_not_found"),
        ({"unit": "khong-co"}, "unit_not_found"),
        ({"plan": "kh-99"}, "plan_not_found"),
    ],
)
def test_list_with_an_unknown_filter_is_404(
    api: TestClient, params: dict[str, str], code: str
) -> None:
    assert detail(api.get(URL, params=params), 404)["code"] == code


def test_list_refuses_bad_paging(api: TestClient) -> None:
    field_error(api.get(URL, params={"limit": 0}), "limit")
    field_error(api.get(URL, params={"offset": -1}), "offset")


def test_list_with_no_plan_loaded_is_404(client: TestClient) -> None:
    assert detail(client.get(URL), 404)["code"] == "plan_not_found"


# --- indicators: get -----------------------------------------------------------------------------


def test_get_tthc_ontime(api: TestClient) -> None:
    got = get(api, "tthc_ontime")
    assert (got["comparator"], got["target"], got["disaggregation"]) == (">=", 98, "domain")
    assert (got["measure"], got["area"], got["responsible_unit"]) == ("percent", "par3", "ttpvhcc")
    assert got["assignment"] == "II.1.3.2"
    assert got["source_section"] == "II.1.3"
    assert got["name"] == INDICATOR["tthc_ontime"]["name"]


@pytest.mark.parametrize("code", [i["code"] for i in SEED_INDICATORS])
def test_get_every_seeded_indicator(api: TestClient, code: str) -> None:
    got = get(api, code)
    seed = INDICATOR[code]
    assert (got["comparator"], got["target"]) == (seed["comparator"], seed["target"])


def test_get_an_unknown_indicator_is_404(api: TestClient) -> None:
    got = detail(api.get(f"{URL}/khong_co"), 404)
    assert got["code"] == "indicator_not_found"
    assert "chỉ tiêu" in got["message"] and "khong_co" in got["message"]


# --- indicators: create --------------------------------------------------------------------------


def test_create_answers_201(api: TestClient) -> None:
    resp = api.post(URL, json=new_indicator())
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert got["code"] == "sipas_satisfaction"
    assert (got["comparator"], got["target"], got["measure"]) == (">=", 90, "percent")
    assert (got["area"], got["responsible_unit"], got["assignment"]) == (
        "par8",
        "vhxh",
        "II.1.8.1",
    )
    assert (got["due_date"], got["disaggregation"]) == ("2025-12-31", "none")
    assert (got["version"], got["active"], got["plan"]) == (1, True, "kh-84-2025")
    assert get(api, "sipas_satisfaction") == got
    assert listing(api)["total"] == 16
    assert api.get(f"{API}/plans/kh-84-2025").json()["indicator_count"] == 16
    assert "sipas_satisfaction" in codes(api, area="par8", unit="vhxh")


def test_create_with_defaults(api: TestClient) -> None:
    body = {"code": "x_count", "name": "Số mô hình mới", "area": "par1", "comparator": ">="}
    resp = api.post(URL, json={**body, "target": 2})
    assert resp.status_code == 201, resp.text
    got = resp.json()
    assert (got["measure"], got["disaggregation"], got["description"]) == ("percent", "none", "")
    assert (got["responsible_unit"], got["assignment"], got["due_date"]) == (None, None, None)


def test_create_a_count_target_above_100(api: TestClient) -> None:
    resp = api.post(URL, json=new_indicator(code="new_models", measure="count", target=150))
    assert resp.status_code == 201, resp.text
    assert resp.json()["target"] == 150


def test_create_a_duplicate_code_is_409(api: TestClient, db_session: Session) -> None:
    before = count(db_session, Indicator)
    resp = api.post(URL, json=new_indicator(code="tthc_ontime"))
    field_error(resp, "code", "duplicate", status=409)
    assert detail(resp, 409)["code"] == "indicator_exists"
    assert count(db_session, Indicator) == before
    assert get(api, "tthc_ontime")["target"] == 98


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_create_refuses_non_finite_targets(api: TestClient, db_session: Session, raw: str) -> None:
    """Python's JSON parser accepts ``NaN`` and ``Infinity``; the schema must not."""
    before = count(db_session, Indicator)
    text = (
        '{"code": "x_nan", "name": "Chỉ tiêu", "area": "par3", "comparator": ">=", '
        f'"target": {raw}}}'
    )
    resp = api.post(URL, content=text, headers={"content-type": "application/json"})
    err = field_error(resp, "target")
    assert "NaN" in err["message"]
    assert count(db_session, Indicator) == before


@pytest.mark.parametrize(("target", "code"), [(100.5, "out_of_range"), (-1, "out_of_range")])
def test_create_refuses_a_percent_outside_0_100(
    api: TestClient, db_session: Session, target: float, code: str
) -> None:
    before = count(db_session, Indicator)
    err = field_error(api.post(URL, json=new_indicator(target=target)), "target", code)
    assert "100" in err["message"]
    assert count(db_session, Indicator) == before


def test_create_refuses_a_negative_count(api: TestClient) -> None:
    resp = api.post(URL, json=new_indicator(measure="count", target=-3))
    field_error(resp, "target", "negative")


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"comparator": "<>"}, "comparator", "enum"),
        ({"comparator": "=>"}, "comparator", "enum"),
        ({"measure": "ratio"}, "measure", "enum"),
        ({"disaggregation": "unit"}, "disaggregation", "enum"),
        ({"target": "nhiều"}, "target", "not_a_number"),
        ({"target": ...}, "target", "missing"),
        ({"comparator": ...}, "comparator", "missing"),
        ({"area": ...}, "area", "missing"),
        ({"name": " "}, "name", None),
        ({"code": "Bad Code!"}, "code", "string_pattern_mismatch"),
        ({"due_date": "2025-13-01"}, "due_date", None),
        ({"weight": 2}, "weight", "extra_forbidden"),
        ({"version": 1}, "version", "extra_forbidden"),
    ],
)
def test_create_refuses_malformed_bodies(
    api: TestClient, db_session: Session, overrides: dict[str, Any], field: str, code: str | None
) -> None:
    before = count(db_session, Indicator)
    field_error(api.post(URL, json=new_indicator(**overrides)), field, code)
    assert count(db_session, Indicator) == before


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"area": "par9"}, "area_not_found"),
        ({"responsible_unit": "khong-co"}, "unit_not_found"),
        ({"assignment": "II.9.9"}, "assignment_not_found"),
        ({"plan": "kh-99"}, "plan_not_found"),
    ],
)
def test_create_with_an_unknown_reference_is_404(
    api: TestClient, db_session: Session, overrides: dict[str, Any], code: str
) -> None:
    before = count(db_session, Indicator)
    assert detail(api.post(URL, json=new_indicator(**overrides)), 404)["code"] == code
    assert count(db_session, Indicator) == before


# --- indicators: update --------------------------------------------------------------------------


def test_update_the_target_bumps_the_version(api: TestClient) -> None:
    resp = api.patch(f"{URL}/online_dossier", json={"target": 85})
    assert resp.status_code == 200, resp.text
    got = resp.json()
    assert (got["target"], got["version"]) == (85, 2)
    assert got["comparator"] == ">=" and got["responsible_unit"] == "ttpvhcc"
    assert get(api, "online_dossier") == got
    resp = api.patch(f"{URL}/online_dossier", json={"target": 90, "version": 2})
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 3


def test_update_several_fields(api: TestClient) -> None:
    body = {
        "name": "Tỷ lệ giải ngân vốn đầu tư công",
        "comparator": ">=",
        "target": 95,
        "responsible_unit": "vp",
        "due_date": None,
        "area": "par8",
    }
    got = api.patch(f"{URL}/disbursement", json=body).json()
    assert (got["name"], got["comparator"], got["target"]) == (body["name"], ">=", 95)
    assert (got["responsible_unit"], got["due_date"], got["area"]) == ("vp", None, "par8")
    assert codes(api, unit="vp") == ["complaint_ontime", "disbursement"]


def test_update_with_a_stale_version_is_409_and_changes_nothing(api: TestClient) -> None:
    assert api.patch(f"{URL}/reuse_digitized", json={"target": 60, "version": 1}).is_success
    before = get(api, "reuse_digitized")
    resp = api.patch(f"{URL}/reuse_digitized", json={"target": 70, "version": 1})
    field_error(resp, "version", "stale_version", status=409)
    assert detail(resp, 409)["code"] == "stale_version"
    assert get(api, "reuse_digitized") == before
    assert before["target"] == 60


def test_changing_disaggregation_with_readings_is_409(api: TestClient) -> None:
    reading = {"indicator": "complaint_ontime", "unit": "vp", "period": "2025-10", "value": 96}
    assert api.put(f"{API}/readings", json=reading).status_code == 201
    before = get(api, "complaint_ontime")
    got = detail(api.patch(f"{URL}/complaint_ontime", json={"disaggregation": "domain"}), 409)
    assert got["code"] == "indicator_in_use"
    assert "số liệu" in got["message"]
    assert get(api, "complaint_ontime") == before
    # Restating the current value is not a change.
    resp = api.patch(f"{URL}/complaint_ontime", json={"disaggregation": "none", "target": 96})
    assert resp.status_code == 200, resp.text
    assert resp.json()["target"] == 96


def test_changing_disaggregation_without_readings(api: TestClient) -> None:
    resp = api.patch(f"{URL}/complaint_ontime", json={"disaggregation": "domain"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["disaggregation"] == "domain"


def test_update_refuses_a_percent_target_above_100(api: TestClient) -> None:
    before = get(api, "online_dossier")
    field_error(api.patch(f"{URL}/online_dossier", json={"target": 101}), "target", "out_of_range")
    assert get(api, "online_dossier") == before


def test_update_measure_checks_the_target_it_keeps(api: TestClient) -> None:
    resp = api.patch(f"{URL}/online_dossier", json={"measure": "count", "target": 400})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["measure"], resp.json()["target"]) == ("count", 400)
    before = get(api, "online_dossier")
    resp = api.patch(f"{URL}/online_dossier", json={"measure": "percent"})
    field_error(resp, "target", "out_of_range")
    assert get(api, "online_dossier") == before


def test_update_refuses_a_non_finite_target(api: TestClient) -> None:
    before = get(api, "online_dossier")
    resp = api.patch(
        f"{URL}/online_dossier",
        content='{"target": NaN}',
        headers={"content-type": "application/json"},
    )
    field_error(resp, "target")
    assert get(api, "online_dossier") == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": None}, "target"),
        ({"comparator": None}, "comparator"),
        ({"name": None}, "name"),
        ({"comparator": "≥"}, "comparator"),
        ({"code": "new_code"}, "code"),
        ({"version": 0}, "version"),
    ],
)
def test_update_refuses_malformed_bodies(api: TestClient, body: dict[str, Any], field: str) -> None:
    before = get(api, "tthc_ontime")
    field_error(api.patch(f"{URL}/tthc_ontime", json=body), field)
    assert get(api, "tthc_ontime") == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"area": "par9"}, "area_not_found"),
        ({"responsible_unit": "khong-co"}, "unit_not_found"),
        ({"assignment": "II.9.9"}, "assignment_not_found"),
    ],
)
def test_update_with_an_unknown_reference_is_404(
    api: TestClient, body: dict[str, Any], code: str
) -> None:
    before = get(api, "tthc_ontime")
    assert detail(api.patch(f"{URL}/tthc_ontime", json=body), 404)["code"] == code
    assert get(api, "tthc_ontime") == before


def test_update_an_unknown_indicator_is_404(api: TestClient) -> None:
    resp = api.patch(f"{URL}/khong_co", json={"target": 5})
    assert detail(resp, 404)["code"] == "indicator_not_found"
