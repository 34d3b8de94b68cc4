"""The audit trail: one row per change, in the change's transaction; none for refused writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.kpis.models import Reading
from app.registers.specs import REGISTERS
from tests.accounts.test_authorization_matrix import CASES, Ctx
from tests.conftest import make_token, make_user
from tests.imports.test_profiles_api import PROFILE_AUDIT
from tests.par.authorization_cases import PAR_AUDIT
from tests.registers.authorization_cases import REGISTER_AUDIT
from tests.reporting.coordination_setup import COORDINATION_AUDIT
from tests.reporting.reopen_authorization_cases import REOPEN_AUDIT
from tests.reporting.rule_authorization_cases import RULE_AUDIT
from tests.sipas.authorization_cases import SIPAS_AUDIT

API = "/api/v1"

#: The entity and action each write endpoint must record.
EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/auth/password"): ("user_password", "update"),
    ("POST", "/api/v1/users"): ("user", "create"),
    ("PATCH", "/api/v1/users/{username}"): ("user", "update"),
    ("POST", "/api/v1/users/{username}/password"): ("user_password", "update"),
    ("POST", "/api/v1/tokens"): ("token", "create"),
    ("DELETE", "/api/v1/tokens/{token_id}"): ("token", "delete"),
    ("POST", "/api/v1/units"): ("unit", "create"),
    ("PATCH", "/api/v1/units/{code}"): ("unit", "update"),
    ("DELETE", "/api/v1/units/{code}"): ("unit", "delete"),
    ("POST", "/api/v1/assignments"): ("assignment", "create"),
    ("PATCH", "/api/v1/assignments/{code}"): ("assignment", "update"),
    ("DELETE", "/api/v1/assignments/{code}"): ("assignment", "delete"),
    ("POST", "/api/v1/domains"): ("domain", "create"),
    ("POST", "/api/v1/indicators"): ("indicator", "create"),
    ("PATCH", "/api/v1/indicators/{code}"): ("indicator", "update"),
    ("PUT", "/api/v1/readings"): ("reading", "create"),
    ("DELETE", "/api/v1/readings/{reading_id}"): ("reading", "delete"),
    ("PUT", "/api/v1/progress"): ("progress", "create"),
    ("POST", "/api/v1/units/{unit}/periods/{period}/rows"): ("progress", "create"),
    ("POST", "/api/v1/units/{unit}/periods/{period}/tasks/{code}/evidence"): ("evidence", "create"),
    ("DELETE", "/api/v1/evidence/{key}"): ("evidence", "delete"),
    ("PUT", "/api/v1/plans/{code}/due-days"): ("plan", "update"),
    ("POST", "/api/v1/reports/consolidated/final"): ("report_snapshot", "create"),
    ("PUT", "/api/v1/reports/config"): ("report_config", "update"),
    ("POST", "/api/v1/submissions/{unit}/{period}/{action}"): ("submission", "create"),
    ("PUT", "/api/v1/scores/config"): ("scoring_config", "update"),
    ("DELETE", "/api/v1/scores/config"): ("scoring_config", "update"),
}


EXPECTED.update(SIPAS_AUDIT)
EXPECTED.update(PROFILE_AUDIT)
EXPECTED.update(RULE_AUDIT)
EXPECTED.update(REOPEN_AUDIT)
EXPECTED.update(COORDINATION_AUDIT)
EXPECTED.update(PAR_AUDIT)
EXPECTED.update(REGISTER_AUDIT)
EXPECTED.update(
    {
        ("POST", "/api/v1/wards"): ("ward", "create"),
        ("POST", "/api/v1/plans/{code}/copy"): ("plan", "create"),
        ("POST", "/api/v1/readings/bulk"): ("import_batch", "import"),
        ("POST", "/api/v1/progress/bulk"): ("progress", "create"),
        ("POST", "/api/v1/dossiers/bulk"): ("import_batch", "import"),
        ("POST", "/api/v1/feedback/bulk"): ("import_batch", "import"),
    }
)


def events(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.exec(select(AuditEvent).order_by(col(AuditEvent.id))))


def test_every_write_endpoint_has_an_expected_audit_record() -> None:
    assert set(EXPECTED) == set(CASES)


@pytest.mark.parametrize("route", sorted(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_each_kind_of_write_is_audited(
    route: tuple[str, str],
    client: TestClient,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
) -> None:
    make_user(clean_db, clock, username="muc.tieu", role="reporter", unit="vp")
    if route == ("POST", "/api/v1/auth/password"):
        make_user(clean_db, clock, username="tu.doi", role="viewer")
        client.headers["Authorization"] = "Bearer " + make_token(
            clean_db, clock, username="tu.doi", role="viewer"
        )
    actor = "admin"
    if route == ("POST", "/api/v1/wards"):  # the city's own write
        actor = "thanh.pho"
        client.headers["Authorization"] = "Bearer " + make_token(
            clean_db, clock, username=actor, role="city_admin"
        )
    _, build = CASES[route]
    url, body = build(Ctx(session=seeded, clock=clock, unit="vp"))
    before = len(events(seeded))
    resp = client.request(route[0], url, json=body)
    assert resp.status_code < 300, resp.text
    new = events(seeded)[before:]
    # The feeds recompute the KPIs their records feed: those readings are audited too.
    feeds = {("POST", "/api/v1/dossiers/bulk"), ("POST", "/api/v1/feedback/bulk")}
    if route in feeds:
        assert any(e.entity == "reading" for e in new), [(e.entity, e.action) for e in new]
        new = [e for e in new if e.entity != "reading"]
    # The targets and investment registers compute a plan indicator: its readings are audited.
    computing = [f"/api/v1{s.api}" for s in REGISTERS if s.recompute is not None]
    if any(route[1].startswith(path) for path in computing):
        if route[0] == "POST":  # the example row has monthly figures: a reading is computed
            assert any(e.entity == "reading" for e in new), [(e.entity, e.action) for e in new]
        new = [e for e in new if e.entity != "reading"]
    if route in REOPEN_AUDIT:  # a request's message to the office is audited after it
        new = [e for e in new if e.entity != "reminder"]
    entity, action = EXPECTED[route]
    kinds = [(e.entity, e.action) for e in new]
    assert kinds[0] == (entity, action), kinds
    extra = kinds[1:]
    if route[1].endswith("/bulk") and kinds[0] != ("import_batch", "import"):
        # rows audited one by one (progress) are followed by the batch's own event
        assert extra.pop() == ("import_batch", "import"), kinds
    assert extra == [], kinds
    event = new[0]
    assert event.via == ("import" if route[1].endswith("/bulk") else "api")
    assert event.actor_username == ("tu.doi" if "auth/password" in url else actor)
    assert event.at == clock.now()
    if action == "create":
        assert event.before is None and event.after is not None
    if action == "import":  # the rows it created name the batch instead of one event each
        assert event.after is not None and event.after["created"] >= 1
        assert len(event.after["sha256"]) == 64 and event.entity_key == str(int(event.entity_key))
    if action == "delete":
        assert event.before is not None
    if action == "update" and entity != "user_password":
        assert event.before is not None and event.after is not None
        assert event.before != event.after
    for snapshot in (event.before or {}, event.after or {}):
        assert "password" not in snapshot and "password_hash" not in snapshot
        assert "token" not in snapshot and "token_hash" not in snapshot


def test_an_update_records_before_and_after(client: TestClient, seeded: Session) -> None:
    body: dict[str, Any] = {
        "indicator": "online_dossier",
        "unit": "ttpvhcc",
        "period": "2025-10",
        "value": 70,
    }
    created = client.put(f"{API}/readings", json=body).json()
    client.put(f"{API}/readings", json={**body, "value": 81.5, "version": created["version"]})
    update = events(seeded)[-1]
    assert (update.entity, update.action) == ("reading", "update")
    assert update.entity_key == "online_dossier/ttpvhcc/2025-10/-"
    assert update.before["value"] == 70 and update.after["value"] == 81.5
    assert update.after["version"] == update.before["version"] + 1


def test_no_record_for_an_unchanged_write(client: TestClient, seeded: Session) -> None:
    body = {"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10", "value": 70}
    assert client.put(f"{API}/readings", json=body).status_code == 201
    count = len(events(seeded))
    assert client.put(f"{API}/readings", json=body).status_code == 200
    assert len(events(seeded)) == count


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        (
            "PUT",
            "/readings",
            {"indicator": "online_dossier", "unit": "vp", "period": "2030-01", "value": 1},
            422,
        ),
        (
            "PUT",
            "/readings",
            {"indicator": "online_dossier", "unit": "vp", "period": "2025-10", "value": 101},
            422,
        ),
        (
            "PUT",
            "/readings",
            {
                "indicator": "online_dossier",
                "unit": "vp",
                "period": "2025-10",
                "value": 1,
                "version": 7,
            },
            409,
        ),
        (
            "POST",
            "/units",
            {"code": "vp", "name": "Trùng", "short_name": "T", "kind": "office"},
            409,
        ),
        ("DELETE", "/units/vp", None, 409),
        ("PATCH", "/assignments/II.2.3.1", {"version": 99, "text": "Sửa"}, 409),
    ],
)
def test_no_record_and_no_change_when_a_write_fails(
    client: TestClient, seeded: Session, method: str, url: str, body: Any, status: int
) -> None:
    count = len(events(seeded))
    readings = seeded.exec(select(func.count()).select_from(Reading)).one()
    resp = client.request(method, f"{API}{url}", json=body)
    assert resp.status_code == status, resp.text
    assert len(events(seeded)) == count
    assert seeded.exec(select(func.count()).select_from(Reading)).one() == readings


def test_audit_search_filters_and_permissions(
    client: TestClient, anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    client.patch(f"{API}/units/vp", json={"short_name": "VP"})
    clock.advance(timedelta(hours=1))
    body = {"indicator": "online_dossier", "unit": "vp", "period": "2025-10", "value": 70}
    client.put(f"{API}/readings", json=body)

    page = client.get(f"{API}/audit").json()
    assert [e["entity"] for e in page["items"]] == ["reading", "unit"]  # newest first
    assert client.get(f"{API}/audit", params={"entity": "unit", "key": "vp"}).json()["total"] == 1
    assert client.get(f"{API}/audit", params={"user": "nobody"}).json()["total"] == 0
    since = (clock.now() - timedelta(minutes=30)).isoformat()
    assert [
        e["entity"] for e in client.get(f"{API}/audit", params={"since": since}).json()["items"]
    ] == ["reading"]
    assert client.get(f"{API}/audit", params={"until": since}).json()["total"] == 1

    coordinator = make_token(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh")
    reporter = make_token(clean_db, clock, username="bao.cao", role="reporter", unit="vp")
    ok = anon.get(f"{API}/audit", headers={"Authorization": f"Bearer {coordinator}"})
    assert ok.status_code == 200 and ok.json()["total"] == 2
    refused = anon.get(f"{API}/audit", headers={"Authorization": f"Bearer {reporter}"})
    assert refused.status_code == 403
