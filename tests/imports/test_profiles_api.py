"""Mapping profiles through the JSON API: list, create, edit with versions, preview a file."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.actors import SYSTEM
from app.clock import FixedClock
from app.imports.profiles import service as profiles
from app.imports.profiles.models import ProfileCreate, ProfileSpec
from tests.conftest import make_token
from tests.imports.test_profiles import HEADERS, ROWS

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

API = "/api/v1"
#: Reads a sample and writes nothing: outside the write matrix, its roles are tested here.
READ_ONLY_POSTS = {("POST", "/api/v1/import-profiles/{code}/preview")}


def _saved_profile(ctx: Any) -> str:
    profiles.create_profile(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        data=ProfileCreate(code="tam", name="Tạm", spec=ProfileSpec.model_validate(SPEC)),
    )
    return f"{API}/import-profiles/tam"


#: For ``tests/accounts/test_authorization_matrix.py`` (``CASES.update``) and the audit test.
PROFILE_CASES = {
    ("POST", "/api/v1/import-profiles"): (
        "plan",
        lambda c: (f"{API}/import-profiles", {"code": "quan-7", "name": "Q7", "spec": SPEC}),
    ),
    ("PUT", "/api/v1/import-profiles/{code}"): (
        "plan",
        lambda c: (f"{API}/import-profiles/mot-cua-hcm", {"name": "Một cửa (đã sửa)"}),
    ),
    ("DELETE", "/api/v1/import-profiles/{code}"): (
        "plan",
        lambda c: (_saved_profile(c), None),
    ),
}
PROFILE_AUDIT = {
    ("POST", "/api/v1/import-profiles"): ("import_profile", "create"),
    ("PUT", "/api/v1/import-profiles/{code}"): ("import_profile", "update"),
    ("DELETE", "/api/v1/import-profiles/{code}"): ("import_profile", "delete"),
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
    previewed = api.post(
        "/api/v1/import-profiles/mot-cua-hcm/preview",
        files={"file": ("ds.csv", body, "text/csv")},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert previewed.status_code == 403  # viewers import nothing, so preview nothing
    reporter = make_token(clean_db, clock, username="cb.mc", role="reporter", unit="ttpvhcc")
    previewed = api.post(
        "/api/v1/import-profiles/mot-cua-hcm/preview",
        files={"file": ("ds.csv", body, "text/csv")},
        headers={"Authorization": f"Bearer {reporter}"},
    )
    assert previewed.status_code == 200


def test_previewing_needs_credentials(anon: TestClient) -> None:
    resp = anon.post(
        "/api/v1/import-profiles/mot-cua-hcm/preview",
        files={"file": ("ds.csv", b"a,b\n1,2\n", "text/csv")},
    )
    assert resp.status_code == 401
