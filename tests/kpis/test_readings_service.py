"""The readings service, called directly: the one function behind the API and the officers' pages.

These tests use the ``seeded`` session and the frozen ``clock`` without going through HTTP, and
show that what the service writes is what the API reads and updates (and the other way round).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.actors import SYSTEM, Actor
from app.clock import FixedClock
from app.errors import Conflict, Invalid, NotFound
from app.kpis import readings
from app.kpis.models import Indicator, Reading, ReadingSource, ReadingWrite
from app.kpis.store import UpsertResult
from app.units.models import Unit

#: An administrator at the service layer: these tests are about data rules, not permissions.
OFFICER = Actor(username="can-bo-vhxh", role="admin", unit_code="vhxh", via="web")


def write(**overrides: Any) -> ReadingWrite:
    data: dict[str, Any] = {
        "indicator": "complaint_ontime",
        "unit": "vhxh",
        "period": "2025-10",
        "value": 96.5,
    }
    data.update(overrides)
    return ReadingWrite(**data)


def upsert(
    session: Session,
    clock: FixedClock,
    source: ReadingSource = ReadingSource.API,
    **overrides: Any,
) -> UpsertResult:
    return readings.upsert_reading(
        db_session=session, actor=OFFICER, clock=clock, data=write(**overrides), source=source
    )


def stored(session: Session) -> list[Reading]:
    session.expire_all()
    return list(session.exec(select(Reading).order_by(col(Reading.id))).all())


# --- the service on its own ----------------------------------------------------------------------


def test_upsert_creates_then_updates_then_sees_no_change(
    seeded: Session, clock: FixedClock
) -> None:
    created = upsert(seeded, clock, value=90)
    assert created.created and created.changed
    assert created.reading.version == 1
    assert created.reading.source == "api"
    assert created.reading.created_at == clock.now()

    clock.advance(timedelta(minutes=5))
    updated = upsert(seeded, clock, value=95)
    assert not updated.created and updated.changed
    assert updated.reading.id == created.reading.id
    assert updated.reading.version == 2
    assert updated.reading.updated_at == clock.now()

    clock.advance(timedelta(minutes=5))
    same = upsert(seeded, clock, value=95)
    assert not same.created and not same.changed
    assert same.reading.version == 2
    assert same.reading.updated_at == updated.reading.updated_at

    [row] = stored(seeded)
    assert (row.value, row.version) == (95, 2)
    assert row.period_start == date(2025, 10, 1)
    assert row.period_end == date(2025, 10, 31)


def test_upsert_computes_the_value_from_a_fraction(seeded: Session, clock: FixedClock) -> None:
    result = upsert(seeded, clock, value=None, numerator=197, denominator=200)
    assert result.reading.value == pytest.approx(98.5)
    [row] = stored(seeded)
    assert (row.numerator, row.denominator) == (197, 200)


def test_upsert_records_the_source_it_is_given(seeded: Session, clock: FixedClock) -> None:
    result = upsert(seeded, clock, source=ReadingSource.FORM)
    assert result.reading.source == "form"
    result = upsert(seeded, clock, source=ReadingSource.IMPORT, value=50)
    assert result.reading.source == "import"
    assert stored(seeded)[0].source == "import"


def test_upsert_accepts_any_actor(seeded: Session, clock: FixedClock) -> None:
    result = readings.upsert_reading(db_session=seeded, actor=SYSTEM, clock=clock, data=write())
    assert result.created


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"period": "2025-12"}, "period", "period_invalid"),
        ({"period": "2025-Q4"}, "period", "period_invalid"),
        ({"period": "2025-09"}, "period", "period_invalid"),
        ({"domain": "ho-tich"}, "domain", "domain_not_allowed"),
        ({"indicator": "tthc_ontime"}, "domain", "domain_required"),
        ({"value": 101}, "value", "out_of_range"),
        ({"value": None}, "value", "required"),
        ({"value": None, "numerator": 3, "denominator": 0}, "denominator", "zero_denominator"),
        ({"value": None, "numerator": 3, "denominator": 2}, "numerator", None),
        ({"value": 10, "numerator": 1, "denominator": 2}, "value", "value_mismatch"),
    ],
)
def test_upsert_refuses_bad_input_and_writes_nothing(
    seeded: Session,
    clock: FixedClock,
    overrides: dict[str, Any],
    field: str,
    code: str | None,
) -> None:
    with pytest.raises(Invalid) as caught:
        upsert(seeded, clock, **overrides)
    assert caught.value.status_code == 422
    assert caught.value.errors[0].field == field
    if code is not None:
        assert caught.value.errors[0].code == code
    assert stored(seeded) == []


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"indicator": "khong_co"}, "indicator_not_found"),
        ({"unit": "khong-co"}, "unit_not_found"),
        ({"indicator": "tthc_ontime", "domain": "khong-co"}, "domain_not_found"),
        ({"plan": "khong-co"}, "plan_not_found"),
    ],
)
def test_upsert_refuses_unknown_codes(
    seeded: Session, clock: FixedClock, overrides: dict[str, Any], code: str
) -> None:
    with pytest.raises(NotFound) as caught:
        upsert(seeded, clock, **overrides)
    assert caught.value.code == code
    assert caught.value.status_code == 404


def test_upsert_guards_versions(seeded: Session, clock: FixedClock) -> None:
    with pytest.raises(Conflict) as caught:
        upsert(seeded, clock, version=1)
    assert caught.value.code == "stale_version"
    upsert(seeded, clock, value=90, version=0)
    with pytest.raises(Conflict):
        upsert(seeded, clock, value=91, version=0)
    assert upsert(seeded, clock, value=91, version=1).reading.version == 2
    with pytest.raises(Conflict) as caught:
        upsert(seeded, clock, value=92, version=1)
    assert caught.value.status_code == 409
    assert caught.value.errors[0].field == "version"
    [row] = stored(seeded)
    assert (row.value, row.version) == (91, 2)


def test_session_stays_usable_after_a_refusal(seeded: Session, clock: FixedClock) -> None:
    upsert(seeded, clock, value=90)
    with pytest.raises(Conflict):
        upsert(seeded, clock, value=50, version=7)
    assert upsert(seeded, clock, value=91, version=1).reading.version == 2


def test_list_and_delete(seeded: Session, clock: FixedClock) -> None:
    first = upsert(seeded, clock, unit="vp").reading
    upsert(seeded, clock, unit="vhxh", period="2025-11")
    items, total = readings.list_readings(
        db_session=seeded,
        actor=OFFICER,
        filters=readings.ReadingFilters(period_to="2025-10"),
        limit=10,
        offset=0,
    )
    assert total == 1
    assert [r.id for r in items] == [first.id]
    with pytest.raises(Invalid) as caught:
        readings.list_readings(
            db_session=seeded,
            actor=OFFICER,
            filters=readings.ReadingFilters(period="Q4"),
            limit=10,
            offset=0,
        )
    assert caught.value.errors[0].field == "period"
    readings.delete_reading(db_session=seeded, actor=OFFICER, reading_id=first.id)
    assert len(stored(seeded)) == 1
    with pytest.raises(NotFound):
        readings.delete_reading(db_session=seeded, actor=OFFICER, reading_id=first.id)


# --- one function behind the page and the API ----------------------------------------------------


def test_a_form_entry_is_what_the_api_reads_and_updates(
    api: TestClient, seeded: Session, clock: FixedClock
) -> None:
    entered = upsert(seeded, clock, source=ReadingSource.FORM, value=93, note="Nhập qua biểu mẫu")
    listed = api.get("/api/v1/readings", params={"unit": "vhxh"}).json()
    assert listed["total"] == 1
    got = listed["items"][0]
    assert got["id"] == entered.reading.id
    assert got["source"] == "form"
    assert got["note"] == "Nhập qua biểu mẫu"
    # The same rules apply whichever way the value comes in: a stale version is refused ...
    resp = api.put(
        "/api/v1/readings",
        json={**write(value=94).model_dump(exclude_none=True), "version": 0},
    )
    assert resp.status_code == 409
    # ... and an update through the API bumps the version the form will check next.
    resp = api.put("/api/v1/readings", json={**write(value=94).model_dump(exclude_none=True)})
    assert resp.status_code == 200
    assert resp.json()["version"] == 2
    assert resp.json()["source"] == "api"
    with pytest.raises(Conflict):
        upsert(seeded, clock, source=ReadingSource.FORM, value=95, version=1)
    assert upsert(seeded, clock, source=ReadingSource.FORM, value=95, version=2).changed


def test_an_api_entry_is_what_the_service_finds(
    api: TestClient, seeded: Session, clock: FixedClock
) -> None:
    body = {"indicator": "tthc_ontime", "unit": "ttpvhcc", "period": "2025-11", "domain": "ho-tich"}
    resp = api.put("/api/v1/readings", json={**body, "numerator": 49, "denominator": 50})
    assert resp.status_code == 201
    again = upsert(seeded, clock, **body, value=None, numerator=49, denominator=50)
    assert not again.created and not again.changed
    assert again.reading.id == resp.json()["id"]
    assert again.reading.value == pytest.approx(98)


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
        rows = list(result.all())  # read everything first: an open SQLite cursor blocks writers
        action()
        return _Rows(rows)

    monkeypatch.setattr(session, "exec", exec_)


def test_two_simultaneous_creates_give_one_row_and_a_409(
    seeded: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = seeded.get_bind()
    ind = seeded.exec(select(Indicator).where(Indicator.code == "complaint_ontime")).one()
    unit = seeded.exec(select(Unit).where(Unit.code == "vhxh")).one()
    assert ind.id is not None and unit.id is not None

    def other_person_creates() -> None:
        with Session(engine) as other:
            other.add(
                Reading(
                    indicator_id=ind.id,
                    unit_id=unit.id,
                    period="2025-10",
                    period_start=date(2025, 10, 1),
                    period_end=date(2025, 10, 31),
                    value=11,
                    source="form",
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
            other.commit()

    _after_lookup(monkeypatch, seeded, other_person_creates)
    with pytest.raises(Conflict) as caught:
        upsert(seeded, clock, value=96.5)
    assert caught.value.status_code == 409
    assert caught.value.errors[0].field == "version"
    monkeypatch.undo()
    [row] = stored(seeded)
    assert (row.value, row.version) == (11, 1)


def test_two_simultaneous_updates_lose_nothing(
    seeded: Session, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = seeded.get_bind()
    first = upsert(seeded, clock, value=90).reading
    blocked: list[bool] = []

    def other_person_updates() -> None:
        with Session(engine) as other:
            if other.get_bind().dialect.name == "postgresql":
                other.connection().exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
            try:
                other.execute(
                    update(Reading)
                    .where(col(Reading.id) == first.id, col(Reading.version) == 1)
                    .values(value=11, version=2)
                )
                other.commit()
            except OperationalError:  # the row is locked by the first editor
                other.rollback()
                blocked.append(True)

    _after_lookup(monkeypatch, seeded, other_person_updates)
    try:
        result = upsert(seeded, clock, value=95, version=1)
    except Conflict as exc:
        result = None
        assert exc.code == "stale_version"
    monkeypatch.undo()
    [row] = stored(seeded)
    assert row.version == 2
    if blocked:  # PostgreSQL: the second writer waited on the row lock and gave up
        assert result is not None and result.reading.version == 2
        assert row.value == 95
    else:  # SQLite: the second writer got in first, so the first one must be refused
        assert result is None
        assert row.value == 11
