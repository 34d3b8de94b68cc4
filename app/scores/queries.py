"""The SQL behind the scores: every query is bounded by one plan, its units and the periods asked.

Scores are computed on request, so the database does the grouping and returns one row per
(unit, indicator, domain) or per (period, indicator, domain), never the table's history.

Queries name the plan's indicators and tasks by id (``indicator_id IN (…)``) instead of joining
on ``plan_id``: the join lets the planner walk the period index through every ward of a city-wide
database, while the id list leads it down the natural-key indexes to this ward's rows only.
Readings have two partial natural-key indexes (with and without a domain), which a planner may
only use for a query that says which half it wants: hence ``_halves`` and the UNION ALL.

Queries of more than four columns use SQLAlchemy's ``select`` (``select_rows``): SQLModel's is
typed for four at most. Both build the same statement; a session runs either into rows.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, union_all
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from app.kpis.models import Reading
from app.progress.models import ProgressUpdate
from app.submissions.models import Submission
from app.units.models import Unit


def reporting_units(*, db_session: Session, issuer_id: int) -> list[Unit]:
    """The active units below the plan's issuer, by code: ``reporting.plan_service.expected_units``
    walks the whole unit table in Python, which a city-wide database makes grow with every ward;
    this recursive CTE reads only the issuer's subtree (a test keeps the two in agreement)."""
    tree = select(Unit.id).where(Unit.parent_id == issuer_id).cte("tree", recursive=True)
    below = select(Unit.id).join(tree, col(Unit.parent_id) == tree.c.id)
    tree = tree.union_all(below)
    query = select(Unit).where(col(Unit.id).in_(select(tree.c.id)), col(Unit.active))
    # Sorted here, not in SQL: PostgreSQL's collation would order "-" differently from SQLite.
    return sorted(db_session.exec(query), key=lambda unit: unit.code)


@dataclass(frozen=True, slots=True)
class ReadingRow:
    period: str
    indicator_id: int
    unit_id: int
    domain_id: int | None
    value: float
    numerator: float | None
    denominator: float | None
    source: str


@dataclass(frozen=True, slots=True)
class WardAggregate:
    """The readings of one indicator (and domain) in one period, summed over every unit."""

    period: str
    indicator_id: int
    domain_id: int | None
    count: int
    with_parts: int
    numerator_sum: float | None
    denominator_sum: float | None
    value_sum: float
    value_mean: float


@dataclass(frozen=True, slots=True)
class ProgressRow:
    assignment_id: int
    unit_id: int
    period: str
    status: str
    percent_complete: int | None


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    unit_id: int
    status: str
    due_date: date
    first_submitted_at: datetime | None


def _halves(where: ColumnElement[bool]) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The condition split along the readings' partial indexes (no domain / a domain)."""
    return (
        and_(where, col(Reading.domain_id).is_(None)),
        and_(where, col(Reading.domain_id).is_not(None)),
    )


def _reading_keys(indicator_ids: Collection[int], periods: Sequence[str]) -> ColumnElement[bool]:
    return and_(
        col(Reading.indicator_id).in_(list(indicator_ids)), col(Reading.period).in_(list(periods))
    )


def unit_readings(
    *,
    db_session: Session,
    indicator_ids: Collection[int],
    periods: Sequence[str],
    unit_ids: Collection[int] | None,
) -> list[ReadingRow]:
    """The readings of some units (``None``: any unit) in some periods, one row per domain."""
    if not periods or not indicator_ids or (unit_ids is not None and not unit_ids):
        return []
    where = _reading_keys(indicator_ids, periods)
    if unit_ids is not None:
        where = and_(where, col(Reading.unit_id).in_(list(unit_ids)))
    columns = (
        col(Reading.period),
        col(Reading.indicator_id),
        col(Reading.unit_id),
        col(Reading.domain_id),
        col(Reading.value),
        col(Reading.numerator),
        col(Reading.denominator),
        col(Reading.source),
    )
    query = union_all(*(select_rows(*columns).where(half) for half in _halves(where)))
    return [ReadingRow(*row) for row in db_session.execute(query)]


def ward_aggregates(
    *,
    db_session: Session,
    indicator_ids: Collection[int],
    periods: Sequence[str],
    unit_ids: Collection[int] | None = None,
) -> list[WardAggregate]:
    """Per period, indicator and domain: counts and sums for a pooled rate or a mean.

    ``unit_ids`` narrows the pool (approved reports only); ``None`` pools every unit's readings.
    """
    if not periods or not indicator_ids or (unit_ids is not None and not unit_ids):
        return []
    where = _reading_keys(indicator_ids, periods)
    if unit_ids is not None:
        where = and_(where, col(Reading.unit_id).in_(list(unit_ids)))
    both = (col(Reading.numerator).is_not(None)) & (col(Reading.denominator).is_not(None))
    columns = (
        col(Reading.period),
        col(Reading.indicator_id),
        col(Reading.domain_id),
        func.count(),
        func.sum(case((both, 1), else_=0)),
        func.sum(col(Reading.numerator)),
        func.sum(col(Reading.denominator)),
        func.sum(col(Reading.value)),
        func.avg(col(Reading.value)),
    )
    groups = (col(Reading.period), col(Reading.indicator_id), col(Reading.domain_id))
    query = union_all(
        *(select_rows(*columns).where(half).group_by(*groups) for half in _halves(where))
    )
    return [
        WardAggregate(
            period=period,
            indicator_id=indicator,
            domain_id=domain,
            count=int(count),
            with_parts=int(parts or 0),
            numerator_sum=None if num is None else float(num),
            denominator_sum=None if den is None else float(den),
            value_sum=float(total),
            value_mean=float(mean),
        )
        for period, indicator, domain, count, parts, num, den, total, mean in db_session.execute(
            query
        )
    ]


def has_any(
    *,
    db_session: Session,
    plan_id: int,
    indicator_ids: Collection[int],
    assignment_ids: Collection[int],
    period: str,
) -> bool:
    """Whether anything at all was reported for the period: a reading, a task report, a report
    sent. Each test stops at the first row an index gives, and all go in one statement: asked
    one by one they cost up to four round trips, a fifth of a recomputed dashboard's time under
    ``bench/load.py`` (issue #17)."""
    tests = [
        exists().where(
            col(Submission.plan_id) == plan_id,
            col(Submission.period) == period,
            col(Submission.first_submitted_at).is_not(None),
        )
    ]
    if indicator_ids:
        tests += [exists().where(half) for half in _halves(_reading_keys(indicator_ids, [period]))]
    if assignment_ids:
        tests.append(
            exists().where(
                col(ProgressUpdate.assignment_id).in_(list(assignment_ids)),
                col(ProgressUpdate.period) == period,
            )
        )
    return bool(db_session.exec(select(or_(*tests))).one())


def period_progress(
    *,
    db_session: Session,
    assignment_ids: Collection[int],
    period: str,
    unit_ids: Collection[int],
) -> list[ProgressRow]:
    """The units' reports on the tasks for exactly this period (index seeks on the natural key)."""
    if not unit_ids or not assignment_ids:
        return []
    query = select_rows(
        col(ProgressUpdate.assignment_id),
        col(ProgressUpdate.unit_id),
        col(ProgressUpdate.period),
        col(ProgressUpdate.status),
        col(ProgressUpdate.percent_complete),
    ).where(
        col(ProgressUpdate.assignment_id).in_(list(assignment_ids)),
        col(ProgressUpdate.unit_id).in_(list(unit_ids)),
        col(ProgressUpdate.period) == period,
    )
    return [ProgressRow(*row) for row in db_session.execute(query)]


def latest_progress(
    *,
    db_session: Session,
    before: date,
    unit_ids: Collection[int],
    assignment_ids: Collection[int],
) -> list[ProgressRow]:
    """Each unit's latest report on each task among the periods that ended before ``before``.

    Progress is a state: a task finished in October is still finished in November even if the
    unit did not say so again. Only asked for the tasks a period left unreported, so the cost
    of looking back is paid where there is a gap, not for every task. A window function picks
    the latest row in the database.
    """
    if not unit_ids or not assignment_ids:
        return []
    latest = (
        func.row_number()
        .over(
            partition_by=(col(ProgressUpdate.assignment_id), col(ProgressUpdate.unit_id)),
            order_by=(col(ProgressUpdate.period_end).desc(), col(ProgressUpdate.period_start)),
        )
        .label("latest")
    )
    ranked = (
        select_rows(
            col(ProgressUpdate.assignment_id),
            col(ProgressUpdate.unit_id),
            col(ProgressUpdate.period),
            col(ProgressUpdate.status),
            col(ProgressUpdate.percent_complete),
            latest,
        )
        .where(
            col(ProgressUpdate.assignment_id).in_(list(assignment_ids)),
            col(ProgressUpdate.unit_id).in_(list(unit_ids)),
            col(ProgressUpdate.period_end) < before,
        )
        .subquery()
    )
    query = select_rows(
        ranked.c.assignment_id,
        ranked.c.unit_id,
        ranked.c.period,
        ranked.c.status,
        ranked.c.percent_complete,
    ).where(ranked.c.latest == 1)
    return [ProgressRow(*row) for row in db_session.execute(query)]


def submissions(
    *, db_session: Session, plan_id: int, period: str, unit_ids: Collection[int]
) -> dict[int, SubmissionRow]:
    """The units' reports for the period, by unit id (a unit without a row has not started one)."""
    if not unit_ids:
        return {}
    query = select(
        col(Submission.unit_id),
        col(Submission.status),
        col(Submission.due_date),
        col(Submission.first_submitted_at),
    ).where(
        col(Submission.plan_id) == plan_id,
        col(Submission.period) == period,
        col(Submission.unit_id).in_(list(unit_ids)),
    )
    return {row[0]: SubmissionRow(*row) for row in db_session.exec(query)}
