"""Dossier and feedback feeds: upsert raw records by code, then recompute what they measure.

A file of dossiers is read and written like any import (``bulk.run_import``); what is particular
here is that every changed record marks its (unit, period) pairs, old and new, as touched, and
only those pairs are recomputed at the end of the batch, in the same transaction. Importing one
month therefore touches only that month's readings, and an unchanged file touches nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, NamedTuple

from sqlalchemy import Table, case, false, func, select, true, update
from sqlalchemy.engine import RowMapping
from sqlmodel import Session
from sqlmodel import select as sm_select

from app.accounts.permissions import Permission, authorize
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock, FixedClock
from app.db import insert_many, table_of
from app.errors import AppError, Conflict, FieldError
from app.integration.bulk import ImportOptions, ImportResult, Outcome, profile_finder, run_import
from app.integration.files import Upload
from app.integration.metrics import (
    FEED_NAMES,
    METRICS,
    Basis,
    Feed,
    Metric,
    conflict_text,
    format_figure,
)
from app.integration.models import (
    Dossier,
    DossierChannel,
    Feedback,
    FeedbackChannel,
    FeedbackKind,
)
from app.integration.records import (
    FLAG_SPELLINGS,
    UNKNOWN_SPELLINGS,
    Moment,
    RowProblems,
    check_not_future,
    check_order,
    check_unknown,
    parse_choice,
    parse_code,
    parse_flag,
    parse_moment,
    parse_record_code,
    parse_text,
    take,
)
from app.kpis import service as kpi_service
from app.kpis.lookups import Lookups
from app.kpis.models import (
    Disaggregation,
    Domain,
    Reading,
    ReadingRead,
    ReadingSource,
    ReadingWrite,
    figures_differ,
)
from app.periods import Granularity, Period, PeriodError
from app.plans import service as plan_service
from app.plans.models import Plan
from app.units import service as unit_service
from app.units.models import Unit
from app.versioning import WriteAction

DOSSIER_COLUMNS = (
    "code",
    "unit",
    "procedure_code",
    "procedure_name",
    "domain",
    "channel",
    "received_at",
    "due_at",
    "completed_at",
    "returned_at",
    "rescheduled",
    "fully_online",
    "digitized",
    "e_result",
    "reused_data",
    "paid_online",
)
DOSSIER_REQUIRED = ("code", "unit", "domain", "channel", "received_at", "due_at")
FEEDBACK_COLUMNS = (
    "code",
    "unit",
    "channel",
    "kind",
    "received_at",
    "due_at",
    "resolved_at",
    "satisfied",
)
FEEDBACK_REQUIRED = ("code", "unit", "channel", "kind", "received_at", "due_at")
_DOSSIER_ALLOWED = frozenset(DOSSIER_COLUMNS)
_FEEDBACK_ALLOWED = frozenset(FEEDBACK_COLUMNS)

_FLAGS = ("rescheduled", "fully_online", "digitized", "e_result", "reused_data", "paid_online")


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierRow:
    code: str
    unit: str
    domain: str
    procedure_code: str
    procedure_name: str
    channel: str
    received: Moment
    due: Moment
    completed: Moment | None
    returned: Moment | None
    flags: dict[str, bool | None]  # only the flags the feed carries; None: said to be unknown


def _flag(problems: RowProblems, values: dict[str, Any], name: str) -> bool | None:
    """A yes/no column: the spellings systems send are answered at once, the rest parsed. An
    empty CSV cell is "no" (as documented); a JSON ``null`` or "không rõ" is "unknown"."""
    raw = values.get(name)
    if raw is None:
        return None if name in values else False
    if isinstance(raw, str) and raw.strip().lower() in UNKNOWN_SPELLINGS:
        return None
    exact = FLAG_SPELLINGS.get(raw) if isinstance(raw, str) else None
    if exact is not None:
        return exact
    return bool(take(problems, values, name, parse_flag, default=False))


def parse_dossier(
    values: dict[str, Any], *, now: datetime, carried: frozenset[str] | None = None
) -> DossierRow:
    """A dossier row, or ``Invalid`` listing every field that is wrong or contradicts another.

    ``carried``: the columns of a CSV file's header. A flag column the file does not carry (or
    a key a JSON row leaves out) is not a "no": the row says nothing about it, so a new record
    stores NULL (unknown) there and an existing one keeps what it had.
    """
    p = RowProblems()
    check_unknown(p, values, _DOSSIER_ALLOWED)
    code = take(p, values, "code", parse_record_code, required=True)
    unit = take(p, values, "unit", parse_code, required=True)
    domain = take(p, values, "domain", parse_code, required=True)
    procedure_code = take(
        p, values, "procedure_code", lambda v: parse_text(v, max_length=64), default=""
    )
    procedure_name = take(
        p, values, "procedure_name", lambda v: parse_text(v, max_length=500), default=""
    )
    channel = take(p, values, "channel", lambda v: parse_choice(v, DossierChannel), required=True)
    received = take(p, values, "received_at", parse_moment, required=True)
    due = take(p, values, "due_at", lambda v: parse_moment(v, end_of_day=True), required=True)
    completed = take(p, values, "completed_at", parse_moment)
    returned = take(p, values, "returned_at", parse_moment)
    flags = {
        name: _flag(p, values, name)
        for name in _FLAGS
        if (name in carried if carried is not None else name in values)
    }
    check_order(
        p,
        received,
        due,
        field_name="due_at",
        code="due_before_received",
        message="Ngày hẹn trả kết quả không được trước ngày tiếp nhận hồ sơ.",
    )
    check_order(
        p,
        received,
        completed,
        field_name="completed_at",
        code="completed_before_received",
        message="Ngày giải quyết xong không được trước ngày tiếp nhận hồ sơ.",
    )
    check_order(
        p,
        received,
        returned,
        field_name="returned_at",
        code="returned_before_received",
        message="Ngày trả kết quả không được trước ngày tiếp nhận hồ sơ.",
    )
    check_order(
        p,
        completed,
        returned,
        field_name="returned_at",
        code="returned_before_completed",
        message="Ngày trả kết quả không được trước ngày giải quyết xong.",
    )
    if returned is not None and completed is None:
        p.add(
            "completed_at",
            "returned_without_completed",
            "Hồ sơ đã trả kết quả thì phải có ngày giải quyết xong (completed_at).",
        )
    if flags.get("e_result") and completed is None and "completed_at" not in values:
        p.add(
            "e_result",
            "result_not_issued",
            "Hồ sơ chưa giải quyết xong thì chưa thể có kết quả điện tử.",
        )
    if flags.get("fully_online") and channel not in (None, DossierChannel.ONLINE):
        p.add(
            "fully_online",
            "not_online",
            "Hồ sơ trực tuyến toàn trình phải được nộp trực tuyến (channel=online).",
        )
    for name, moment in (
        ("received_at", received),
        ("completed_at", completed),
        ("returned_at", returned),
    ):
        check_not_future(p, moment, field_name=name, now=now)
    p.raise_if_any()
    return DossierRow(
        code=code,
        unit=unit,
        domain=domain,
        procedure_code=procedure_code,
        procedure_name=procedure_name,
        channel=channel,
        received=received,
        due=due,
        completed=completed,
        returned=returned,
        flags=flags,
    )


@dataclass(frozen=True)
class FeedbackRow:
    code: str
    unit: str
    channel: str
    kind: str
    received: Moment
    due: Moment
    resolved: Moment | None
    satisfied: bool | None


def parse_feedback(values: dict[str, Any], *, now: datetime) -> FeedbackRow:
    """A feedback row, or ``Invalid`` listing every field that is wrong or contradicts another."""
    p = RowProblems()
    check_unknown(p, values, _FEEDBACK_ALLOWED)
    code = take(p, values, "code", parse_record_code, required=True)
    unit = take(p, values, "unit", parse_code, required=True)
    channel = take(p, values, "channel", lambda v: parse_choice(v, FeedbackChannel), required=True)
    kind = take(p, values, "kind", lambda v: parse_choice(v, FeedbackKind), required=True)
    received = take(p, values, "received_at", parse_moment, required=True)
    due = take(p, values, "due_at", lambda v: parse_moment(v, end_of_day=True), required=True)
    resolved = take(p, values, "resolved_at", parse_moment)
    satisfied = take(p, values, "satisfied", parse_flag)
    check_order(
        p,
        received,
        due,
        field_name="due_at",
        code="due_before_received",
        message="Hạn xử lý không được trước ngày tiếp nhận.",
    )
    check_order(
        p,
        received,
        resolved,
        field_name="resolved_at",
        code="resolved_before_received",
        message="Ngày xử lý xong không được trước ngày tiếp nhận.",
    )
    if satisfied is not None and resolved is None and "resolved_at" not in values:
        p.add(
            "satisfied",
            "not_resolved",
            "Chưa xử lý xong thì chưa có đánh giá hài lòng: bỏ trống satisfied.",
        )
    for name, moment in (("received_at", received), ("resolved_at", resolved)):
        check_not_future(p, moment, field_name=name, now=now)
    p.raise_if_any()
    return FeedbackRow(code, unit, channel, kind, received, due, resolved, satisfied)


# --- the importers ---------------------------------------------------------------------------


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime | date) else value


@dataclass
class _Change:
    fields: dict[str, Any]
    old: RowMapping | None


class _RecordImporter:
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
                month = _period_of_month(day)
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
        fields = self.fields_of(row, unit)
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
        query = select(self.table).where(self.table.c.code.in_(codes)).with_for_update()
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


class DossierImporter(_RecordImporter):
    kind = "dossiers"
    table = table_of(Dossier)
    entity = "dossier"
    columns = DOSSIER_COLUMNS
    required = DOSSIER_REQUIRED
    defaults = dict.fromkeys(_FLAGS)

    def parse(self, values: dict[str, Any]) -> DossierRow:
        return parse_dossier(values, now=self.now, carried=self.carried)

    def fields_of(self, row: DossierRow, unit: Unit) -> dict[str, Any]:
        domain_id = self._domain_ids.get(row.domain)
        if domain_id is None:
            domain = self.lookups.domain(row.domain)
            assert domain.id is not None
            domain_id = self._domain_ids[row.domain] = domain.id
            self._domains[domain.id] = domain.code
        return {
            "code": row.code,
            "unit_id": unit.id,
            "procedure_code": row.procedure_code,
            "procedure_name": row.procedure_name,
            "domain_id": domain_id,
            "channel": row.channel,
            "received_at": row.received.at,
            "due_at": row.due.at,
            "completed_at": row.completed.at if row.completed else None,
            "returned_at": row.returned.at if row.returned else None,
            **row.flags,
            "received_on": row.received.local_day,
            "completed_on": row.completed.local_day if row.completed else None,
        }

    def days_of(self, fields: RowMapping | dict[str, Any]) -> Iterable[date | None]:
        return (fields["received_on"], fields["completed_on"])

    def snapshot(self, fields: RowMapping | dict[str, Any]) -> dict[str, Any]:
        out = {k: _iso(fields[k]) for k in DOSSIER_COLUMNS if k not in {"unit", "domain"}}
        out["unit"] = self.unit_by_id(fields["unit_id"]).code
        out["domain"] = self.domain_code(fields["domain_id"])
        return out

    def finish(self) -> None:
        self.conflict_keys = recompute(
            db_session=self.db_session,
            actor=self.actor,
            lookups=self.lookups,
            plan=self.plan,
            feed=Feed.DOSSIER,
            pairs=self.touched,
        )


class FeedbackImporter(_RecordImporter):
    kind = "feedback"
    table = table_of(Feedback)
    entity = "feedback"
    columns = FEEDBACK_COLUMNS
    required = FEEDBACK_REQUIRED

    def parse(self, values: dict[str, Any]) -> FeedbackRow:
        return parse_feedback(values, now=self.now)

    def fields_of(self, row: FeedbackRow, unit: Unit) -> dict[str, Any]:
        return {
            "code": row.code,
            "unit_id": unit.id,
            "channel": row.channel,
            "kind": row.kind,
            "received_at": row.received.at,
            "due_at": row.due.at,
            "resolved_at": row.resolved.at if row.resolved else None,
            "satisfied": row.satisfied,
            "received_on": row.received.local_day,
            "resolved_on": row.resolved.local_day if row.resolved else None,
        }

    def days_of(self, fields: RowMapping | dict[str, Any]) -> Iterable[date | None]:
        return (fields["resolved_on"],)

    def snapshot(self, fields: RowMapping | dict[str, Any]) -> dict[str, Any]:
        out = {k: _iso(fields[k]) for k in FEEDBACK_COLUMNS if k != "unit"}
        out["unit"] = self.unit_by_id(fields["unit_id"]).code
        return out

    def finish(self) -> None:
        self.conflict_keys = recompute(
            db_session=self.db_session,
            actor=self.actor,
            lookups=self.lookups,
            plan=self.plan,
            feed=Feed.FEEDBACK,
            pairs=self.touched,
        )


# --- counting and recomputing ------------------------------------------------------------------


Counters = dict[str, int]


def _flag_sum(column: Any, name: str) -> Any:
    return func.coalesce(func.sum(case((column == true(), 1), else_=0)), 0).label(name)


def _known(column: Any, name: str) -> Any:
    """Records whose flag is known: NULL (the feed did not say) counts neither way."""
    return func.count(column).label(f"{name}_known")


def count_dossiers(
    *, db_session: Session, unit_id: int, start: date, end: date, basis: Basis
) -> dict[int, Counters]:
    """Domain → counters of one unit's dossiers completed (or received) between two days."""
    c = table_of(Dossier).c
    if basis == Basis.COMPLETED:
        day = c.completed_on
        columns = [
            func.count().label("processed"),
            func.coalesce(func.sum(case((c.completed_at <= c.due_at, 1), else_=0)), 0).label(
                "on_time"
            ),
            _flag_sum(c.e_result, "e_result"),
            _known(c.e_result, "e_result"),
            func.coalesce(func.sum(case((c.rescheduled == false(), 1), else_=0)), 0).label(
                "not_rescheduled"
            ),
            _known(c.rescheduled, "rescheduled"),
        ]
    else:
        day = c.received_on
        columns = [
            func.count().label("received"),
            func.coalesce(
                func.sum(case((c.channel == DossierChannel.ONLINE.value, 1), else_=0)), 0
            ).label("online"),
            _flag_sum(c.fully_online, "fully_online"),
            _known(c.fully_online, "fully_online"),
            _flag_sum(c.digitized, "digitized"),
            _known(c.digitized, "digitized"),
            _flag_sum(c.reused_data, "reused"),
            _known(c.reused_data, "reused"),
            _flag_sum(c.paid_online, "paid"),
            _known(c.paid_online, "paid"),
        ]
    query = (
        select(c.domain_id, *columns)
        .where(c.unit_id == unit_id, day >= start, day <= end)
        .group_by(c.domain_id)
    )
    out: dict[int, Counters] = {}
    for row in db_session.execute(query).mappings():
        out[row["domain_id"]] = {k: int(v) for k, v in row.items() if k != "domain_id"}
    return out


def count_feedback(
    *, db_session: Session, unit_id: int, start: date, end: date
) -> dict[str, Counters]:
    """Kind → counters of one unit's feedback resolved between two days."""
    c = table_of(Feedback).c
    query = (
        select(
            c.kind,
            func.count().label("resolved"),
            func.coalesce(func.sum(case((c.resolved_at <= c.due_at, 1), else_=0)), 0).label(
                "on_time"
            ),
            func.count(c.satisfied).label("answered"),
            _flag_sum(c.satisfied, "satisfied"),
        )
        .where(c.unit_id == unit_id, c.resolved_on >= start, c.resolved_on <= end)
        .group_by(c.kind)
    )
    return {
        row["kind"]: {k: int(v) for k, v in row.items() if k != "kind"}
        for row in db_session.execute(query).mappings()
    }


def _add(into: Counters, more: Counters) -> Counters:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v
    return into


class Tally(NamedTuple):
    """A metric's counts in one group: the rate is numerator / denominator, where the
    denominator holds the records whose flag is known and ``total`` all of them."""

    numerator: int
    denominator: int
    total: int


def metric_groups(
    *,
    db_session: Session,
    metric: Metric,
    unit_id: int,
    period: Period,
    by_domain: bool,
) -> dict[int | None, Tally]:
    """(domain or None) → the metric's tally, for groups with at least one known record (a
    group whose records all leave the flag unknown has no rate at all, never 0%)."""
    start, end = period.start_date, period.end_date
    if metric.feed == Feed.FEEDBACK:
        per_kind = count_feedback(db_session=db_session, unit_id=unit_id, start=start, end=end)
        total: Counters = {}
        for kind, counters in per_kind.items():
            if metric.kinds is None or kind in metric.kinds:
                _add(total, counters)
        groups: dict[int | None, Counters] = {None: total}
    else:
        per_domain = count_dossiers(
            db_session=db_session, unit_id=unit_id, start=start, end=end, basis=metric.basis
        )
        if by_domain:
            groups = dict(per_domain.items())
        else:
            total = {}
            for counters in per_domain.values():
                _add(total, counters)
            groups = {None: total}
    known = metric.known or metric.denominator
    return {
        key: Tally(c.get(metric.numerator, 0), c[known], c[metric.denominator])
        for key, c in groups.items()
        if c.get(known, 0) > 0
    }


#: How many conflicting keys an import summary names (the count is always complete).
CONFLICT_KEYS_SHOWN = 50


def _period_of_month(day: date) -> Period:
    return Period(day.year, Granularity.MONTH, day.month)


def recompute(
    *,
    db_session: Session,
    actor: Actor,
    lookups: Lookups,
    plan: Plan,
    feed: Feed,
    pairs: Iterable[tuple[int, str]],
) -> list[str]:
    """Bring the computed readings of the touched (unit, period) pairs in line with the records;
    returns the keys where the unit's own figure and the computed one now differ.

    A reading is written only for metrics the plan has an indicator for; a group whose records
    are all gone (or all leave the metric's flag unknown) loses its reading, and a figure the
    unit had entered there counts again. Unchanged figures write nothing (``plan_reading`` says
    so). Where a computed value replaces or contradicts a unit's figure, the unit's reporters
    are told (``notify_units``).
    """
    metrics = []
    for metric in METRICS:
        if metric.feed != feed:
            continue
        try:
            indicator = lookups.indicator(plan, metric.code)
        except AppError:
            continue  # not tracked by this plan: the scorecard still computes it
        if indicator.active and not (
            metric.feed == Feed.FEEDBACK and indicator.disaggregation == Disaggregation.DOMAIN
        ):
            metrics.append((metric, indicator))
    planned: list[kpi_service.PlannedReading] = []
    restored: list[ReadingRead] = []
    for unit_id, period_text in sorted(pairs):
        unit = db_session.get(Unit, unit_id)
        assert unit is not None
        period = Period.parse(period_text)
        for metric, indicator in metrics:
            groups = metric_groups(
                db_session=db_session,
                metric=metric,
                unit_id=unit_id,
                period=period,
                by_domain=indicator.disaggregation == Disaggregation.DOMAIN,
            )
            computed = db_session.exec(
                sm_select(Reading).where(
                    Reading.indicator_id == indicator.id,
                    Reading.unit_id == unit_id,
                    Reading.period == period_text,
                    Reading.source == ReadingSource.COMPUTED,
                )
            ).all()
            stale = [r for r in computed if r.domain_id not in groups]
            restored += kpi_service.delete_computed_readings(
                db_session=db_session, actor=actor, clock=lookups.clock, rows=stale
            )
            for domain_id, tally in sorted(groups.items(), key=lambda g: g[0] or 0):
                data = ReadingWrite(
                    indicator=indicator.code,
                    unit=unit.code,
                    period=period_text,
                    domain=_domain_code(db_session, domain_id),
                    numerator=tally.numerator,
                    denominator=tally.denominator,
                    note=metric.describe(tally.denominator, tally.total),
                    plan=plan.code,
                )
                planned.append(
                    kpi_service.plan_reading(
                        lookups=lookups, actor=actor, data=data, source=ReadingSource.COMPUTED
                    )
                )
    kpi_service.apply_readings(
        db_session=db_session, actor=actor, clock=lookups.clock, planned=planned
    )
    changed = [
        p
        for p in planned
        if p.takeover or (p.conflict and p.action == WriteAction.UPDATE and _value_moved(p))
    ]
    notify_units(
        db_session=db_session, clock=lookups.clock, feed=feed, changed=changed, restored=restored
    )
    return [_key_text(p) for p in planned if p.conflict]


def _value_moved(planned: kpi_service.PlannedReading) -> bool:
    before = planned.existing.value if planned.existing is not None else None
    return figures_differ(before, planned.fields["value"])


def _key_text(planned: kpi_service.PlannedReading) -> str:
    indicator, unit, domain = planned.codes
    return f"{indicator}/{unit}/{planned.key[2]}/{domain or '-'}"


def notify_units(
    *,
    db_session: Session,
    clock: Clock,
    feed: Feed,
    changed: Sequence[kpi_service.PlannedReading],
    restored: Sequence[ReadingRead],
) -> int:
    """One in-app notification per unit and period to the unit's reporters, listing the figures
    a feed replaced, contradicted or gave back; returns how many were written.

    Nothing a unit typed changes without the unit being told; the reading changes themselves
    are audited by ``apply_readings`` and ``delete_computed_readings``.
    """
    from app.reminders import service as reminder_service  # reminders import the workspace
    from app.reminders.models import Notification

    lines: dict[tuple[str, str], list[str]] = {}
    name = FEED_NAMES[feed]
    for p in changed:
        indicator_code, unit_code, domain = p.codes
        existing = p.existing
        assert existing is not None
        reported = p.fields.get("reported_value", existing.reported_value)
        what = f"{indicator_code}" + (f" ({domain})" if domain else "")
        text = conflict_text(
            feed_name=name,
            computed=float(p.fields["value"]),
            reported=reported,
            percent=True,  # what feeds compute are rates
        )
        if not p.conflict:
            text += " (hai số khớp nhau)"
        lines.setdefault((unit_code, p.key[2]), []).append(f"{what}: {text}.")
    for r in restored:
        what = f"{r.indicator}" + (f" ({r.domain})" if r.domain else "")
        lines.setdefault((r.unit, r.period), []).append(
            f"{what}: {name} không còn cho số liệu kỳ này; số đơn vị đã nhập "
            f"({format_figure(r.value, percent=r.denominator is not None)}) được dùng lại."
        )
    written = 0
    now = clock.now()
    for (unit_code, period), items in sorted(lines.items()):
        unit = unit_service.get_by_code(db_session=db_session, code=unit_code)
        people = reminder_service.recipients_for(db_session=db_session, unit=unit, copy_heads=False)
        label = Period.parse(period).label_vi
        for user in people.to:
            assert user.id is not None
            db_session.add(
                Notification(
                    user_id=user.id,
                    title=f"Số liệu {label} của {unit.short_name or unit.name} được tính lại "
                    f"từ {name}",
                    body="\n".join(items[:30])
                    + (f"\n… và {len(items) - 30} số liệu khác." if len(items) > 30 else ""),
                    link=f"/units/{unit_code}/periods/{period}",
                    created_at=now,
                )
            )
            written += 1
    if written:
        db_session.flush()
    return written


def _domain_code(db_session: Session, domain_id: int | None) -> str | None:
    if domain_id is None:
        return None
    found = db_session.get(Domain, domain_id)
    assert found is not None
    return found.code


# --- use cases -----------------------------------------------------------------------------------


def csv_columns(upload: Upload) -> frozenset[str] | None:
    """The columns a CSV file's header names (None for JSON, whose rows say it key by key):
    an empty cell means "no", a column the file lacks means "not known"."""
    if upload.kind != "csv":
        return None
    upload.file.seek(0)
    text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", newline="")
    try:
        for cells in csv.reader(text):
            if any(cell.strip() for cell in cells):
                return frozenset(cell.strip().lower() for cell in cells)
    except (UnicodeDecodeError, csv.Error):
        pass  # the import itself says what is wrong with the file
    finally:
        text.detach()
        upload.file.seek(0)
    return frozenset()


def _run(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    upload: Upload,
    options: ImportOptions,
    keep_rejected: bool,
    plan_code: str | None,
    make: Callable[..., _RecordImporter],
    kind: str,
    profile_code: str | None = None,
) -> ImportResult:
    authorize(actor, Permission.DATA_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    importer = make(
        db_session=db_session, actor=actor, clock=clock, plan=plan, carried=csv_columns(upload)
    )
    return run_import(
        db_session=db_session,
        importer=importer,  # type: ignore[arg-type]
        upload=upload,
        options=options,
        key_label="code",
        keep_rejected=keep_rejected,
        find_profile=profile_finder(db_session, profile_code, kind),
    )


def import_dossiers(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    upload: Upload,
    options: ImportOptions,
    keep_rejected: bool = False,
    plan_code: str | None = None,
    profile_code: str | None = None,
) -> ImportResult:
    """``POST /dossiers/bulk``: upsert dossiers by code and recompute the periods they touch."""
    return _run(
        db_session=db_session,
        actor=actor,
        clock=clock,
        upload=upload,
        options=options,
        keep_rejected=keep_rejected,
        plan_code=plan_code,
        make=DossierImporter,
        kind="dossiers",
        profile_code=profile_code,
    )


def import_feedback(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    upload: Upload,
    options: ImportOptions,
    keep_rejected: bool = False,
    plan_code: str | None = None,
    profile_code: str | None = None,
) -> ImportResult:
    """``POST /feedback/bulk``: upsert feedback by code and recompute the periods it touches."""
    return _run(
        db_session=db_session,
        actor=actor,
        clock=clock,
        upload=upload,
        options=options,
        keep_rejected=keep_rejected,
        plan_code=plan_code,
        make=FeedbackImporter,
        kind="feedback",
        profile_code=profile_code,
    )
