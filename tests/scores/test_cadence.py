"""Every cadence of the plan: in 2026 the general report is quarterly while the tasks marked
"Định kỳ hằng tháng" report monthly; one quarterly report and three monthly updates live side
by side, and the quarter counts each monthly task once, by its latest update.

Seen from 20/04/2026 (Q1 due 10/04/2026). vp must report monthly on II.1.8.1 (all units) and
II.2.2.5 (it leads); its other tasks are quarterly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.scores import service
from tests.scores.conftest import browser_for, progress, put

ADMIN = Actor(username="admin", role="admin")
APRIL = FixedClock.on(date(2026, 4, 20))


@pytest.fixture
def in_2026(clock: FixedClock) -> FixedClock:
    clock.current = APRIL.current
    return clock


def vp(seeded: Session, clock: FixedClock, period: str) -> Any:
    seeded.expire_all()
    return service.unit_breakdown(
        db_session=seeded, actor=ADMIN, clock=clock, unit="vp", period=period
    )


def monthly_year(api: TestClient) -> None:
    for month, status, percent in (("2026-01", "in_progress", 30), ("2026-02", "in_progress", 60)):
        progress(
            api,
            assignment="II.2.2.5",
            unit="vp",
            period=month,
            status=status,
            percent_complete=percent,
        )
    progress(api, assignment="II.2.2.5", unit="vp", period="2026-03", status="done")
    progress(api, assignment="II.2.2.1", unit="vp", period="2026-Q1", status="done")


def test_each_task_is_reported_at_its_own_cadence(
    api: TestClient, seeded: Session, in_2026: FixedClock
) -> None:
    monthly_year(api)
    wrong_month = api.put(
        "/api/v1/progress",
        json={"assignment": "II.2.2.1", "unit": "vp", "period": "2026-02", "status": "done"},
    )
    assert wrong_month.status_code == 422
    assert "Năm 2026 báo cáo theo quý" in wrong_month.json()["detail"]["errors"][0]["message"]
    wrong_quarter = api.put(
        "/api/v1/progress",
        json={"assignment": "II.2.2.5", "unit": "vp", "period": "2026-Q1", "status": "done"},
    )
    assert wrong_quarter.status_code == 422
    error = wrong_quarter.json()["detail"]["errors"][0]
    assert error["code"] == "monthly_task" and "2026-01, 2026-02, 2026-03" in error["message"]


def test_a_month_of_2026_scores_the_monthly_tasks_only(
    api: TestClient, seeded: Session, in_2026: FixedClock
) -> None:
    monthly_year(api)
    february = vp(seeded, in_2026, "2026-02")
    tasks = {t.assignment: t for t in february.tasks.items}
    assert set(tasks) == {"II.1.8.1", "II.2.2.5"}
    # II.2.2.5 at 60 % in February, II.1.8.1 never reported: (0,6 + 0) / 2.
    assert february.tasks.score == pytest.approx(0.3)
    assert (february.coverage.reported, february.coverage.expected) == (1, 2)
    assert february.reporting.state == "not_expected"  # no report of its own: part of Q1's
    assert february.score == pytest.approx(30)  # the task part alone


def test_the_quarter_counts_each_monthly_task_once_by_its_latest_update(
    api: TestClient, seeded: Session, in_2026: FixedClock
) -> None:
    monthly_year(api)
    quarter = vp(seeded, in_2026, "2026-Q1")
    items = [t for t in quarter.tasks.items if t.assignment == "II.2.2.5"]
    assert len(items) == 1  # three monthly updates, one task in the quarter
    assert (items[0].period, items[0].status, items[0].credit) == ("2026-03", "done", 1.0)
    done = {t.assignment for t in quarter.tasks.items if t.credit == 1.0}
    assert done == {"II.2.2.1", "II.2.2.5"}
    assert quarter.coverage.expected == 47  # every task vp must report on, monthly ones too
    assert quarter.tasks.score == pytest.approx(2 / 47)
    assert quarter.reporting.state == "missing"  # Q1 was due 10/04/2026


def test_the_periods_offered_include_the_months_of_2026(
    api: TestClient, seeded: Session, in_2026: FixedClock
) -> None:
    choices = service.period_choices(db_session=seeded, clock=in_2026)
    values = [value for value, _ in choices]
    assert values[:6] == ["2026-Q2", "2026-04", "2026-Q1", "2026-03", "2026-02", "2026-01"]
    assert dict(choices)["2026-02"] == "Tháng 02/2026 (nhiệm vụ hằng tháng)"
    summary = api.get("/api/v1/scores", params={"period": "2026-02"})
    assert summary.status_code == 200, summary.text


@pytest.fixture
def reporter(
    application: FastAPI, api: TestClient, clean_db: Engine, in_2026: FixedClock
) -> Iterator[TestClient]:
    with browser_for(
        application, clean_db, in_2026, username="bc.vp", role="reporter", unit="vp"
    ) as client:
        yield client


def test_the_workspace_gives_each_task_one_place(
    api: TestClient, seeded: Session, reporter: TestClient
) -> None:
    monthly_year(api)
    month = reporter.get("/units/vp/periods/2026-02")
    assert month.status_code == 200, month.text
    html = month.text
    assert 'id="task-II-2-2-5"' in html and 'id="task-II-1-8-1"' in html
    assert 'id="task-II-2-2-1"' not in html  # quarterly: on the quarter's page
    assert "thuộc báo cáo" in html and "Quý I/2026" in html
    assert "/submit" not in html  # a month of 2026 is sent with its quarter
    quarter = reporter.get("/units/vp/periods/2026-Q1").text
    assert 'id="task-II-2-2-1"' in quarter
    assert 'id="task-II-2-2-5"' not in quarter  # no second form for a monthly task
    assert 'id="monthly-tasks"' in quarter and "Tháng 03/2026" in quarter
    assert "Gửi báo cáo quý I/2026" in quarter  # not "quý i/2026"


def test_a_feed_computes_the_month_and_the_quarter_of_2026(
    api: TestClient, seeded: Session, in_2026: FixedClock
) -> None:
    head = (
        "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at\n"
    )
    rows = [
        "F1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2026-02-02,2026-02-05,2026-02-04",
        "F2,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,direct,2026-02-03,2026-02-05,2026-02-09",
        "M1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,direct,2026-03-02,2026-03-05,2026-03-04",
    ]
    resp = api.post(
        "/api/v1/dossiers/bulk",
        content=(head + "\n".join(rows)).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert resp.status_code == 200, resp.text

    def ontime(period: str) -> dict[str, Any]:
        items = api.get(
            "/api/v1/readings",
            params={"indicator": "tthc_ontime", "unit": "ttpvhcc", "period": period},
        ).json()["items"]
        assert len(items) == 1, (period, items)
        return items[0]

    # February: F1 on time, F2 late → 1/2; March: M1 → 1/1; the quarter: 2/3, each once.
    assert (ontime("2026-02")["numerator"], ontime("2026-02")["denominator"]) == (1, 2)
    assert (ontime("2026-03")["numerator"], ontime("2026-03")["denominator"]) == (1, 1)
    assert (ontime("2026-Q1")["numerator"], ontime("2026-Q1")["denominator"]) == (2, 3)
    assert ontime("2026-02")["source"] == "computed"
    by_hand = put(
        api,
        "/api/v1/readings",
        indicator="socioeconomic_targets",
        unit="kthtdt",
        period="2026-02",
        value=90,
    )
    assert by_hand["period"] == "2026-02"  # a monthly task's indicator is typed monthly
    refused = api.put(
        "/api/v1/readings",
        json={"indicator": "complaint_ontime", "unit": "vp", "period": "2026-02", "value": 90},
    )
    assert refused.status_code == 422  # hand entry of a quarterly indicator keeps the quarter
