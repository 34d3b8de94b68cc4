"""What the two feeds' importers share: upsert records by code, audit them, and mark the (unit,
period) pairs they touch.

A file of dossiers is read and written like any import (``bulk.run_import``); what is particular
here is that every changed record marks its (unit, period) pairs, old and new, as touched, and
only those pairs are recomputed at the end of the batch, in the same transaction. Importing one
month therefore touches only that month's readings, and an unchanged file touches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Table, select, update
from sqlalchemy.engine import RowMapping
from sqlmodel import Session

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock, FixedClock
from app.db import insert_many
from app.errors import AppError, Conflict, FieldError
from app.kpis.lookups import Lookups
from app.kpis.models import (
    Domain,
)
from app.periods import Granularity, Period, PeriodError
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Plan
from app.units import service as unit_service
from app.units.models import Unit
from app.uploads.bulk import Outcome


def iso_value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime | date) else value


@dataclass
class _Change:
    fields: dict[str, Any]
    old: RowMapping | None


class RecordImporter:
    """What the two feeds share: upsert by code, audit, lock checks, touched (unit, period)s."""

    table: Table
    entity: str
    columns: Sequence[str]
    required: Sequence[str]
    #: Values a new record gets for the columns a feed may leave out (an update keeps them).
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        *,
        db_session: Session,
        actor: Actor,
        clock: Clock,
        plan: Plan,
        carried: frozenset[str] | None = None,
    ) -> None:
        self.db_session = db_session
        self.actor = actor.through("import")
        self.clock = clock
        self.now = clock.now()
        self.lookups = Lookups(db_session=db_session, clock=clock)
        self.plan = plan
        self.calendar = plan_service.calendar_for(plan)
        self.carried = carried
        self.touched: set[tuple[int, str]] = set()
        self.batch_id: int | None = None
        self.conflict_keys: list[str] = []
        self._writable: dict[str, Unit] = {}
        self._domain_ids: dict[str, int] = {}
        self._open: set[tuple[int, str]] = set()
        self._periods: dict[date, tuple[str, ...]] = {}
        self._units: dict[int, Unit] = {}
        self._domains: dict[int, str] = {}

    # helpers ------------------------------------------------------------------------------------

    def period_of(self, day: date | None) -> str | None:
        """The plan's reporting period holding a day (None before the plan's first period)."""
        found = self.periods_of(day)
        return found[0] if found else None

    def periods_of(self, day: date | None) -> tuple[str, ...]:
        """The periods a record counts in: the plan's reporting period and, in a quarterly year,
        also its month, because the committee meets monthly (Plan 84 III.2) and a month's rates
        are computed from the same records. Each period is scored on its own: nothing twice."""
        if day is None:
            return ()
        if day not in self._periods:
            try:
                period = self.calendar.period_for(day)
            except PeriodError:
                self._periods[day] = ()
            else:
                month = period_of_month(day)
                extra = () if month == period else (str(month),)
                self._periods[day] = (str(period), *extra)
        return self._periods[day]

    def unit_by_id(self, unit_id: int) -> Unit:
        if unit_id not in self._units:
            found = self.db_session.get(Unit, unit_id)
            assert found is not None
            self._units[unit_id] = found
        return self._units[unit_id]

    def domain_code(self, domain_id: int) -> str:
        if domain_id not in self._domains:
            found = self.db_session.get(Domain, domain_id)
            assert found is not None
            self._domains[domain_id] = found.code
        return self._domains[domain_id]

    def key(self, values: dict[str, Any]) -> str | None:
        code = values.get("code")
        return None if code is None else str(code).strip()

    # to be provided -----------------------------------------------------------------------------

    def fields_of(self, row: Any, unit: Unit) -> dict[str, Any]:
        raise NotImplementedError

    def days_of(self, fields: RowMapping | dict[str, Any]) -> Iterable[date | None]:
        raise NotImplementedError

    def snapshot(self, fields: RowMapping | dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # the work -----------------------------------------------------------------------------------

    def _unit(self, code: str) -> Unit:
        """The row's unit, once the sender may write for it and it is active (checked once per
        code: the errors are raised again, from the lookups' memory, for every row naming it)."""
        unit = self._writable.get(code)
        if unit is None:
            authorize(self.actor, Permission.DATA_WRITE, unit_code=code)
            unit = self.lookups.unit(code)
            unit_service.ensure_active(unit)
            self._writable[code] = unit
        return unit

    def _plan(self, row: Any, old: RowMapping | None) -> tuple[Outcome, _Change | None]:
        unit = self._unit(row.unit)
        # A record is its unit's ward's: codes are unique per ward, never across the city.
        fields = {"ward_id": unit.ward_id, **self.fields_of(row, unit)}
        if old is None:
            fields = {**self.defaults, **fields}
        unit_id = fields["unit_id"]
        pairs = {(unit_id, p) for day in self.days_of(fields) for p in self.periods_of(day)}
        if old is not None:
            if all(old[k] == v for k, v in fields.items()):
                return Outcome.UNCHANGED, None
            if old["unit_id"] != unit_id:  # moving a record away from a unit is that unit's call
                authorize(
                    self.actor,
                    Permission.DATA_WRITE,
                    unit_code=self.unit_by_id(old["unit_id"]).code,
                )
            pairs |= {
                (old["unit_id"], p) for day in self.days_of(old) for p in self.periods_of(day)
            }
        if not pairs <= self._open:
            for pair_unit, period in sorted(pairs):
                self.lookups.ensure_open(
                    self.plan, self.unit_by_id(pair_unit), period, only_final=True
                )
            self._open |= pairs  # open: no need to ask again in this batch
        self.touched |= pairs
        return (Outcome.CREATED if old is None else Outcome.UPDATED), _Change(fields, old)

    def process(
        self, rows: Sequence[tuple[int, Any]], *, write: bool
    ) -> list[tuple[int, Outcome | AppError]]:
        codes = [row.code for _, row in rows]
        # A Core statement: the session's ward rule does not reach it, so the ward is named
        # here (another ward's record with the same code is another record).
        query = (
            select(self.table)
            .where(self.table.c.ward_id == self.plan.ward_id, self.table.c.code.in_(codes))
            .with_for_update()
        )
        existing = {m["code"]: m for m in self.db_session.execute(query).mappings()}
        out: list[tuple[int, Outcome | AppError]] = []
        changes: list[_Change] = []
        for number, row in rows:
            try:
                outcome, change = self._plan(row, existing.get(row.code))
            except AppError as exc:
                out.append((number, exc.with_traceback(None)))  # no frame cycle per refused row
                continue
            out.append((number, outcome))
            if change is not None:
                changes.append(change)
        if write and changes:
            self._write(changes)
        return out

    def _write(self, changes: list[_Change]) -> None:
        """Plain INSERT/UPDATE statements: a feed may carry a million records."""
        now = self.now
        creates = [
            {
                **c.fields,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "import_batch_id": self.batch_id,
            }
            for c in changes
            if c.old is None
        ]
        if creates:
            insert_many(self.db_session, self.table, creates, overlap=True)
        for c in changes:
            if c.old is None:
                continue
            done = self.db_session.exec(
                update(self.table)
                .where(self.table.c.id == c.old["id"], self.table.c.version == c.old["version"])
                .values(**c.fields, version=c.old["version"] + 1, updated_at=now)
            )
            if done.rowcount != 1:
                raise Conflict(
                    f"Bản ghi {c.fields['code']} vừa được người khác sửa; hãy gửi lại tệp.",
                    code="stale_version",
                    errors=[FieldError("code", "stale_version", "Phiên bản đã cũ.")],
                )
        # New records are recorded by the batch's audit event (they name it); a change keeps
        # its own event, with what the record looked like before.
        audit.record_many(
            db_session=self.db_session,
            rows=[
                audit.row_values(
                    actor=self.actor,
                    action=AuditAction.CREATE if c.old is None else AuditAction.UPDATE,
                    entity=self.entity,
                    key=str(c.fields["code"]),
                    before=self.snapshot(c.old) if c.old is not None else None,
                    after=self.snapshot(c.fields if c.old is None else {**c.old, **c.fields}),
                    clock=FixedClock(now),
                )
                for c in changes
                if c.old is not None or self.batch_id is None
            ],
        )


def period_of_month(day: date) -> Period:
    return Period(day.year, Granularity.MONTH, day.month)
