"""A saved workspace row answers with that row, not the whole workspace (issue #17).

The row save is the click reporters make most. It used to redraw the answer from the whole
workspace (every row's update, last period's answers, evidence, coordination): 53 statements
on Plan 84, and more work with every task the plan grows. These tests count the SQL statements
of one save (an event on the engine, not a clock) and check that they do not grow with the plan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from html import unescape

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.plans import task_edits
from app.plans.models import AssignmentCreate
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user, statements

UNIT = "ttpvhcc"
PERIOD = "2025-10"
WS = f"/units/{UNIT}/periods/{PERIOD}"
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def reporter(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit=UNIT)
    with TestClient(application) as client:
        assert login(client, "bc.ttpv").status_code == 303
        client.csrf = hidden(client.get(WS).text, "csrf_token")  # type: ignore[attr-defined]
        yield client


def _save(client: TestClient, code: str, version: int, percent: int) -> Response:
    data = {
        "csrf_token": client.csrf,  # type: ignore[attr-defined]
        "version": str(version),
        "status": "in_progress",
        "percent_complete": str(percent),
        "result": "Đã triển khai",
    }
    return client.post(f"{WS}/tasks/{code}", data=data, headers=HX, follow_redirects=False)


def _counted(engine: Engine, save: Callable[[], Response]) -> tuple[Response, int]:
    with statements(engine) as seen:
        resp = save()
    assert resp.status_code == 200, resp.text
    return resp, len(seen)


def _grow_the_plan(session: Session, clock: FixedClock, tasks: int) -> None:
    """``tasks`` more tasks the unit leads, each already reported this period."""
    for i in range(1, tasks + 1):
        code = f"II.2.3.{100 + i}"
        task_edits.create_assignment(
            db_session=session,
            actor=SYSTEM,
            clock=clock,
            data=AssignmentCreate(
                code=code, text=f"Nhiệm vụ thêm {i}.", area="par1", lead_unit=UNIT
            ),
        )
        session.commit()
        progress_service.upsert_progress(
            db_session=session,
            actor=SYSTEM,
            clock=clock,
            data=ProgressWrite(
                assignment=code, unit=UNIT, period=PERIOD, status="in_progress", percent_complete=50
            ),
        )


def _empty_tasks(html: str) -> int:
    found = re.search(r'id="empty-counter"[^>]*>\s*Còn trống: <strong>(\d+)', html)
    assert found, "no counter"
    return int(found.group(1))


def test_a_row_save_costs_the_same_statements_however_big_the_plan(
    reporter: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    # Two all-units tasks of the same shape, one saved before the plan grows, one after.
    first, first_n = _counted(clean_db, lambda: _save(reporter, "II.1.1.1", 0, 10))
    _, update_n = _counted(clean_db, lambda: _save(reporter, "II.1.1.1", 1, 20))
    _grow_the_plan(seeded, clock, tasks=30)
    before = _empty_tasks(reporter.get(WS).text)
    second, second_n = _counted(clean_db, lambda: _save(reporter, "II.1.1.2", 0, 10))
    _, update_again_n = _counted(clean_db, lambda: _save(reporter, "II.1.1.2", 1, 20))
    assert (second_n, update_again_n) == (first_n, update_n)
    # A first save fills a row: the counters come along, right for the grown plan.
    assert _empty_tasks(second.text) == before - 1
    assert 'hx-swap-oob="true"' in first.text


def test_a_row_already_filled_answers_with_the_row_alone(
    reporter: TestClient, clean_db: Engine
) -> None:
    _, created_n = _counted(clean_db, lambda: _save(reporter, "II.1.1.1", 0, 10))
    updated, updated_n = _counted(clean_db, lambda: _save(reporter, "II.1.1.1", 1, 20))
    # Nothing the counters count changed: no out-of-band swap, and fewer statements than the
    # first save, which reads every row's update for them. The whole workspace took 53 (10 of
    # them the write), the row alone 28 (32 with the four registers added since), and 18 once
    # the unit and the plan are found once per session, the registers' links come in one
    # statement and a short list is not counted: the bound leaves room for a query or two.
    assert 'hx-swap-oob="true"' not in updated.text
    assert updated.text.lstrip().startswith('<form id="task-II-1-1-1"')
    assert 'name="version" value="2"' in updated.text and "✓ Đã lưu" in updated.text
    assert updated_n < created_n
    assert updated_n <= 20, updated_n


def test_a_later_periods_saved_row_keeps_last_periods_answer_to_carry(
    reporter: TestClient, seeded: Session, clock: FixedClock
) -> None:
    """The saved row reads its two reports (this period's, the last one's) in one statement:
    the answer still offers October's to carry into November, and shows November's own."""
    progress_service.upsert_progress(
        db_session=seeded,
        actor=SYSTEM,
        clock=clock,
        data=ProgressWrite(
            assignment="II.1.1.1",
            unit=UNIT,
            period=PERIOD,
            status="in_progress",
            percent_complete=35,
            result="Tháng 10: đã họp triển khai",
        ),
    )
    november = f"/units/{UNIT}/periods/2025-11"
    data = {
        "csrf_token": reporter.csrf,  # type: ignore[attr-defined]
        "version": "0",
        "status": "in_progress",
        "percent_complete": "60",
        "result": "Tháng 11: đã tổ chức tập huấn",
    }
    for version in ("0", "1"):  # the first save (with counters), then the row alone
        data["version"], data["percent_complete"] = version, str(60 + int(version))
        resp = reporter.post(f"{november}/tasks/II.1.1.1", data=data, headers=HX)
        assert resp.status_code == 200, resp.text
        assert hidden_carry(resp.text)["result"] == "Tháng 10: đã họp triển khai"
        assert "Tháng 11: đã tổ chức tập huấn" in resp.text
        assert f'name="version" value="{int(version) + 1}"' in resp.text


def hidden_carry(html: str) -> dict[str, object]:
    """What the row offers to carry from the last period (``data-carry``)."""
    found = re.search(r"data-carry='([^']*)'", html)
    assert found, "no carry offered"
    carried = json.loads(unescape(found.group(1)))
    assert isinstance(carried, dict)
    return carried
