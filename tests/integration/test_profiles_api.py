"""Mapping profiles through the JSON API: list, create, edit with versions, preview a file."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_token
from tests.integration.test_profiles import HEADERS, ROWS

SPEC = {
    "columns": {
        "code": ["Số HS"],
        "received_at": ["Nhận"],
        "due_at": ["Hẹn"],
        "domain": ["LV"],
        "channel": ["Kênh"],
    },
    "defaults": {"unit": "ttpvhcc"},
    "ignore": ["Họ tên"],
}


def test_the_shipped_profile_travels_through_the_api(api: TestClient) -> None:
    listed = api.get("/api/v1/import-profiles")
    assert listed.status_code == 200
    shipped = next(p for p in listed.json() if p["code"] == "mot-cua-hcm")
    assert shipped["shipped"] and not shipped["edited"] and shipped["version"] == 0
    assert "Số điện thoại" in shipped["spec"]["ignore"]
    assert shipped["spec"]["values"]["channel"]["Bưu chính"] == "postal"
    assert api.get("/api/v1/import-profiles/khong-co").status_code == 404


def test_create_edit_and_refuse_through_the_api(api: TestClient) -> None:
    created = api.post(
        "/api/v1/import-profiles", json={"code": "quan-7", "name": "Một cửa Q7", "spec": SPEC}
    )
    assert created.status_code == 201, created.text
    assert (
        api.post(
            "/api/v1/import-profiles", json={"code": "quan-7", "name": "Lại", "spec": SPEC}
        ).status_code
        == 409
    )
    bad = api.put(
        "/api/v1/import-profiles/quan-7",
        json={"spec": {**SPEC, "defaults": {"digitized": "false"}}, "version": 1},
    )
    assert bad.status_code == 422
    assert "chưa rõ" in bad.json()["detail"]["errors"][0]["message"]
    ok = api.put("/api/v1/import-profiles/quan-7", json={"name": "Một cửa Q7 mới", "version": 1})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api.put("/api/v1/import-profiles/quan-7", json={"name": "Cũ", "version": 1})
    assert stale.status_code == 409
    assert api.delete("/api/v1/import-profiles/quan-7").status_code == 204
    assert api.get("/api/v1/import-profiles/quan-7").status_code == 404


def test_preview_a_file_and_roles(api: TestClient, clean_db: Engine, clock: FixedClock) -> None:
    body = (",".join(HEADERS) + "\n" + ",".join(ROWS[0]) + "\n").encode("utf-8")
    seen = api.post(
        "/api/v1/import-profiles/mot-cua-hcm/preview",
        files={"file": ("ds.csv", body, "text/csv")},
    )
    assert seen.status_code == 200, seen.text
    row = seen.json()["rows"][0]
    assert row["row"] == 2 and row["values"]["received_at"] == "03/10/2025 08:30"
    assert row["values"]["domain"] == "ho-tich" and row["problems"] == []
    viewer = make_token(clean_db, clock, username="ld.xem", role="viewer")
    refused = api.post(
        "/api/v1/import-profiles",
        json={"code": "x", "name": "X", "spec": SPEC},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert refused.status_code == 403
