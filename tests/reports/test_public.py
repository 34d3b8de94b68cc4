"""The public progress page shows approved periods only, with their approval date."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.plans import service as plan_service
from app.plans.service import expected_units
from app.reporting import transitions
from tests.reports.test_consolidated import reading


def approve_all(session: Session, clock: FixedClock, period: str) -> None:
    plan = plan_service.get_plan(db_session=session, code=None)
    for unit in expected_units(db_session=session, plan=plan):
        transitions.submit(
            db_session=session, actor=SYSTEM, clock=clock, unit=unit.code, period=period
        )
        transitions.approve(
            db_session=session, actor=SYSTEM, clock=clock, unit=unit.code, period=period
        )


def test_nothing_is_public_before_a_period_is_fully_approved(
    anon: TestClient, seeded: Session, clock: FixedClock
) -> None:
    reading(seeded, clock, "online_dossier", "ttpvhcc", 83.25)
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    transitions.approve(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    page = anon.get("/public/progress")
    assert page.status_code == 200
    assert 'id="no-data"' in page.text and "83,25" not in page.text


def test_an_approved_period_is_shown_and_others_never(
    anon: TestClient, seeded: Session, clock: FixedClock
) -> None:
    reading(seeded, clock, "online_dossier", "ttpvhcc", 83.25)
    reading(seeded, clock, "online_dossier", "ttpvhcc", 77.77, period="2025-11")
    clock.advance(timedelta(days=1))
    approve_all(seeded, clock, "2025-10")
    page = anon.get("/public/progress")
    assert "Tháng 10/2025 — số liệu đã được duyệt ngày 21/11/2025" in page.text
    assert "83,25%" in page.text
    sneaky = anon.get("/public/progress", params={"period": "2025-11"})
    assert "77,77" not in sneaky.text and "Tháng 10/2025 — số liệu" in sneaky.text
    assert page.headers["Cache-Control"] == "public, max-age=300"
    etag = page.headers["ETag"]
    assert anon.get("/public/progress", headers={"If-None-Match": etag}).status_code == 304
    for word in ("bc.", "admin", "@"):
        assert word not in page.text.split("<main", 1)[1]


def test_reopening_takes_a_period_off_the_public_page(
    anon: TestClient, seeded: Session, clock: FixedClock
) -> None:
    reading(seeded, clock, "online_dossier", "ttpvhcc", 83.25)
    approve_all(seeded, clock, "2025-10")
    assert "83,25%" in anon.get("/public/progress").text
    transitions.reopen(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="vp", period="2025-10", comment="Sửa"
    )
    assert "83,25" not in anon.get("/public/progress").text
