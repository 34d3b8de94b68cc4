"""Scores computed once per (plan, day, data version, configuration) and kept in the worker.

A dashboard is read far more often than its data changes, and computing it costs dozens of
queries and thousands of rule applications. What is kept is the computed object itself (the
frame, the period's results, the summary with every "Vì sao?" formula), so an answer from the
cache is the answer the computation gave, not a second code path.

The key holds what the computation depends on besides its arguments:
- the plan's data version and the shared one (units, areas, domains, the scoring configuration;
  ``app/data_versions.py``: changed in the transaction of every write), read in one query per
  request, so a write through any worker is seen by the next read through every other;
- the day, since overdue tasks and the default period follow the calendar.
A result of one period (``Scope.key_for``) holds, instead of the plan's data version, the
versions of the periods that begin by its end: a row saved for this month leaves last month's
results valid.
A result of an older version is never asked for again and ages out of the bounded LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session

from app import data_versions
from app.clock import Clock
from app.kpis.models import Domain, Indicator
from app.periods import Period, PeriodError
from app.plans.models import Area, Plan
from app.scores import configuration
from app.scores.frame import Frame, load_frame
from app.units.models import Unit

T = TypeVar("T")
_Row = TypeVar("_Row", Plan, Unit, Indicator, Area, Domain)

#: Results kept per worker. A ward's period read through the API and the dashboard keeps six
#: (frame, period result, summary, its JSON, the page's body, the period list), about 2,3 MB
#: together (measured with tracemalloc on Plan 84 with 6 units); a city ranking keeps one summary
#: per plan. Past this, the least recently used go first: at most a few hundred MB a worker.
MAX_ENTRIES = 1024


@dataclass(frozen=True, slots=True)
class Stamp:
    """Everything stored that a plan's scores depend on: its data's version and the shared one
    (units, areas, domains, the scoring configuration); and the version of the plan's structure
    alone, which data reported against the plan leaves as it was."""

    plan: int
    shared: int
    structure: int
    #: The versions of the periods the plan's data was reported for, by the periods' starts.
    periods: data_versions.PeriodVersions = ()

    def until(self, end: date) -> tuple[int, ...]:
        """The versions of the periods that begin by ``end``: all the data a result of a period
        ending then can depend on."""
        return tuple(version for start, version in self.periods if start <= end)


def stamps(db_session: Session, plan_ids: Sequence[int] | None) -> dict[int, Stamp | None]:
    """The stamps of the given plans (of every plan with a version, with None), in one indexed
    query: the cost of a hit. ``None`` for a plan without a version: not to be kept."""
    read = data_versions.read(db_session, plan_ids)
    found = read.plans
    shared = found[data_versions.EVERY_PLAN][0] if data_versions.EVERY_PLAN in found else None
    wanted = plan_ids if plan_ids is not None else [p for p in found if p]
    return {
        p: Stamp(found[p][0], shared, found[p][1], read.periods.get(p, ()))
        if p in found and shared is not None
        else None
        for p in wanted
    }


def stamp(db_session: Session, plan_id: int) -> Stamp | None:
    return stamps(db_session, [plan_id])[plan_id]


@dataclass(frozen=True, slots=True)
class Scope:
    """One plan of one ward as stored now: the prefix of every key of its kept results. The
    ward is part of the key although the plan implies it: a kept answer is never another
    ward's, even by a mistake elsewhere."""

    plan_id: int
    today: date
    stamp: Stamp | None
    ward_id: int | None = None

    def key(self, *what: Hashable) -> tuple[Hashable, ...] | None:
        """``None`` (compute, keep nothing) for a plan without a version."""
        if self.stamp is None:
            return None
        return (self.ward_id, self.plan_id, self.today, self.stamp, *what)

    def key_for(self, period: str | None, *what: Hashable) -> tuple[Hashable, ...] | None:
        """The key of a result of one period (``what`` names the period too): it depends on the
        plan's structure, the shared data and the data of the periods that begin by the
        period's end, not on what is reported later. A period not named (the default, chosen
        by where the data is) or not readable as one keys on the whole plan (``key``)."""
        end = _end_of(period)
        if self.stamp is None or end is None:
            return self.key(*what)
        stamp = self.stamp
        return (
            self.ward_id,
            self.plan_id,
            self.today,
            stamp.structure,
            stamp.shared,
            end,
            stamp.until(end),
            *what,
        )

    def structure_key(self, *what: Hashable) -> tuple[Hashable, ...] | None:
        """The key of what depends on the plan's structure and the shared data only, not on
        the data reported against the plan (``kept_frame``)."""
        if self.stamp is None:
            return None
        stamp = self.stamp
        return (self.ward_id, self.plan_id, self.today, stamp.structure, stamp.shared, *what)


def _end_of(period: str | None) -> date | None:
    if period is None or not period.strip():
        return None
    try:
        return Period.parse(period).end_date
    except PeriodError:
        return None


class ResultCache:
    """A bounded LRU shared by the worker's threads; a result missing is computed once, by the
    first thread asking, while the others wait for it (a burst of readers after a write does
    not compute the dashboard a hundred times)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}
        #: Answers served from memory, and results computed (what the tests count).
        self.hits = 0
        self.computed = 0

    def get(self, key: Hashable | None, compute: Callable[[], T], *, keep: bool = True) -> T:
        """The kept result, or ``compute()``'s, kept unless ``keep`` is false (a part only a
        larger result needs, such as a ranking's frames: used if there, not stored)."""
        if key is None:
            return compute()
        found = self._lookup(key)
        if found is not _MISSING:
            return found
        if not keep:
            return compute()
        with self._lock:
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            found = self._lookup(key)
            if found is not _MISSING:
                return found
            try:
                value = compute()
                self._store(key, value)
            finally:
                with self._lock:
                    self._computing.pop(key, None)
        return value

    def peek(self, key: Hashable | None) -> Any | None:
        """The kept result, or ``None``: never computes, so it may run on the event loop."""
        if key is None:
            return None
        found = self._lookup(key)
        return None if found is _MISSING else found

    def _lookup(self, key: Hashable) -> Any:
        with self._lock:
            found = self._entries.get(key, _MISSING)
            if found is not _MISSING:
                self.hits += 1
                self._entries.move_to_end(key)
            return found

    def _store(self, key: Hashable, value: object) -> None:
        with self._lock:
            self.computed += 1
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.computed = 0

    def __len__(self) -> int:
        return len(self._entries)


_MISSING: Any = object()

#: The worker's results, for every plan.
RESULTS = ResultCache()


# --- what is kept of a plan -----------------------------------------------------------------


def _kept(frame: Frame) -> Frame:
    """The frame with its rows copied out of the request's session: it is kept for later requests
    (other sessions, other threads), and a row still attached to the session that read it would
    be expired by that session's next commit."""
    return replace(
        frame,
        plan=_copy(frame.plan),
        units=[_copy(u) for u in frame.units],
        units_by_id={i: _copy(u) for i, u in frame.units_by_id.items()},
        indicators=[_copy(i) for i in frame.indicators],
        areas=[_copy(a) for a in frame.areas],
        domains={i: _copy(d) for i, d in frame.domains.items()},
        areas_by_id={},
    )


def _copy(row: _Row) -> _Row:
    return type(row).model_validate(row.model_dump())


def plan_scope(*, db_session: Session, clock: Clock, plan: Plan) -> Scope:
    """The plan as stored now: one query for its data version and the configuration's."""
    assert plan.id is not None
    return Scope(plan.id, clock.today(), stamp(db_session, plan.id), plan.ward_id)


def kept_frame(*, db_session: Session, scope: Scope, plan: Plan, keep: bool = True) -> Frame:
    """The plan and the rules in force, loaded once per version of the plan's structure: a
    reading or a row saved changes the plan's scores, not its tasks, units or rules."""

    def load() -> Frame:
        config = configuration.effective_config(db_session=db_session)
        return _kept(load_frame(db_session=db_session, plan=plan, today=scope.today, config=config))

    return RESULTS.get(scope.structure_key("frame"), load, keep=keep)
