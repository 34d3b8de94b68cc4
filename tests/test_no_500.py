"""What the fuzzer found answers 422 (or 404) with a Vietnamese message, never a 500."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.accounts.models import User
from app.pagination import MAX_OFFSET

HUGE = 2**63 + 1


def _list_paths(application: FastAPI) -> list[str]:
    """Every GET under /api/v1 that pages with ``offset``, with its path parameters filled in."""
    paths = []
    for path, operations in application.openapi()["paths"].items():
        get = operations.get("get")
        if get and any(p["name"] == "offset" for p in get.get("parameters", [])):
            paths.append(path.replace("{reading_id}", "1"))
    return paths


def _assert_vietnamese_422(response, field: str) -> dict:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert detail["code"] == "invalid"
    fields = {e["field"]: e["message"] for e in detail["errors"]}
    assert field in fields, detail
    return fields


def test_an_offset_past_64_bits_is_a_422_on_every_list(api: TestClient) -> None:
    paths = _list_paths(api.app)
    assert len(paths) >= 12, paths
    for path in paths:
        response = api.get(path, params={"offset": HUGE})
        fields = _assert_vietnamese_422(response, "offset")
        assert fields["offset"] == f"Phải nhỏ hơn hoặc bằng {MAX_OFFSET}.", path


def test_the_largest_offset_allowed_still_answers_an_empty_page(api: TestClient) -> None:
    response = api.get("/api/v1/units", params={"offset": MAX_OFFSET})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_nul_in_a_path_is_a_422(api: TestClient) -> None:
    response = api.get("/api/v1/units/vh%00xh")
    fields = _assert_vietnamese_422(response, "path")
    assert "NUL" in fields["path"] and "không được chấp nhận" in fields["path"]


def test_nul_in_a_query_value_names_the_parameter(api: TestClient) -> None:
    response = api.get("/api/v1/readings", params={"unit": "vh\x00xh"})
    _assert_vietnamese_422(response, "unit")


def test_nul_on_a_page_is_a_422_page(anon: TestClient) -> None:
    response = anon.get("/login", params={"next": "/\x00"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "không được chấp nhận" in response.text


def test_nul_under_static_files_is_a_422_not_a_500(anon: TestClient) -> None:
    response = anon.get("/static/app%00.css")
    assert response.status_code == 422


def test_a_report_version_past_32_bits_is_a_422(api: TestClient) -> None:
    response = api.get(f"/api/v1/reports/consolidated/versions/2025-10/{2**31}")
    fields = _assert_vietnamese_422(response, "version")
    assert fields["version"] == f"Phải nhỏ hơn hoặc bằng {2**31 - 1}."


def test_patching_a_users_email_to_null_is_a_422_and_changes_nothing(
    api: TestClient, seeded: Session
) -> None:
    before = seeded.exec(select(User).where(User.username == "admin")).one()
    response = api.patch("/api/v1/users/admin", json={"email": None})
    fields = _assert_vietnamese_422(response, "email")
    assert fields["email"] == "Phải là chuỗi ký tự."
    seeded.expire_all()
    after = seeded.exec(select(User).where(User.username == "admin")).one()
    assert (after.email, after.version) == (before.email, before.version)
    cleared = api.patch("/api/v1/users/admin", json={"email": ""})
    assert cleared.status_code == 200, cleared.text


def test_a_bug_answers_in_our_shape_never_plain_text(app_factory) -> None:
    app = app_factory()

    @app.get("/api/v1/boom")
    def boom_api() -> None:
        raise RuntimeError("boom")

    @app.get("/boom")
    def boom_page() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        api_answer = client.get("/api/v1/boom")
        page_answer = client.get("/boom")
    assert api_answer.status_code == 500
    assert api_answer.json()["detail"]["code"] == "server_error"
    assert "lỗi không mong muốn" in api_answer.json()["detail"]["message"]
    assert page_answer.status_code == 500
    assert page_answer.headers["content-type"].startswith("text/html")
    assert "lỗi không mong muốn" in page_answer.text


def test_control_characters_are_refused_with_the_field_named(api: TestClient) -> None:
    """Found by the fuzzer: a \\x01 in the report settings was stored, and every consolidated
    report (docx, xlsx) then failed with a 500."""
    resp = api.put("/api/v1/reports/config", json={"place": "Phú\x01 Định"})
    assert resp.status_code == 422, resp.text
    [error] = resp.json()["detail"]["errors"]
    assert (error["field"], error["code"]) == ("place", "control_character")
    assert "U+0001" in error["message"]
    unit = api.post(
        "/api/v1/units",
        json={"code": "to-moi", "name": "Tổ\x07 mới", "short_name": "TM", "kind": "other"},
    )
    assert unit.status_code == 422 and unit.json()["detail"]["errors"][0]["field"] == "name"


def test_text_stored_with_control_characters_still_exports(
    api: TestClient, seeded: Session
) -> None:
    """Text written before the refusal (or by a feed) must not break the documents."""
    from app.reports.models import ReportConfig

    row = seeded.exec(select(ReportConfig)).first()
    if row is None:
        assert api.get("/api/v1/reports/config").status_code == 200
        row = seeded.exec(select(ReportConfig)).first()
    if row is not None:
        row.place = "Phú\x01 Định"
        seeded.add(row)
        seeded.commit()
    csv_body = (
        "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at\n"
        "C1,ttpvhcc,1.001,Khai\x02 sinh,ho-tich,online,2025-10-01,2025-10-03\n"
    )
    sent = api.post(
        "/api/v1/dossiers/bulk", content=csv_body.encode(), headers={"Content-Type": "text/csv"}
    )
    assert sent.status_code in (200, 422), sent.text
    for url in (
        "/api/v1/reports/consolidated?period=2025-10&format=docx",
        "/api/v1/reports/consolidated?period=2025-10&format=xlsx",
        "/api/v1/exports/dossiers.xlsx",
    ):
        assert api.get(url).status_code == 200, url
