"""Plans from templates: next year's plan in the same ward, and Plan 84 for another ward."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import tenancy
from app.clock import FixedClock
from app.plans.models import Assignment, Plan
from app.seed import service as seed_service
from app.seed.copying import plan_as_data
from app.units.models import Unit
from tests.conftest import make_token

API = "/api/v1"
NEXT_YEAR = {
    "code": "kh-cchc-2026",
    "number": "12/KH-UBND",
    "issued_date": "2026-01-15",
    "first_year": 2026,
}


def _client(application: FastAPI, engine: Engine, clock: FixedClock, role: str) -> TestClient:
    token = make_token(engine, clock, username=f"nguoi.{role}", role=role)
    return TestClient(application, headers={"Authorization": f"Bearer {token}"})


def test_the_seeded_plan_written_out_is_the_seed_file(seeded: Session) -> None:
    """A copy goes through the seed's own format: reading a plan back must lose nothing."""
    plan = seeded.exec(select(Plan)).one()
    tenancy.enter(seeded, tenancy.Scope(ward_id=plan.ward_id))
    written = plan_as_data(seeded, plan)
    source = seed_service.load_data()
    for key in ("units", "areas", "footnotes"):
        assert written[key] == source[key], key
    for key in ("assignments", "indicators"):
        by_code = {item["code"]: item for item in written[key]}
        assert by_code == {item["code"]: item for item in source[key]}, key
    assert {k: written["plan"][k] for k in source["plan"]} == source["plan"]


def test_next_years_plan_is_a_copy_with_deadlines_moved_and_both_plans_side_by_side(
    application: FastAPI, clean_db: Engine, clock: FixedClock, seeded: Session
) -> None:
    with _client(application, clean_db, clock, "coordinator") as coordinator:
        copied = coordinator.post(f"{API}/plans/kh-84-2025/copy", json=NEXT_YEAR)
        assert copied.status_code == 201, copied.text
        assert copied.json() == {
            "ward": "phu-dinh",
            "plan": "kh-cchc-2026",
            "units_created": 0,
            "tasks": 70,
            "targets": 15,
        }
        new = coordinator.get(f"{API}/plans/kh-cchc-2026").json()
        assert (new["first_year"], new["last_year"], new["reporting_start"]) == (
            2026,
            2026,
            "2026-Q1",
        )
        assert new["assignment_count"] == 70
        # today (20/11/2025) the ward's current plan is still Plan 84; the new one by name
        assert coordinator.get(f"{API}/scores").json()["plan"] == "kh-84-2025"
        tasks = coordinator.get(f"{API}/assignments", params={"plan": "kh-cchc-2026"})
        assert tasks.status_code == 200 and tasks.json()["total"] == 70
        again = coordinator.post(f"{API}/plans/kh-84-2025/copy", json=NEXT_YEAR)
        assert again.status_code == 409
    dated = seeded.exec(
        select(Plan.code, Assignment.due_date)
        .join(Plan, Plan.id == Assignment.plan_id)
        .where(Assignment.code == "II.1.1.1")
    ).all()
    by_plan = dict(dated)
    if by_plan["kh-84-2025"] is not None:
        assert by_plan["kh-cchc-2026"].year == by_plan["kh-84-2025"].year + 1


def test_plan_84_for_a_new_ward_creates_its_units_and_only_the_city_may(
    application: FastAPI, clean_db: Engine, clock: FixedClock, seeded: Session
) -> None:
    to_new_ward = {**NEXT_YEAR, "code": "kh-84-2025", "first_year": 2025, "ward": "binh-dong"}
    with _client(application, clean_db, clock, "city_admin") as city_admin:
        made = city_admin.post(
            f"{API}/wards", json={"code": "binh-dong", "name": "Phường Bình Đông"}
        )
        assert made.status_code == 201, made.text
    with _client(application, clean_db, clock, "admin") as ward_admin:
        refused = ward_admin.post(f"{API}/plans/kh-84-2025/copy", json=to_new_ward)
        assert refused.status_code == 403, refused.text
    with _client(application, clean_db, clock, "city_admin") as city_admin:
        copied = city_admin.post(
            f"{API}/plans/kh-84-2025/copy", params={"ward": "phu-dinh"}, json=to_new_ward
        )
        assert copied.status_code == 201, copied.text
        assert copied.json()["units_created"] == len(seed_service.load_data()["units"])
        units = city_admin.get(f"{API}/units", params={"ward": "binh-dong"}).json()["items"]
        assert "vhxh" in {u["code"] for u in units}
    wards = seeded.exec(select(Unit.ward_id).where(Unit.code == "vhxh")).all()
    assert len(set(wards)) == 2
