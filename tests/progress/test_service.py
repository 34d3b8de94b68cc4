"""The progress service, called directly: the one function behind the API and the pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import FixedClock
from app.errors import Conflict, Invalid, NotFound
from app.plans.models import Assignment
from app.progress import service
from app.progress.models import ProgressUpdate, ProgressWrite
from app.units.models import Unit

#: An administrator at the service layer: these tests are about data rules, not permissions.
OFFICER = Actor(username="can-bo-vp", role="admin", unit_code="vp", via="web")


def write(**overrides: Any) -> ProgressWrite:
    data: dict[str, Any] = {
        "assignment": "II.2.2.1",
        "unit": "vp",
        "period": "2025-10",
        "status": "in_progress",
        "percent_complete": 40,
    }
    data.update(overrides)
    return ProgressWrite(**data)


def upsert(session: Session, clock: FixedClock, **overrides: Any) -> service.ProgressResult:
    return service.upsert_progress(
        db_session=session, actor=OFFICER, clock=clock, data=write(**overrides)
    )


def stored(session: Session) -> list[ProgressUpdate]:
    session.expire_all()
    return list(session.exec(select(ProgressUpdate).order_by(col(ProgressUpdate.id))).all())


def test_upsert_creates_updates_and_sees_no_change(seeded: Session, clock: FixedClock) -> None:
    created = upsert(seeded, clock)
    assert created.created and created.changed
    assert created.progress.version == 1
    assert created.progress.created_at == clock.now()

    clock.advance(timedelta(days=1))
    updated = upsert(seeded, clock, status="done", percent_complete=None, result="Xong")
    assert not updated.created and updated.changed
    assert updated.progress.version == 2
    assert updated.progress.percent_complete == 100
    assert updated.progress.updated_at == clock.now()

    clock.advance(timedelta(days=1))
    same = upsert(seeded, clock, status="done", percent_complete=100, result="Xong")
    assert not same.changed
    assert same.progress.version == 2
    assert same.progress.updated_at == updated.progress.updated_at

    [row] = stored(seeded)
    assert (row.status, row.percent_complete, row.version) == ("done", 100, 2)
    assert (row.period_start, row.period_end) == (date(2025, 10, 1), date(2025, 10, 31))


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"status": "done", "percent_complete": 50}, "percent_complete", "inconsistent"),
        ({"status": "not_started", "percent_complete": 5}, "percent_complete", "inconsistent"),
        ({"percent_complete": None}, "percent_complete", "required"),
        ({"percent_complete": 100}, "percent_complete", "inconsistent"),
        ({"status": "not_applicable"}, "percent_complete", "inconsistent"),
        ({"unit": "ttpvhcc"}, "unit", "not_assigned"),
        ({"period": "2025-12"}, "period", "period_invalid"),
        ({"period": "2025-Q4"}, "period", "period_invalid"),
        ({"period": "2025-09"}, "period", "period_invalid"),
    ],
)
def test_upsert_refuses_bad_input_and_writes_nothing(
    seeded: Session, clock: FixedClock, overrides: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(Invalid) as caught:
        upsert(seeded, clock, **overrides)
    assert caught.value.status_code == 422
    assert (caught.value.errors[0].field, caught.value.errors[0].code) == (field, code)
    assert stored(seeded) == []


def test_schema_refuses_out_of_range_percent() -> None:
    with pytest.raises(ValueError, match="percent_complete"):
        write(percent_complete=101)
    with pytest.raises(ValueError, match="percent_complete"):
        write(percent_complete=-1)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"assignment": "II.9.9.9"}, "assignment_not_found"),
        ({"unit": "khong-co"}, "unit_not_found"),
        ({"plan": "khong-co"}, "plan_not_found"),
    ],
)
def test_upsert_refuses_unknown_codes(
    seeded: Session, clock: FixedClock, overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(NotFound) as caught:
        upsert(seeded, clock, **overrides)
    assert caught.value.code == code


def test_upsert_accepts_units_the_task_concerns(seeded: Session, clock: FixedClock) -> None:
    assert upsert(seeded, clock, assignment="II.1.1.1", unit="mttq").created
    assert upsert(seeded, clock, assignment="II.2.3.4", unit="vhxh").created
    assert upsert(seeded, clock, assignment="II.2.3.4", unit="ttpvhcc").created
    assert len(stored(seeded)) == 3


def test_upsert_guards_versions(seeded: Session, clock: FixedClock) -> None:
    with pytest.raises(Conflict):
        upsert(seeded, clock, version=4)
    upsert(seeded, clock, version=0)
    with pytest.raises(Conflict):
        upsert(seeded, clock, version=0, percent_complete=41)
    assert upsert(seeded, clock, version=1, percent_complete=50).progress.version == 2
    with pytest.raises(Conflict) as caught:
        upsert(seeded, clock, version=1, percent_complete=10)
    assert caught.value.code == "stale_version"
    [row] = stored(seeded)
    assert (row.percent_complete, row.version) == (50, 2)


def test_list_progress_at_service_level(seeded: Session, clock: FixedClock) -> None:
    upsert(seeded, clock, period="2025-11")
    upsert(seeded, clock, period="2025-10")
    upsert(seeded, clock, assignment="II.1.1.1", unit="vhxh", period="2025-10")
    items, total = service.list_progress(
        db_session=seeded,
        actor=OFFICER,
        filters=service.ProgressFilters(period="2025-10"),
        limit=10,
        offset=0,
    )
    assert total == 2
    assert [(i.assignment, i.unit) for i in items] == [("II.1.1.1", "vhxh"), ("II.2.2.1", "vp")]
    items, total = service.list_progress(
        db_session=seeded,
        actor=OFFICER,
        filters=service.ProgressFilters(unit="vp"),
        limit=1,
        offset=1,
    )
    assert total == 2
    assert [i.period for i in items] == ["2025-11"]


def test_the_page_and_the_api_share_one_function(
    api: TestClient, seeded: Session, clock: FixedClock
) -> None:
    entered = upsert(seeded, clock, result="Nhập qua trang báo cáo")
    got = api.get("/api/v1/progress", params={"unit": "vp"}).json()["items"]
    assert [g["id"] for g in got] == [entered.progress.id]
    assert got[0]["result"] == "Nhập qua trang báo cáo"
    body = write(percent_complete=70).model_dump(mode="json", exclude_none=True)
    resp = api.put("/api/v1/progress", json={**body, "version": 1})
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == 2
    with pytest.raises(Conflict):
        upsert(seeded, clock, percent_complete=90, version=1)
    assert upsert(seeded, clock, percent_complete=90, version=2).progress.version == 3
    assert api.get("/api/v1/progress").json()["items"][0]["percent_complete"] == 90


# --- races the version check alone cannot see ----------------------------------------------------


class _Rows:
    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None


def _after_lookup(
    monkeypatch: pytest.MonkeyPatch, session: Session, action: Callable[[], None]
) -> None:
    """Run ``action`` (another person's write) right after the service has looked its row up."""
    real_exec = session.exec
    fired = False

    def exec_(statement: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal fired
        result = real_exec(statement, *args, **kwargs)
        if fired or getattr(statement, "_for_update_arg", None) is None:
            return result
        fired = True
        rows = list(result.all())
        action()
        return _Rows(rows)

    monkeypatch.setattr(session, "exec", exec_)


def test_two_simultaneous_first_reports_give_one_row_and_a_409(
    seeded: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = seeded.get_bind()
    task = seeded.exec(select(Assignment).where(Assignment.code == "II.2.2.1")).one()
    unit = seeded.exec(select(Unit).where(Unit.code == "vp")).one()
    assert task.id is not None and unit.id is not None

    def other_person_reports() -> None:
        with Session(engine) as other:
            other.add(
                ProgressUpdate(
                    assignment_id=task.id,
                    unit_id=unit.id,
                    period="2025-10",
                    period_start=date(2025, 10, 1),
                    period_end=date(2025, 10, 31),
                    status="not_started",
                    percent_complete=0,
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
            other.commit()

    _after_lookup(monkeypatch, seeded, other_person_reports)
    with pytest.raises(Conflict) as caught:
        upsert(seeded, clock)
    assert caught.value.status_code == 409
    monkeypatch.undo()
    [row] = stored(seeded)
    assert (row.status, row.version) == ("not_started", 1)


def test_two_simultaneous_edits_lose_nothing(
    seeded: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = seeded.get_bind()
    first = upsert(seeded, clock).progress
    blocked: list[bool] = []

    def other_person_edits() -> None:
        with Session(engine) as other:
            if other.get_bind().dialect.name == "postgresql":
                other.connection().exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
            try:
                other.execute(
                    update(ProgressUpdate)
                    .where(col(ProgressUpdate.id) == first.id, col(ProgressUpdate.version) == 1)
                    .values(percent_complete=5, version=2)
                )
                other.commit()
            except OperationalError:
                other.rollback()
                blocked.append(True)

    _after_lookup(monkeypatch, seeded, other_person_edits)
    try:
        result: service.ProgressResult | None = upsert(
            seeded, clock, percent_complete=80, version=1
        )
    except Conflict:
        result = None
    monkeypatch.undo()
    [row] = stored(seeded)
    assert row.version == 2
    if blocked:  # PostgreSQL: the row lock made the other editor wait
        assert result is not None
        assert row.percent_complete == 80
    else:  # SQLite: the other editor got in first; this one is told so
        assert result is None
        assert row.percent_complete == 5
