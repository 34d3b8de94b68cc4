"""How fresh a plan's computed scores are: one version per plan, changed by every write that
changes what scoring reads, in the transaction of that write.

Scores are computed once and kept in each worker's memory (``app/scores/cache.py``). Workers are
separate processes and cannot see each other's writes, so the version lives in the database:
a reader asks it (one indexed query) and uses a kept result only if it was computed at the same
version. A write changes the version in its own transaction, so a reader sees the new data and
the new version together, or neither.

A version is a fresh random 62-bit number, not a counter: a database emptied and loaded again,
or restored from a backup, can never bring back a number a worker has kept results under for
other data. A plan without a version (nothing written since the table was made) is never kept.

Writes are noticed here rather than by each service remembering to say so: an ORM flush of a row
of a scoring table (readings, progress, report submissions, indicators, tasks and their
coordinators, the plan) marks its plan; ``db.insert_many`` (the COPY and ``executemany`` path of
imports and feeds) marks the rows it writes; a unit marks the plans of its ward; areas, TTHC
domains and the scoring configuration, shared by every plan, mark plan 0, whose version is part
of every key. The
versions change once per transaction, just before the commit, in plan order: the last statement
holds the row lock for the shortest time, and two writers never wait for each other in opposite
orders. A transaction rolled back changes nothing. Core ``UPDATE``/``DELETE`` statements on
those tables are not seen: code that writes them calls ``touch`` (``tests/scores/test_versions.py``
holds every write service to it).

Each plan also has a structure version, changed only by writes to what a plan is (its tasks,
their coordinators, its indicators, the plan itself, and what every plan shares), not by the data
reported against it (readings, progress, report submissions). What scoring loads of the plan
alone (``app/scores/frame.py``) is kept under the structure version, so a unit saving a row does
not make every dashboard load the plan again (issue #17).

Data reported against a plan also changes the version of the period it was reported for
(``score_period_version``: one row per plan and period start). The result of a period depends
only on data of periods that begin by its end (that period's readings and report, the tasks'
latest reports up to its end, the quarter's report of a month), so a result kept under the
versions of those periods alone stays valid while later periods are being reported: last
month's dashboard, the one taken to the committee, is not recomputed for every row of this
month's (issue #17).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    String,
    Table,
    bindparam,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlmodel import SQLModel

#: The version of plan 0 stands for what every plan shares (units, areas, domains, the rules).
EVERY_PLAN = 0

score_version = Table(
    "score_version",
    SQLModel.metadata,
    Column("plan_id", Integer, primary_key=True, autoincrement=False),
    Column("version", BigInteger, nullable=False),
    #: Changed with ``version`` by writes to the plan's structure only (None: as ``version``).
    Column("structure", BigInteger, nullable=True),
)

score_period_version = Table(
    "score_period_version",
    SQLModel.metadata,
    Column("plan_id", Integer, primary_key=True, autoincrement=False),
    #: The first day of the period the data was reported for.
    Column("period_start", Date, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

#: The start given to data whose period cannot be told: every period's results depend on it.
EVERY_PERIOD = date.min

#: Table → the column naming the row's plan, or the row that leads to it.
_BY_PLAN = {"indicator": "plan_id", "assignment": "plan_id", "report_submission": "plan_id"}
_BY_INDICATOR = {"kpi_reading": "indicator_id"}
_BY_ASSIGNMENT = {"progress_update": "assignment_id", "assignment_coordinator": "assignment_id"}
_SHARED = frozenset({"unit", "area", "domain", "scoring_config_override"})
#: Data reported against a plan: changes its version, not its structure.
_DATA = frozenset({"kpi_reading", "progress_update", "report_submission"})
SCORING_TABLES = frozenset({*_BY_PLAN, *_BY_INDICATOR, *_BY_ASSIGNMENT, *_SHARED, "plan"})

_INFO_KEY = "partrack.data_versions"

_BUMP = text(
    "INSERT INTO score_version (plan_id, version, structure) VALUES (:plan_id, :version, "
    ":version) ON CONFLICT (plan_id) DO UPDATE SET version = excluded.version, "
    "structure = excluded.structure"
)
_BUMP_DATA = text(
    "INSERT INTO score_version (plan_id, version, structure) VALUES (:plan_id, :version, "
    ":version) ON CONFLICT (plan_id) DO UPDATE SET version = excluded.version"
)
_PLANS_OF_WARDS = text("SELECT id FROM plan WHERE ward_id IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
_PLANS_OF = {
    "indicator": text("SELECT id, plan_id FROM indicator WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    ),
    "assignment": text("SELECT id, plan_id FROM assignment WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    ),
}
_BUMP_PERIOD = text(
    "INSERT INTO score_period_version (plan_id, period_start, version) VALUES (:plan_id, "
    ":period_start, :version) ON CONFLICT (plan_id, period_start) DO UPDATE SET "
    "version = excluded.version"
).bindparams(bindparam("period_start", type_=Date))


@dataclass
class _Marks:
    """What the transaction under way has changed, resolved to plans at its commit: the plans
    whose structure changed, and those whose data only (``data_*``: the row that leads to the
    plan, with the start of the period the data was reported for)."""

    plans: set[int] = field(default_factory=set)
    #: Tasks whose coordinators changed.
    assignments: set[int] = field(default_factory=set)
    #: A unit belongs to one ward: its change is that ward's plans' change, not every ward's.
    wards: set[int] = field(default_factory=set)
    data_plans: set[tuple[int, date]] = field(default_factory=set)
    data_indicators: set[tuple[int, date]] = field(default_factory=set)
    data_assignments: set[tuple[int, date]] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(
            self.plans
            or self.assignments
            or self.wards
            or self.data_plans
            or self.data_indicators
            or self.data_assignments
        )


def _marks(session: Session) -> _Marks:
    found = session.info.get(_INFO_KEY)
    if found is None:
        found = session.info[_INFO_KEY] = _Marks()
    assert isinstance(found, _Marks)
    return found


def touch(session: Session, plan_id: int | None) -> None:
    """The plan's scores change when this transaction commits (``None``: every plan's)."""
    _marks(session).plans.add(EVERY_PLAN if plan_id is None else plan_id)


def touch_rows(session: Session, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows written to ``table`` outside the ORM (bulk inserts): mark the plans they belong to."""
    if table not in SCORING_TABLES:
        return
    marks = _marks(session)
    if table == "unit" and all(row.get("ward_id") for row in rows):
        marks.wards.update(int(row["ward_id"]) for row in rows)
    elif table in _SHARED or table == "plan":
        marks.plans.add(EVERY_PLAN)
    else:
        for row in rows:
            _mark_row(marks, table, row.get)


def _start(value: object) -> date:
    """The start of a data row's period, as stored (a bulk row may carry it as ISO text)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return EVERY_PERIOD


def _mark_row(marks: _Marks, table: str, value: Any, starts: Iterable[object] = ()) -> None:
    """A row of a plan's table (``value``: the row's column → value) marks its plan; data marks
    the start of its period too, and ``starts`` (a period the row was moved from)."""
    if table in _DATA:
        found = {_start(value("period_start")), *(_start(s) for s in starts)}
        if table == "report_submission":
            marks.data_plans.update((value("plan_id"), s) for s in found)
        elif table in _BY_INDICATOR:
            marks.data_indicators.update((value(_BY_INDICATOR[table]), s) for s in found)
        else:
            marks.data_assignments.update((value(_BY_ASSIGNMENT[table]), s) for s in found)
    elif table in _BY_PLAN:
        marks.plans.add(value(_BY_PLAN[table]))
    else:
        marks.assignments.add(value(_BY_ASSIGNMENT[table]))


def _mark_instance(marks: _Marks, instance: object) -> None:
    table = getattr(getattr(instance, "__table__", None), "name", None)
    if table not in SCORING_TABLES:
        return
    if table == "unit" and getattr(instance, "ward_id", None):
        marks.wards.add(int(getattr(instance, "ward_id")))  # noqa: B009
    elif table in _SHARED:
        marks.plans.add(EVERY_PLAN)
    elif table == "plan":
        marks.plans.add(getattr(instance, "id", None) or EVERY_PLAN)
    else:
        # A row moved to another period changes the one it left as well.
        state = inspect(instance) if table in _DATA else None
        moved = state.attrs.period_start.history.deleted if state is not None else None
        _mark_row(marks, table, lambda name: getattr(instance, name), moved or ())


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    """Every ORM row of a scoring table written by this flush marks its plan."""
    changed = [*session.new, *session.dirty, *session.deleted]
    if not changed:
        return
    marks = _marks(session)
    for instance in changed:
        _mark_instance(marks, instance)


def _plans_of(session: Session, table: str, ids: Iterable[int]) -> dict[int, int]:
    """The plan of each of the rows (a row deleted meanwhile has none)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    found = session.connection().execute(_PLANS_OF[table], {"ids": wanted}).tuples()
    return {int(i): int(p) for i, p in found if p is not None}


def _plans_to_bump(
    session: Session, marks: _Marks
) -> tuple[list[int], list[int], list[tuple[int, date]]]:
    """The plans whose structure changed, those whose data only, and the (plan, period start)
    of that data (a plan whose structure changed needs none: every key of it changes)."""
    plans = {p for p in marks.plans if p is not None}
    plans.update(_plans_of(session, "assignment", marks.assignments).values())
    if marks.wards:
        of_wards = session.connection().execute(_PLANS_OF_WARDS, {"ids": sorted(marks.wards)})
        plans.update(p for p in of_wards.scalars() if p is not None)
    periods = {(p, s) for p, s in marks.data_plans if p is not None}
    by_row = (("indicator", marks.data_indicators), ("assignment", marks.data_assignments))
    for table, rows in by_row:
        of = _plans_of(session, table, (i for i, _ in rows))
        periods.update((of[i], s) for i, s in rows if i in of)
    periods = {(p, s) for p, s in periods if p not in plans}
    return sorted(plans), sorted({p for p, _ in periods}), sorted(periods)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Give the plans this transaction changed new versions, as its last statements, in plan
    order (then period order): two writers never wait for each other in opposite orders."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # the commit's own flush would come after this hook, unseen
    marks = session.info.pop(_INFO_KEY, None)
    if not marks:
        return
    plans, data, periods = _plans_to_bump(session, marks)
    connection = session.connection()
    for statement, bumped in ((_BUMP, plans), (_BUMP_DATA, data)):
        if bumped:
            connection.execute(
                statement, [{"plan_id": p, "version": secrets.randbits(62)} for p in bumped]
            )
    if periods:
        connection.execute(
            _BUMP_PERIOD,
            [
                {"plan_id": p, "period_start": s, "version": secrets.randbits(62)}
                for p, s in periods
            ],
        )


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)


#: A plan's versions, then the versions of the periods its data was reported for (the rows
#: with a period start), in one statement.
_ONE_PLAN = text(
    "SELECT plan_id, version, structure, NULL AS period_start FROM score_version "
    "WHERE plan_id IN (0, :plan_id) UNION ALL SELECT plan_id, version, NULL, period_start "
    "FROM score_period_version WHERE plan_id = :plan_id"
)
_PLANS = text(
    "SELECT plan_id, version, structure, NULL AS period_start FROM score_version "
    "WHERE plan_id IN :ids UNION ALL SELECT plan_id, version, NULL, period_start "
    "FROM score_period_version WHERE plan_id IN :ids"
).bindparams(bindparam("ids", expanding=True))
_ALL = text(
    "SELECT plan_id, version, structure, NULL AS period_start FROM score_version "
    "UNION ALL SELECT plan_id, version, NULL, period_start FROM score_period_version"
)

#: A plan's period versions: (period start, version), in the order of the starts.
PeriodVersions = tuple[tuple[date, int], ...]


@dataclass(frozen=True, slots=True)
class Versions:
    """What ``read`` found: each plan's (version, structure version), plan 0's included, and
    the versions of the periods each plan's data was reported for."""

    plans: dict[int, tuple[int, int]]
    periods: dict[int, PeriodVersions]


def read(session: Session, plan_ids: Sequence[int] | None = None) -> Versions:
    """The versions of the given plans (all plans with None), in one statement. One plan, the
    hot path of every read of a score, is a statement without an expanding list."""
    connection = session.connection()
    if plan_ids is None:
        rows = connection.execute(_ALL)
    elif len(plan_ids) == 1:
        rows = connection.execute(_ONE_PLAN, {"plan_id": plan_ids[0]})
    else:
        rows = connection.execute(_PLANS, {"ids": [EVERY_PLAN, *plan_ids]})
    plans: dict[int, tuple[int, int]] = {}
    periods: dict[int, list[tuple[date, int]]] = {}
    for p, v, s, start in rows.tuples():
        if start is None:
            plans[int(p)] = (int(v), int(v if s is None else s))
        else:
            periods.setdefault(int(p), []).append((_start(start), int(v)))
    return Versions(plans, {p: tuple(sorted(found)) for p, found in periods.items()})


def versions(session: Session, plan_ids: Sequence[int] | None = None) -> dict[int, int]:
    """The versions of the given plans (all plans with None), plan 0's included; a plan
    never written since the table was made has none."""
    return {p: version for p, (version, _structure) in with_structure(session, plan_ids).items()}


def with_structure(
    session: Session, plan_ids: Sequence[int] | None = None
) -> dict[int, tuple[int, int]]:
    """``versions``, each with the plan's structure version."""
    return read(session, plan_ids).plans


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """What choosing a ward's plan needs (``plans.service.pick_current``), with its version."""

    id: int
    code: str
    issued_date: date
    first_year: int
    last_year: int
    version: int | None
    structure: int | None = None
    periods: PeriodVersions = ()


#: The query of ``ward_plans``, for the driver itself (its parameter marker filled in): the
#: ward's plans; the shared version (plan 0, without a code); the versions of the periods of
#: the ward's plans (a plan id without a code, the period's start where a plan has its date).
_WARD_PLANS = (
    "SELECT p.id, p.code, p.issued_date, p.first_year, p.last_year, v.version, "
    "COALESCE(v.structure, v.version) "
    "FROM plan p LEFT JOIN score_version v ON v.plan_id = p.id WHERE p.ward_id = {mark} "
    "UNION ALL SELECT 0, NULL, NULL, NULL, NULL, version, NULL FROM score_version "
    "WHERE plan_id = 0 "
    "UNION ALL SELECT pv.plan_id, NULL, pv.period_start, NULL, NULL, pv.version, NULL "
    "FROM score_period_version pv JOIN plan p ON p.id = pv.plan_id WHERE p.ward_id = {mark}"
)
_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def ward_plans(engine: Engine, ward_id: int) -> tuple[list[PlanVersion], int | None] | None:
    """A ward's plans with their versions, and the shared version, in one statement: which plan
    a request means and whether what is kept for it is current, for the price of one query.
    ``None`` if the database could not answer (locked, or the server gone: the connection is
    dropped from the pool).

    Run through the driver on a pooled connection: this is the whole database cost of a
    dashboard served from memory, and SQLAlchemy's statement machinery cost more than the
    query (issue #20). ``engine`` should be in autocommit mode: nothing to roll back after."""
    sql = _WARD_PLANS.format(mark=_MARKS[engine.dialect.paramstyle])
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, (ward_id, ward_id))
        rows = cursor.fetchall()
        cursor.close()
    except engine.dialect.loaded_dbapi.Error:
        raw.invalidate()
        return None
    finally:
        raw.close()
    plans: list[PlanVersion] = []
    shared: int | None = None
    periods: dict[int, list[tuple[date, int]]] = {}
    for plan_id, code, issued, first, last, version, structure in rows:
        if code is None and plan_id == EVERY_PLAN:
            shared = None if version is None else int(version)
            continue
        if code is None:
            periods.setdefault(int(plan_id), []).append((_start(issued), int(version)))
            continue
        plans.append(
            PlanVersion(
                int(plan_id),
                code,
                _start(issued),
                int(first),
                int(last),
                None if version is None else int(version),
                None if structure is None else int(structure),
            )
        )
    return [
        replace(p, periods=tuple(sorted(periods[p.id]))) if p.id in periods else p for p in plans
    ], shared


_CITY_PLANS = text(
    "SELECT w.id, w.code, w.name, p.id, p.code, p.issued_date, p.first_year, p.last_year, "
    "v.version FROM ward w LEFT JOIN plan p ON p.ward_id = w.id "
    "LEFT JOIN score_version v ON v.plan_id = p.id WHERE w.active "
    "UNION ALL SELECT 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, version "
    "FROM score_version WHERE plan_id = 0 ORDER BY 1, 4"
).columns(
    ward_id=Integer,
    ward_code=String,
    ward_name=String,
    id=Integer,
    code=String,
    issued_date=Date,
    first_year=Integer,
    last_year=Integer,
    version=BigInteger,
)


def city_plans(connection: Connection) -> tuple[tuple[Any, ...], ...]:
    """Every active ward with its plans and their versions, and the shared version (the row of
    ward 0), in one statement: what a city ranking depends on besides the SIPAS answers."""
    return tuple(tuple(row) for row in connection.execute(_CITY_PLANS).tuples())
