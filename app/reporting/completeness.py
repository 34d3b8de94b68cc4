"""Who reported, when, and how promptly: the units × periods matrix with its totals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.kpis.readings import parse_filter_period
from app.periods import Period
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.reporting import service as reporting_service
from app.submissions.models import SubmissionRead, SubmissionStatus, Timeliness
from app.textsort import vi_sort_key
from app.units.models import Unit


@dataclass(frozen=True)
class Totals:
    expected: int
    received: int
    on_time: int
    late: int
    approved: int

    @property
    def received_rate(self) -> float | None:
        return 100 * self.received / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> float | None:
        """On-time reports among those expected: a report never sent counts against it."""
        return 100 * self.on_time / self.expected if self.expected else None


def totals_of(items: list[SubmissionRead]) -> Totals:
    """Only reports whose due day is over count ("Phải nộp"), as in the scores."""
    items = [i for i in items if i.counted]
    received = [i for i in items if i.timeliness not in (Timeliness.MISSING, Timeliness.NOT_DUE)]
    return Totals(
        expected=len(items),
        received=len(received),
        on_time=sum(1 for i in received if i.timeliness == Timeliness.ON_TIME),
        late=sum(1 for i in received if i.timeliness == Timeliness.LATE),
        approved=sum(1 for i in items if i.status == SubmissionStatus.APPROVED),
    )


@dataclass
class Matrix:
    periods: list[Period]
    units: list[Unit]
    cells: dict[tuple[str, str], SubmissionRead]
    by_unit: dict[str, Totals]
    by_period: dict[str, Totals]
    total: Totals
    all_periods: list[Period]


def build(
    *, db_session: Session, actor: Actor, clock: Clock, since: str | None, until: str | None
) -> Matrix:
    """Every expected report of the chosen periods (default: all so far), sent or not."""
    authorize(actor, Permission.READ_ALL)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    calendar = plan_service.calendar_for(plan)
    all_periods = calendar.periods(until=clock.today())
    first = parse_filter_period(since, "tu") if since else None
    last = parse_filter_period(until, "den") if until else None
    periods = [
        p
        for p in all_periods
        if (first is None or p.start_date >= first.start_date)
        and (last is None or p.end_date <= last.end_date)
    ]
    items, _ = reporting_service.list_submissions(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=reporting_service.SubmissionFilters(),
        limit=100_000,
    )
    wanted = {str(p) for p in periods}
    items = [i for i in items if i.period in wanted]
    units = sorted(
        plan_service.expected_units(db_session=db_session, plan=plan),
        key=lambda u: vi_sort_key(u.name),
    )
    cells = {(i.unit, i.period): i for i in items}
    return Matrix(
        periods=periods,
        units=units,
        cells=cells,
        by_unit={u.code: totals_of([i for i in items if i.unit == u.code]) for u in units},
        by_period={str(p): totals_of([i for i in items if i.period == str(p)]) for p in periods},
        total=totals_of(items),
        all_periods=all_periods,
    )
