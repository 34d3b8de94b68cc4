"""What the feeds count: each counter's SQL aggregate and, beside it, the Python test of one record.

The rates are computed in SQL, grouped per (unit, domain) over a period; the list of the records
behind a computed reading marks each record ``counted`` with the Python test. Both come from the
one definition below, so the list can never disagree with the number it explains. ``*_known``
counters count the records whose flag is known (a feed that did not carry the column leaves it
unknown, which counts neither way).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import case, false, func, select, true
from sqlmodel import Session

from app.db import table_of
from app.dossiers.metrics import Basis, Feed, Metric
from app.dossiers.models import (
    Dossier,
    DossierChannel,
    DossierRead,
    DossierStatus,
    Feedback,
    FeedbackRead,
)
from app.periods import Period

Counters = dict[str, int]


@dataclass(frozen=True)
class Counter:
    """One counter: ``sql`` builds its aggregate from the table's columns; ``counts`` says
    whether a record (as the lists show it) is in it, for the counters a rate's numerator uses."""

    name: str
    sql: Callable[[Any], Any]
    counts: Callable[[Any], bool] | None = None


def _when(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _flag(column: str, counts: Callable[[Any], bool], name: str | None = None) -> list[Counter]:
    """A yes/no column's two counters: the records saying yes, and those saying anything."""
    name = name or column
    return [
        Counter(name, lambda c: _when(c[column] == true()), counts),
        Counter(f"{name}_known", lambda c: func.count(c[column])),
    ]


DOSSIER_COMPLETED: Sequence[Counter] = (
    Counter("processed", lambda c: func.count()),
    Counter(
        "on_time",
        lambda c: _when(c.completed_at <= c.due_at),
        lambda d: d.status == DossierStatus.ON_TIME,
    ),
    *_flag("e_result", lambda d: bool(d.e_result)),
    Counter(
        "not_rescheduled",
        lambda c: _when(c.rescheduled == false()),
        lambda d: d.rescheduled is False,
    ),
    Counter("rescheduled_known", lambda c: func.count(c.rescheduled)),
)
DOSSIER_RECEIVED: Sequence[Counter] = (
    Counter("received", lambda c: func.count()),
    Counter(
        "online",
        lambda c: _when(c.channel == DossierChannel.ONLINE.value),
        lambda d: d.channel == DossierChannel.ONLINE.value,
    ),
    *_flag("fully_online", lambda d: bool(d.fully_online)),
    *_flag("digitized", lambda d: bool(d.digitized)),
    *_flag("reused_data", lambda d: bool(d.reused_data), "reused"),
    *_flag("paid_online", lambda d: bool(d.paid_online), "paid"),
)
FEEDBACK: Sequence[Counter] = (
    Counter("resolved", lambda c: func.count()),
    Counter("on_time", lambda c: _when(c.resolved_at <= c.due_at), lambda f: bool(f.on_time)),
    Counter("answered", lambda c: func.count(c.satisfied)),
    Counter("satisfied", lambda c: _when(c.satisfied == true()), lambda f: f.satisfied is True),
)


def _counters(feed: Feed, basis: Basis) -> Sequence[Counter]:
    if feed == Feed.FEEDBACK:
        return FEEDBACK
    return DOSSIER_COMPLETED if basis == Basis.COMPLETED else DOSSIER_RECEIVED


def counted(metric: Metric) -> Callable[[DossierRead | FeedbackRead], bool]:
    """Whether a record is in the metric's numerator (the records behind a reading)."""
    found = {c.name: c.counts for c in _counters(metric.feed, metric.basis)}[metric.numerator]
    assert found is not None, metric.numerator
    return found


def _labelled(counters: Sequence[Counter], columns: Any) -> list[Any]:
    return [counter.sql(columns).label(counter.name) for counter in counters]


def count_dossiers(
    *, db_session: Session, unit_id: int, start: date, end: date, basis: Basis
) -> dict[int, Counters]:
    """Domain → counters of one unit's dossiers completed (or received) between two days."""
    c = table_of(Dossier).c
    day = c.completed_on if basis == Basis.COMPLETED else c.received_on
    query = (
        select(c.domain_id, *_labelled(_counters(Feed.DOSSIER, basis), c))
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
        select(c.kind, *_labelled(FEEDBACK, c))
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
