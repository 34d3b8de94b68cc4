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
from datetime import date

from sqlmodel import Session

from app.periods import Period, format_date_vi
from app.plans.models import Area
from app.reporting import service as reporting_service
from app.scores import indicators as indicator_scores
from app.scores import queries
from app.scores.frame import Frame, plain
from app.scores.schemas import (
    AreaItem,
    AreaScoreRead,
    IndicatorScore,
    IndicatorUsed,
    ReportState,
    TaskUsed,
)
from app.scoring import rules
from app.units.models import Unit

NO_DATA = "Kỳ này chưa có số liệu nào (chỉ tiêu, tiến độ hay báo cáo): chưa chấm điểm."
NO_WORK = "Chưa có số liệu nhiệm vụ hay chỉ tiêu của đơn vị trong kỳ này: chưa chấm điểm."


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
    rank: int | None = None
    classification: str | None = None
    areas: list[AreaScoreRead] = field(default_factory=list)

    @property
    def indicator_mean(self) -> float | None:
        return next(c.mean for c in self.score.components if c.name == "indicators")


def _tasks(
    frame: Frame, unit: Unit, progress: dict[int, queries.ProgressRow], as_of: date
) -> tuple[rules.TaskScore, list[TaskUsed]]:
    assert unit.id is not None
    updates, applying = [], []
    for task in frame.tasks:
        role = frame.role(task, unit.id)
        if role is None:
            continue
        applying.append((task, role))
        row = progress.get(task.id)
        if row is not None:
            updates.append(
                rules.TaskUpdate(task.code, row.status, row.percent_complete, task.due_date)
            )
    score = rules.task_score(updates=updates, today=as_of)
    judged = {item.key: item for item in score.items}
    used = []
    for task, role in applying:
        row, item = progress.get(task.id), judged.get(task.code)
        if item is None:  # never reported: not scored, but it can still be overdue
            late = task.due_date is not None and task.due_date < as_of
            item = rules.TaskItem(
                key=task.code,
                status="",
                percent_complete=None,
                due_date=task.due_date,
                credit=None,
                overdue=late,
                formula="chưa có báo cáo: không tính"
                + (f"; quá hạn (hạn {format_date_vi(task.due_date)})" if late else ""),
            )
        used.append(
            TaskUsed(
                assignment=task.code,
                text=task.text,
                area=task.area,
                role=role,
                due_date=task.due_date,
                period=row.period if row else None,
                status=item.status or None,
                percent_complete=item.percent_complete,
                credit=item.credit,
                overdue=item.overdue,
                formula=item.formula,
            )
        )
    return score, used


def report_state(
    frame: Frame, unit: Unit, period: Period, row: queries.SubmissionRow | None, expected: bool
) -> tuple[ReportState, date | None]:
    """On time, late or missing once due; a report not yet due is left out, not counted 0."""
    if not expected:
        return "not_expected", None
    due = row.due_date if row is not None else reporting_service.due_date_for(frame.plan, period)
    state = reporting_service.timeliness_of(
        first_submitted_at=row.first_submitted_at if row else None, due_date=due
    )
    if state == "missing" and frame.today <= due:
        return "not_due", due
    return state.value, due  # type: ignore[return-value]


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
) -> UnitResult:
    """Everything about one unit in one period: the three parts, the score and its formula."""
    task, tasks = _tasks(frame, unit, progress, as_of)
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
    if not has_data or not worked:
        score = rules.UnitScore(
            None,
            tuple(replace(c, share=0.0, contribution=0.0) for c in score.components),
            score.version,
            NO_DATA if not has_data else NO_WORK,
        )
    result = UnitResult(unit, tasks, task, indicators, state, due, submission, reporting, score)
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
        for task in result.tasks:
            if task.credit is not None:
                credits[task.assignment].append(task.credit)
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
        for task in frame.tasks
        if (task.id, unit_id) not in seen and frame.role(task, unit_id) is not None
    }
    if gaps:
        earlier = queries.latest_progress(
            db_session=db_session,
            before=period.start_date,
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
) -> PeriodResult:
    """Score the given units (default: every unit that reports) for one period, and rank them."""
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
    reports = queries.submissions(
        db_session=db_session, plan_id=frame.plan.id, period=str(period), unit_ids=ids
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
        )
        for unit in chosen
    ]
    rank_units(frame, results)
    indicators: dict[int, IndicatorScore] = {}
    if ward:
        aggregates = queries.ward_aggregates(
            db_session=db_session, indicator_ids=frame.indicator_ids, periods=[str(period)]
        )
        indicators = indicator_scores.ward_indicators(frame, aggregates).get(str(period), {})
    return PeriodResult(period, day, has_data, results, indicators)
