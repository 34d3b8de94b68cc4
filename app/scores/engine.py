"""From the rows of one period to scores: the glue between the SQL aggregates and the pure rules.

The plan's structure comes from ``frame`` (loaded once per request), the data of a period from
``queries`` already grouped, indicator results from ``indicators``. Every result carries the
formula of ``app.scoring.rules`` and, where this module adds a step (averaging a task over the
units, leaving out a unit without work), the formula or the reason of that step too.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from sqlmodel import Session

from app.periods import Period
from app.plans.models import Area
from app.reporting import submission_state
from app.scores import indicators as indicator_scores
from app.scores import queries
from app.scores.frame import Frame, plain
from app.scores.schemas import (
    AreaItem,
    AreaScoreRead,
    Basis,
    Coverage,
    DataState,
    IndicatorScore,
    IndicatorUsed,
    ReportState,
    TaskUsed,
)
from app.scoring import rules
from app.submissions.models import SubmissionStatus
from app.units.models import Unit

NO_DATA = "Kỳ này chưa có số liệu nào (chỉ tiêu, tiến độ hay báo cáo): chưa chấm điểm."
NO_WORK = "Chưa có số liệu nhiệm vụ hay chỉ tiêu của đơn vị trong kỳ này: chưa chấm điểm."
NOT_APPROVED = (
    "Báo cáo kỳ này của đơn vị chưa được duyệt: không chấm điểm khi chỉ dùng số liệu đã duyệt."
)


# --- units ---------------------------------------------------------------------------------------


@dataclass
class UnitResult:
    unit: Unit
    tasks: list[TaskUsed]
    task: rules.TaskScore
    indicators: list[IndicatorUsed]
    report_state: ReportState
    due_date: date | None
    submission: queries.SubmissionRow | None
    reporting: rules.ReportingScore | None
    score: rules.UnitScore
    coverage: Coverage
    data_state: DataState
    rank: int | None = None
    classification: str | None = None
    areas: list[AreaScoreRead] = field(default_factory=list)

    @property
    def indicator_mean(self) -> float | None:
        return next(c.mean for c in self.score.components if c.name == "indicators")


def _tasks(
    frame: Frame,
    unit: Unit,
    progress: dict[int, queries.ProgressRow],
    as_of: date,
    period: Period,
) -> tuple[rules.TaskScore, list[TaskUsed]]:
    """The unit's task score over every task it must report on; silence counts 0.

    A coordinating unit's report on a task the plan does not ask it to report on is shown but not
    scored: counting it would let a unit raise its mean with the easy tasks it chose to report.
    """
    assert unit.id is not None
    updates, applying = [], []
    for task in frame.tasks_for(period):
        role = frame.role(task, unit.id)
        if role is None:
            continue
        required = frame.must_report(task, unit.id)
        applying.append((task, role, required))
        if not required:
            continue
        row = progress.get(task.id)
        status = row.status if row is not None else rules.UNREPORTED
        percent = row.percent_complete if row is not None else None
        updates.append(rules.TaskUpdate(task.code, status, percent, task.due_date))
    score = rules.task_score(updates=updates, today=as_of)
    judged = {item.key: item for item in score.items}
    used = []
    for task, role, required in applying:
        row, item = progress.get(task.id), judged.get(task.code)
        if item is None:  # an optional coordinator's task: shown, never scored
            item = rules.TaskItem(
                key=task.code,
                status=row.status if row else "",
                percent_complete=row.percent_complete if row else None,
                due_date=task.due_date,
                credit=None,
                overdue=False,
                formula="đơn vị phối hợp, kế hoạch không yêu cầu báo cáo riêng: không tính",
            )
        carried = row is not None and row.period != str(period)
        formula = item.formula + (f" (theo báo cáo kỳ {row.period})" if carried and row else "")
        used.append(
            TaskUsed(
                assignment=task.code,
                text=task.text,
                area=task.area,
                role=role,
                due_date=task.due_date,
                period=row.period if row else None,
                required=required,
                status=item.status if item.status not in ("", rules.UNREPORTED) else None,
                percent_complete=item.percent_complete,
                credit=item.credit,
                overdue=item.overdue,
                formula=formula,
            )
        )
    return score, used


def coverage_of(tasks: Sequence[TaskUsed], period: Period) -> Coverage:
    required = [t for t in tasks if t.required]
    return Coverage(
        reported=sum(1 for t in required if t.status is not None),
        expected=len(required),
        updated=sum(1 for t in required if t.period == str(period)),
    )


def data_state_of(row: queries.SubmissionRow | None) -> DataState:
    """The review state of a unit's report: a returned report is back to draft."""
    if row is None:
        return "draft"
    if row.status == SubmissionStatus.APPROVED:
        return "approved"
    return "submitted" if row.status == SubmissionStatus.SUBMITTED else "draft"


_STATE_ORDER: tuple[DataState, ...] = ("draft", "submitted", "approved")


def weakest(states: Collection[DataState]) -> DataState:
    """The state of a figure made of several units' data is that of the least reviewed one."""
    found = [s for s in states if s != "none"]
    if not found:
        return "none"
    return min(found, key=_STATE_ORDER.index)


def report_state(
    frame: Frame, unit: Unit, period: Period, row: queries.SubmissionRow | None, expected: bool
) -> tuple[ReportState, date | None]:
    """On time, late or missing once due; a report not yet due is left out, not counted, even if
    already sent (the completeness page counts the same way). A month of a quarterly year has no
    report of its own: its monthly tasks are part of the quarter's report."""
    if not expected or not frame.calendar.is_regular(period):
        return "not_expected", None
    due = row.due_date if row is not None else submission_state.due_date_for(frame.plan, period)
    if not submission_state.is_counted(due_date=due, today=frame.today):
        return "not_due", due
    state = submission_state.timeliness_of(
        first_submitted_at=row.first_submitted_at if row else None, due_date=due
    )
    return state.value, due


def unit_result(
    frame: Frame,
    unit: Unit,
    *,
    period: Period,
    as_of: date,
    has_data: bool,
    progress: dict[int, queries.ProgressRow],
    readings: Sequence[queries.ReadingRow],
    submission: queries.SubmissionRow | None,
    expected: bool = True,
    basis: Basis = "all",
) -> UnitResult:
    """Everything about one unit in one period: the three parts, the score and its formula."""
    task, tasks = _tasks(frame, unit, progress, as_of, period)
    by_indicator: dict[int, list[queries.ReadingRow]] = defaultdict(list)
    for row in readings:
        by_indicator[row.indicator_id].append(row)
    indicators = [
        indicator_scores.unit_indicator(frame, indicator, by_indicator.get(indicator.id or 0, []))
        for indicator in frame.indicators
        if indicator.responsible_unit_id == unit.id or indicator.id in by_indicator
    ]
    state, due = report_state(frame, unit, period, submission, expected)
    reporting = None
    if state in ("on_time", "late", "missing"):
        reporting = rules.reporting_score(statuses=[state], config=frame.config)
    judged = [_as_result(item) for item in indicators]
    score = rules.unit_score(task=task, indicators=judged, reporting=reporting, config=frame.config)
    worked = task.score is not None or any(r.attainment is not None for r in judged)
    data_state = data_state_of(submission)
    unapproved = basis == "approved" and data_state != "approved"
    if not has_data or not worked or unapproved:
        reason = NO_DATA if not has_data else (NOT_APPROVED if unapproved else NO_WORK)
        score = rules.UnitScore(
            None,
            tuple(replace(c, share=0.0, contribution=0.0) for c in score.components),
            score.version,
            reason,
        )
    result = UnitResult(
        unit,
        tasks,
        task,
        indicators,
        state,
        due,
        submission,
        reporting,
        score,
        coverage_of(tasks, period),
        data_state,
    )
    result.areas = unit_areas(frame, result)
    return result


def _as_result(item: IndicatorScore) -> rules.IndicatorResult:
    """The rules' view of an indicator already judged (``unit_score`` needs only attainment)."""
    return rules.IndicatorResult(
        item.target,
        item.comparator,
        item.value,
        item.attainment,
        item.met,
        item.light,
        item.worst_domain,
        (),
        item.formula,
    )


def rank_units(frame: Frame, results: Sequence[UnitResult]) -> None:
    ranks = rules.rank(scores={r.unit.code: r.score.score for r in results})
    for result in results:
        result.rank = ranks[result.unit.code]
        result.classification = rules.classify(score=result.score.score, config=frame.config)


# --- areas ---------------------------------------------------------------------------------------


def area_read(frame: Frame, area: Area, items: list[AreaItem]) -> AreaScoreRead:
    """Mean attainment of an area's tasks and indicators; points where the area has a maximum."""
    max_points = frame.config.area_max_points.get(area.code, area.max_points)
    result = rules.area_score(attainments=[i.attainment for i in items], max_points=max_points)
    formula = "chưa có số liệu"
    if result.percent is not None:
        tasks = sum(1 for i in items if i.kind == "task")
        terms = " + ".join(rules.format_vi(i.attainment, 3) for i in items)
        formula = (
            f"({terms}) / {len(items)} ({tasks} nhiệm vụ, {len(items) - tasks} chỉ tiêu)"
            f" = {rules.format_vi(result.percent, 1)}%"
        )
        if result.points is not None and max_points is not None:
            formula += (
                f"; {rules.format_vi(result.percent / 100, 3)} × {plain(max_points)}"
                f" = {rules.format_vi(result.points, 2)} điểm"
            )
    return AreaScoreRead(
        code=area.code,
        position=area.position,
        name=area.name,
        percent=result.percent,
        points=result.points,
        max_points=max_points,
        items=items,
        formula=formula,
    )


def unit_areas(frame: Frame, result: UnitResult) -> list[AreaScoreRead]:
    items: dict[str, list[AreaItem]] = defaultdict(list)
    for task in result.tasks:
        if task.credit is not None:
            items[task.area].append(
                AreaItem(
                    kind="task", code=task.assignment, attainment=task.credit, formula=task.formula
                )
            )
    for ind in result.indicators:
        if ind.attainment is not None:
            items[ind.area].append(
                AreaItem(
                    kind="indicator", code=ind.code, attainment=ind.attainment, formula=ind.formula
                )
            )
    return [area_read(frame, area, items[area.code]) for area in frame.areas]


def ward_areas(
    frame: Frame, results: Sequence[UnitResult], indicators: dict[int, IndicatorScore]
) -> list[AreaScoreRead]:
    """Each task counts once, as the mean credit of the units that reported on it."""
    credits: dict[str, list[float]] = defaultdict(list)
    for result in results:
        for used in result.tasks:
            if used.credit is not None:
                credits[used.assignment].append(used.credit)
    items: dict[str, list[AreaItem]] = defaultdict(list)
    for task in frame.tasks:
        values = credits.get(task.code)
        if values:
            mean = math.fsum(values) / len(values)
            terms = " + ".join(plain(v) for v in values)
            formula = f"({terms}) / {len(values)} đơn vị = {rules.format_vi(mean, 3)}"
            items[task.area].append(
                AreaItem(kind="task", code=task.code, attainment=mean, formula=formula)
            )
    for indicator in frame.indicators:
        judged = indicators.get(indicator.id or 0)
        if judged is not None and judged.attainment is not None:
            items[judged.area].append(
                AreaItem(
                    kind="indicator",
                    code=judged.code,
                    attainment=judged.attainment,
                    formula=judged.formula,
                )
            )
    return [area_read(frame, area, items[area.code]) for area in frame.areas]


# --- one period ----------------------------------------------------------------------------------


@dataclass
class PeriodResult:
    period: Period
    as_of: date
    has_data: bool
    units: list[UnitResult]
    indicators: dict[int, IndicatorScore]
    basis: Basis = "all"


def as_of(frame: Frame, period: Period) -> date:
    """Overdue is judged at the period's end, or today while the period is still running."""
    return min(frame.today, period.end_date)


def progress_as_of(
    *, db_session: Session, frame: Frame, period: Period, units: Sequence[Unit]
) -> list[queries.ProgressRow]:
    """The latest report on every task each unit must report on, as of the end of the period.

    First this period's reports; then, only for the (task, unit) pairs it left without one, the
    latest earlier report, so that a task done in October still counts as done in November.
    """
    assert frame.plan.id is not None
    ids = [u.id for u in units if u.id is not None]
    rows = queries.period_progress(
        db_session=db_session, assignment_ids=frame.task_ids, period=str(period), unit_ids=ids
    )
    seen = {(r.assignment_id, r.unit_id) for r in rows}
    gaps = {
        (task.id, unit_id)
        for unit_id in ids
        for task in frame.tasks_for(period)
        if (task.id, unit_id) not in seen and frame.role(task, unit_id) is not None
    }
    if gaps:
        # Up to the period's end: a quarter's monthly tasks count by their latest monthly update.
        earlier = queries.latest_progress(
            db_session=db_session,
            before=period.end_date + timedelta(days=1),
            unit_ids={unit_id for _, unit_id in gaps},
            assignment_ids={task_id for task_id, _ in gaps},
        )
        rows += [r for r in earlier if (r.assignment_id, r.unit_id) in gaps]
    return rows


def score_period(
    *,
    db_session: Session,
    frame: Frame,
    period: Period,
    units: Collection[Unit] | None = None,
    ward: bool = True,
    basis: Basis = "all",
) -> PeriodResult:
    """Score the given units (default: every unit that reports) for one period, and rank them.

    With ``basis="approved"`` only units whose report for the period is approved are scored and
    ranked, and the ward's indicators pool only their readings: the figures of a final report.
    """
    assert frame.plan.id is not None
    chosen = list(frame.units if units is None else units)
    ids = [u.id for u in chosen if u.id is not None]
    expected = {u.id for u in frame.units}
    day = as_of(frame, period)
    has_data = queries.has_any(
        db_session=db_session,
        plan_id=frame.plan.id,
        indicator_ids=frame.indicator_ids,
        assignment_ids=frame.task_ids,
        period=str(period),
    )
    progress: dict[int, dict[int, queries.ProgressRow]] = defaultdict(dict)
    for row in progress_as_of(db_session=db_session, frame=frame, period=period, units=chosen):
        progress[row.unit_id][row.assignment_id] = row
    readings: dict[int, list[queries.ReadingRow]] = defaultdict(list)
    for reading in queries.unit_readings(
        db_session=db_session,
        indicator_ids=frame.indicator_ids,
        periods=[str(period)],
        unit_ids=ids,
    ):
        readings[reading.unit_id].append(reading)
    # A month of a quarterly year has no report of its own: its figures are as firm as the
    # quarter's report they belong to (approving Q1 approves January to March).
    regular = frame.calendar.is_regular(period)
    report_period = period if regular else frame.calendar.period_for(period.start_date)
    reports = queries.submissions(
        db_session=db_session, plan_id=frame.plan.id, period=str(report_period), unit_ids=ids
    )
    results = [
        unit_result(
            frame,
            unit,
            period=period,
            as_of=day,
            has_data=has_data,
            progress=progress[unit.id or 0],
            readings=readings[unit.id or 0],
            submission=reports.get(unit.id or 0),
            expected=unit.id in expected,
            basis=basis,
        )
        for unit in chosen
    ]
    rank_units(frame, results)
    indicators: dict[int, IndicatorScore] = {}
    if ward:
        states = {r.unit.id: r.data_state for r in results}
        approved = [i for i, state in states.items() if state == "approved" and i is not None]
        aggregates = queries.ward_aggregates(
            db_session=db_session,
            indicator_ids=frame.indicator_ids,
            periods=[str(period)],
            unit_ids=approved if basis == "approved" else None,
        )
        indicators = indicator_scores.ward_indicators(frame, aggregates).get(str(period), {})
        behind: dict[int, set[DataState]] = defaultdict(set)
        for unit_id, rows in readings.items():
            if basis == "approved" and unit_id not in approved:
                continue
            for reading in rows:
                behind[reading.indicator_id].add(states.get(unit_id, "draft"))
        for indicator_id, judged in indicators.items():
            judged.data_state = weakest(behind.get(indicator_id, set()))
    return PeriodResult(period, day, has_data, results, indicators, basis)
