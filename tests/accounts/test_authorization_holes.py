"""Holes found in the review of issue 17: routes without their role, a unit approving itself."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.accounts.test_pages import hidden
from tests.conftest import make_token, make_user

API = "/api/v1"
PASSWORD = "mat-khau-thu-nghiem"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def web(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = TestClient(app)
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": hidden(page.text, "csrf_token"),
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    return client, client.get("/session/csrf").json()["csrf_token"]


def test_only_who_reads_every_unit_reads_the_scoring_rules_history(
    anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    url = f"{API}/scores/config/history"
    reporter = make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    refused = anon.get(url, headers=bearer(reporter))
    assert refused.status_code == 403
    assert refused.json()["detail"]["message"] == "Bạn chỉ được xem số liệu của đơn vị mình."
    for role in ("viewer", "coordinator", "admin"):
        token = make_token(clean_db, clock, username=f"nguoi.{role}", role=role, unit="vhxh")
        assert anon.get(url, headers=bearer(token)).status_code == 200, role


def test_the_kiosk_list_is_for_the_service_centre_and_admins_only(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    make_user(clean_db, clock, username="tt.quay", role="reporter", unit="ttpvhcc")
    outsider, _ = web(application, "bc.vp")
    with outsider:
        refused = outsider.get("/sipas/may")
        assert refused.status_code == 403
        assert "Trung tâm Phục vụ hành chính công" in refused.text
        assert "Máy khảo sát tại quầy" not in refused.text
    insider, _ = web(application, "tt.quay")
    with insider:
        assert insider.get("/sipas/may").status_code == 200


def test_a_coordinator_never_approves_or_returns_its_own_units_report(
    anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    own = bearer(make_token(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"))
    other = bearer(make_token(clean_db, clock, username="dp.vp", role="coordinator", unit="vp"))
    admin = bearer(make_token(clean_db, clock, username="quan.tri", role="admin"))
    url = f"{API}/submissions/vhxh/2025-10"
    sent = anon.post(f"{url}/submit", headers=own, json={})
    assert sent.status_code == 200, sent.text
    for action, body in (("approve", {}), ("return", {"comment": "Sửa lại."})):
        refused = anon.post(f"{url}/{action}", headers=own, json=body)
        assert refused.status_code == 403, action
        detail = refused.json()["detail"]
        assert detail["code"] == "own_unit_review"
        assert "chính đơn vị mình" in detail["message"]
    returned = anon.post(f"{url}/return", headers=other, json={"comment": "Bổ sung minh chứng."})
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert anon.post(f"{url}/submit", headers=own, json={}).status_code == 200
    approved = anon.post(f"{url}/approve", headers=admin, json={})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
