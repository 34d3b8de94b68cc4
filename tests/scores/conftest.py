"""A small ward whose scores for October 2025 were computed by hand (see ``EXPECTED``).

Built through the API and the reporting service on Plan 84 as seeded; the clock stands on
2025-11-20, so October's reports (due 05/11/2025) are on time, late or missing.

Every unit must report on the 42 tasks of all units plus the ones it leads (Plan 84 as seeded:
vp leads 5, ttpvhcc 6, kthtdt 4, mttq 1, vhxh 12); a task never reported counts 0, and a task
marked not applicable is left out.

- vp: 47 tasks; II.1.1.1 done, II.2.2.1 at 60 %, II.1.1.2 not applicable, 44 unreported →
  (1 + 0,6 + 44 × 0) / 46; complaint_ontime 90/100 against ≥ 95 → 18/19; report on time → 1.
  Score 40 × 1,6/46 + 40 × 18/19 + 20 × 1 = 59,2860 (Hoàn thành nhiệm vụ), rank 1.
- ttpvhcc: 48 tasks; II.1.1.1 done, II.2.3.1 not started, 46 unreported → 1/48; tthc_ontime 99
  (hộ tịch) and 97 (đất đai), judged by the worse: 97/98; online_dossier 80 against ≥ 80 → 1;
  report late → 0,5. Score 40/48 + 40 × (97/98 + 1) / 2 + 10 = 50,6293 (Hoàn thành nhiệm vụ),
  rank 2.
- kthtdt: 46 tasks, none reported → 0; disbursement 100 against = 100 → 1 (two more indicators
  without data); report missing → 0. Score 40 × 0 + 40 × 1 + 20 × 0 = 40, rank 3.
- mttq: 43 tasks, none reported → 0; complaint_ontime 100/100 → 1, report missing → 40: tied 3.
- vhxh: 54 tasks, none reported, no reading, report missing → 0 (Không hoàn thành nhiệm vụ),
  rank 5: reporting nothing can never beat reporting something.

Ward: complaint_ontime pools (90 + 100) / (100 + 100) = 95 → met, though vp alone is not.
Due dates moved into October: II.2.2.1 (20/10, vp at 60 %: overdue), II.2.2.2 (25/10, never
reported: overdue), II.1.1.2 (10/10, all units: vp said not applicable so is not late; the four
others never reported, so are).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.reporting import transitions
from tests.conftest import make_token, make_user

ADMIN = Actor(username="admin", role="admin")
PASSWORD = "mat-khau-thu-nghiem"

EXPECTED = {
    "vp": 40 * 1.6 / 46 + 40 * 90 / 95 + 20,
    "ttpvhcc": 40 * 1 / 48 + 40 * (97 / 98 + 1) / 2 + 20 * 0.5,
    "kthtdt": 40.0,
    "mttq": 40.0,
    "vhxh": 0.0,
}
#: Tasks each unit must report on in October 2025, and how many it reported (coverage).
COVERAGE = {"vp": (3, 47), "ttpvhcc": (2, 48), "kthtdt": (0, 46), "mttq": (0, 43), "vhxh": (0, 54)}


def put(client: TestClient, url: str, **body: Any) -> dict[str, Any]:
    resp = client.put(url, json=body)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def reading(client: TestClient, **body: Any) -> dict[str, Any]:
    return put(client, "/api/v1/readings", **body)


def progress(client: TestClient, **body: Any) -> dict[str, Any]:
    if body.get("status") == "done":  # done shows the plan's product (issue 19)
        body.setdefault("result", "Đã hoàn thành, báo cáo kết quả gửi UBND phường.")
        body.setdefault("evidence", "Báo cáo số 12/BC-UBND ngày 30/10/2025")
    return put(client, "/api/v1/progress", **body)


def open_for_edit(client: TestClient, unit: str, period: str = "2025-10") -> None:
    """A sent report is locked until review: the admin returns it so the test may change its data
    (the first submission's time, and so the timeliness, stays)."""
    url = f"/api/v1/submissions/{unit}/{period}"
    if client.get(url).json()["status"] == "submitted":
        resp = client.post(f"{url}/return", json={"comment": "Sửa số liệu để thử điểm."})
        assert resp.status_code == 200, resp.text


def submit(db_session: Session, clock: FixedClock, unit: str, period: str, days_back: int) -> None:
    """The unit sends its report ``days_back`` days before the clock's day (the clock returns)."""
    clock.advance(timedelta(days=-days_back))
    try:
        transitions.submit(
            db_session=db_session, actor=ADMIN, clock=clock, unit=unit, period=period
        )
    finally:
        clock.advance(timedelta(days=days_back))


def build_ward(client: TestClient, db_session: Session, clock: FixedClock) -> None:
    for code, due in (
        ("II.2.2.1", "2025-10-20"),
        ("II.2.2.2", "2025-10-25"),
        ("II.1.1.2", "2025-10-10"),
    ):
        resp = client.patch(f"/api/v1/assignments/{code}", json={"due_date": due})
        assert resp.status_code == 200, resp.text
    october = "2025-10"
    progress(
        client,
        assignment="II.2.2.1",
        unit="vp",
        period=october,
        status="in_progress",
        percent_complete=60,
    )
    progress(client, assignment="II.1.1.1", unit="vp", period=october, status="done")
    progress(client, assignment="II.1.1.2", unit="vp", period=october, status="not_applicable")
    progress(client, assignment="II.1.1.1", unit="ttpvhcc", period=october, status="done")
    progress(client, assignment="II.2.3.1", unit="ttpvhcc", period=october, status="not_started")
    reading(
        client,
        indicator="complaint_ontime",
        unit="vp",
        period=october,
        numerator=90,
        denominator=100,
    )
    reading(
        client,
        indicator="complaint_ontime",
        unit="mttq",
        period=october,
        numerator=100,
        denominator=100,
    )
    reading(
        client,
        indicator="tthc_ontime",
        unit="ttpvhcc",
        period=october,
        domain="ho-tich",
        numerator=99,
        denominator=100,
    )
    reading(
        client, indicator="tthc_ontime", unit="ttpvhcc", period=october, domain="dat-dai", value=97
    )
    reading(client, indicator="online_dossier", unit="ttpvhcc", period=october, value=80)
    reading(client, indicator="disbursement", unit="kthtdt", period=october, value=100)
    submit(db_session, clock, "vp", october, days_back=16)  # 04/11: on time
    submit(db_session, clock, "ttpvhcc", october, days_back=0)  # 20/11: late


@pytest.fixture
def ward(api: TestClient, seeded: Session, clock: FixedClock) -> TestClient:
    """The admin API client on the hand-computed ward above."""
    build_ward(api, seeded, clock)
    return api


def bearer(application: FastAPI, engine: Engine, clock: FixedClock, **user: Any) -> TestClient:
    token = make_token(engine, clock, **user)
    return TestClient(application, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def as_viewer(application: FastAPI, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    with bearer(application, clean_db, clock, username="lanh.dao", role="viewer") as client:
        yield client


@pytest.fixture
def as_reporter(application: FastAPI, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    with bearer(
        application, clean_db, clock, username="bao.cao.vp", role="reporter", unit="vp"
    ) as client:
        yield client


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in page"
    return found.group(1)


def login(client: TestClient, username: str) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "next": _hidden(page.text, "next"),
            "csrf_token": _hidden(page.text, "csrf_token"),
        },
        follow_redirects=False,
    )


def browser_for(application: FastAPI, engine: Engine, clock: FixedClock, **user: Any) -> TestClient:
    """A browser-like client logged in through the login form (session cookie, CSRF)."""
    make_user(engine, clock, password=PASSWORD, **user)
    client = TestClient(application)
    resp = login(client, user["username"])
    assert resp.status_code == 303, resp.text
    return client
