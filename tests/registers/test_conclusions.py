"""The conclusions register's own work: the monthly tally the Văn phòng reports, and the overdue
reminders that climb from the unit to its head and the office as the delay grows."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.actors import SYSTEM
from app.clock import FixedClock
from app.registers import conclusions
from app.reminders.models import Notification
from app.wards.models import Ward
from tests.conftest import make_token, make_user

URL = "/api/v1/conclusions"


@pytest.fixture
def admin(seeded: Session, clean_db: Engine, clock: FixedClock) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(clean_db, clock, username='qt', role='admin')}"}


def _add(client: TestClient, admin: dict, code: str, deadline: str, **extra: str) -> None:
    body = {"code": code, "kind": "conclusion", "content": f"Việc {code}", "state": "open",
            "deadline": deadline, "unit": "vp", **extra}  # fmt: skip
    r = client.post(URL, json=body, headers=admin)
    assert r.status_code == 201, r.text


def test_the_monthly_tally(anon: TestClient, admin: dict) -> None:
    _add(anon, admin, "kl-1", "05/11/2025", state="done", done_on="04/11/2025")  # on time
    _add(anon, admin, "kl-2", "10/11/2025", state="done", done_on="12/11/2025")  # late
    _add(anon, admin, "kl-3", "15/11/2025")  # not done, overdue on 20/11
    _add(anon, admin, "kl-4", "28/11/2025")  # not done, not yet due
    _add(anon, admin, "kl-5", "20/10/2025")  # carried over from October
    _add(anon, admin, "kl-6", "12/11/2025", state="cancelled")  # not counted
    _add(anon, admin, "kl-7", "05/12/2025")  # next month
    r = anon.get(f"{URL}/tally?period=2025-11", headers=admin)
    assert r.status_code == 200, r.text
    t = r.json()
    assert (t["due"], t["done_on_time"], t["done_late"], t["not_done"]) == (4, 1, 1, 2)
    assert t["carried_overdue"] == 1
    assert [(o["code"], o["days_overdue"]) for o in t["overdue"]] == [("kl-5", 31), ("kl-3", 5)]
    october = anon.get(f"{URL}/tally?period=2025-10", headers=admin).json()
    assert october["due"] == 1 and october["not_done"] == 1
    assert anon.get(f"{URL}/tally?period=2025-13", headers=admin).status_code == 422


def test_overdue_reminders_climb_once_per_step(
    anon: TestClient, admin: dict, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    officer = make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    office = make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    _add(anon, admin, "kl-tre", "19/11/2025")  # one day late on 20/11/2025
    ward = seeded.exec(select(Ward)).one()
    actor = SYSTEM.inside(ward.id, ward.code)

    def run(day: date) -> int:
        from app import tenancy

        tenancy.enter(seeded, tenancy.Scope(ward_id=ward.id))
        try:
            return conclusions.escalate(
                db_session=seeded, actor=actor, clock=FixedClock.on(day)
            ).notifications
        finally:
            tenancy.leave(seeded)

    def told(user_id: int | None) -> int:
        return len(seeded.exec(select(Notification).where(Notification.user_id == user_id)).all())

    assert run(date(2025, 11, 20)) == 1  # step 1: the unit's officer only
    assert told(officer.id) == 1 and told(office.id) == 0
    assert run(date(2025, 11, 21)) == 0  # the same step is not repeated
    assert run(date(2025, 11, 26)) == 2  # 7 days: the officer again, and the office
    assert told(office.id) == 1
    # a new deadline starts the steps again
    r = anon.patch(f"{URL}/kl-tre", json={"deadline": "30/11/2025"}, headers=admin)
    assert r.status_code == 200
    assert run(date(2025, 12, 1)) == 1


def test_the_monthly_report_carries_the_registers(anon: TestClient, admin: dict) -> None:
    from docx import Document

    from tests.reports.test_consolidated import REPORT, all_text

    _add(anon, admin, "kl-tre", "10/11/2025")
    course = {"title": "Kỹ năng số cho bộ phận một cửa", "topic": "digital", "hours": "8",
              "starts_on": "12/11/2025", "attendees": "An (ttpvhcc); Bình (ttpvhcc)",
              "unit": "ttpvhcc"}  # fmt: skip
    assert anon.post("/api/v1/trainings", json=course, headers=admin).status_code == 201
    r = anon.get(REPORT, params={"period": "2025-11", "format": "docx"}, headers=admin)
    assert r.status_code == 200, r.text
    text = all_text(Document(io.BytesIO(r.content)))
    assert "Đến hạn trong kỳ: 1; hoàn thành đúng hạn: 0" in text
    assert "Quá hạn 10 ngày — kl-tre (vp, hạn 10/11/2025)" in text
    assert "lượt người tham dự: 2; tổng số giờ học: 16" in text
