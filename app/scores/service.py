"""Scores, rankings and trends of a plan, for the JSON API and the dashboard pages alike.

Who may see what: the ward summary and the ranking compare units, so they need ``read.all``
(viewers, coordinators, admins); a reporter sees its own unit's breakdown (with its rank, but no
other unit's score) and trends narrowed to its own unit.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import Forbidden, Invalid
from app.periods import Period, PeriodError
from app.permissions import Permission, authorize_read, can
from app.plans import service as plan_service
from app.plans.models import Plan
from app.scores import cache, engine, queries
from app.scores import indicators as indicator_scores
from app.scores.cache import Scope, kept_frame, plan_scope
from app.scores.engine import PeriodResult, UnitResult
from app.scores.frame import Frame
from app.scores.schemas import (
    Basis,
    ComponentRead,
    Headline,
    IndicatorComponent,
    IndicatorScore,
    OverdueTask,
    OverdueUnit,
    ReportingComponent,
    ScoreSummary,
    TaskComponent,
    UnitBreakdown,
    UnitRanking,
    UnitRef,
)
from app.scoring import rules
from app.units import service as unit_service
from app.units.models import Unit


def frame_for(*, db_session: Session, clock: Clock, plan: str | None) -> Frame:
    """The plan and the rules in force, as kept for the plan's current data version."""
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    scope = plan_scope(db_session=db_session, clock=clock, plan=plan_row)
    return kept_frame(db_session=db_session, scope=scope, plan=plan_row)


def scoped(*, db_session: Session, clock: Clock, plan: str | None) -> tuple[Plan, Scope]:
    """The plan asked for and its stamp: what a page needs before it asks the cache anything."""
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    return plan_row, plan_scope(db_session=db_session, clock=clock, plan=plan_row)


def period_choices(
    *, db_session: Session, clock: Clock, plan: str | None = None
) -> list[tuple[str, str]]:
    """The plan's periods so far, newest first, as (value, Vietnamese label); in quarterly years
    the months too, since the committee meets monthly and the monthly tasks report monthly."""
    return kept_period_choices(*scoped(db_session=db_session, clock=clock, plan=plan))


def kept_period_choices(plan: Plan, scope: Scope) -> list[tuple[str, str]]:
    def compute() -> list[tuple[str, str]]:
        calendar = plan_service.calendar_for(plan)
        periods = calendar.periods(until=scope.today, monthly=True)
        return [
            (
                str(p),
                p.label_vi if calendar.is_regular(p) else f"{p.label_vi} (nhiệm vụ hằng tháng)",
            )
            for p in reversed(periods)
        ]

    # The calendar and the day only: a period list outlives every write of data.
    return cache.RESULTS.get(scope.structure_key("periods"), compute)


#: How far back the dashboard looks for the latest period with data before giving up.
_LOOKBACK = 24


def resolve_period(*, db_session: Session, frame: Frame, period: str | None) -> Period:
    """The period asked for (a period of the plan, not in the future), or by default the latest
    general reporting period that has any data: an empty period in progress tells nobody
    anything. With no data anywhere, the latest period that has ended."""
    if period is not None and period.strip():
        return Period.parse(
            plan_service.validate_period(
                plan=frame.plan, period=period, today=frame.today, monthly=True
            )
        )
    try:
        current = frame.calendar.period_for(frame.today)
    except PeriodError as exc:
        raise Invalid.one("period", "period_invalid", exc.message) from exc
    assert frame.plan.id is not None
    for candidate in reversed(frame.calendar.periods(until=frame.today)[-_LOOKBACK:]):
        if queries.has_any(
            db_session=db_session,
            plan_id=frame.plan.id,
            indicator_ids=frame.indicator_ids,
            assignment_ids=frame.task_ids,
            period=str(candidate),
        ):
            return candidate
    return frame.calendar.previous(current) or current


def require_ward(actor: Actor) -> None:
    if not can(actor, Permission.READ_ALL):
        own = f" (/scores/units/{actor.unit_code})" if actor.unit_code else ""
        raise Forbidden(
            "Bảng điểm và xếp hạng so sánh các đơn vị: bạn chỉ được xem điểm của đơn vị mình"
            f"{own}.",
            code="other_unit",
        )


def _ref(unit: Unit) -> UnitRef:
    return UnitRef(code=unit.code, name=unit.name, short_name=unit.short_name)


# --- the ward ------------------------------------------------------------------------------------


def _ranking(result: UnitResult) -> UnitRanking:
    means = {c.name: c.mean for c in result.score.components}
    return UnitRanking(
        code=result.unit.code,
        name=result.unit.name,
        short_name=result.unit.short_name,
        score=result.score.score,
        rank=result.rank,
        classification=result.classification,
        tasks=means["tasks"],
        indicators=means["indicators"],
        reporting=means["reporting"],
        report_state=result.report_state,
        overdue=sum(1 for t in result.tasks if t.overdue),
        formula=result.score.formula,
        coverage=result.coverage,
        data_state=result.data_state,
    )


def _overdue(frame: Frame, results: Sequence[UnitResult]) -> list[OverdueTask]:
    """Tasks past their due date and not done, each with the units still owing them."""
    behind: dict[str, list[OverdueUnit]] = defaultdict(list)
    for result in results:
        for used in result.tasks:
            if used.overdue:
                behind[used.assignment].append(
                    OverdueUnit(
                        code=result.unit.code,
                        short_name=result.unit.short_name,
                        status=used.status,
                        percent_complete=used.percent_complete,
                    )
                )
    out = []
    for task in frame.tasks:
        if task.code in behind and task.due_date is not None:
            lead = frame.units_by_id.get(task.lead_unit_id) if task.lead_unit_id else None
            out.append(
                OverdueTask(
                    assignment=task.code,
                    text=task.text,
                    area=task.area,
                    due_date=task.due_date,
                    lead_unit=lead.code if lead else None,
                    lead_unit_name=lead.short_name if lead else None,
                    units=behind[task.code],
                )
            )
    return out


def ward_score(results: Sequence[UnitResult]) -> tuple[float | None, str]:
    """The ward as the plain mean of its units' scores (units without a score left out)."""
    scores = [r.score.score for r in results if r.score.score is not None]
    if not scores:
        return None, "chưa có đơn vị nào được chấm điểm"
    mean = math.fsum(scores) / len(scores)
    terms = " + ".join(rules.format_vi(s, 2) for s in scores)
    return mean, f"({terms}) / {len(scores)} đơn vị = {rules.format_vi(mean, 2)}"


def _headline(
    frame: Frame,
    result: PeriodResult,
    indicators: Sequence[IndicatorScore],
    overdue: Sequence[OverdueTask],
) -> Headline:
    states = [r.report_state for r in result.units]
    score, formula = ward_score(result.units)
    return Headline(
        targets_total=len(indicators),
        targets_with_data=sum(1 for i in indicators if i.value is not None),
        targets_met=sum(1 for i in indicators if i.met),
        units_expected=len(frame.units),
        units_on_time=states.count("on_time"),
        units_late=states.count("late"),
        units_missing=states.count("missing"),
        units_not_due=states.count("not_due"),
        overdue_tasks=len(overdue),
        overdue_items=sum(len(t.units) for t in overdue),
        ward_score=score,
        ward_score_formula=formula,
        data_state=engine.weakest([r.data_state for r in result.units]),
        units_approved=sum(1 for r in result.units if r.data_state == "approved"),
        units_submitted=sum(1 for r in result.units if r.data_state == "submitted"),
    )


def _summary(frame: Frame, result: PeriodResult) -> ScoreSummary:
    indicators = [
        result.indicators.get(i.id or 0) or indicator_scores.no_data_indicator(frame, i)
        for i in frame.indicators
    ]
    if result.has_data:
        areas = engine.ward_areas(frame, result.units, result.indicators)
    else:
        areas = [engine.area_read(frame, area, []) for area in frame.areas]
    overdue = _overdue(frame, result.units)
    units = sorted(result.units, key=lambda r: (r.rank is None, r.rank or 0, r.unit.code))
    return ScoreSummary(
        plan=frame.plan.code,
        plan_number=frame.plan.number,
        period=str(result.period),
        period_label=result.period.label_vi,
        as_of=result.as_of,
        has_data=result.has_data,
        message="" if result.has_data else engine.NO_DATA,
        basis=result.basis,
        config_version=frame.config.version,
        config_source=frame.config_read.source,
        headline=_headline(frame, result, indicators, overdue),
        indicators=indicators,
        areas=areas,
        units=[_ranking(r) for r in units],
        overdue=overdue,
    )


def period_key(period: str | None) -> str | None:
    return period.strip() if period is not None and period.strip() else None


def scored_period(
    *,
    db_session: Session,
    scope: Scope,
    frame: Frame,
    period: str | None,
    basis: Basis = "all",
    keep: bool = True,
) -> tuple[Period, PeriodResult]:
    """The period asked for (or the default) scored once per version of its data: every page,
    answer and explanation of that period is made from this one computation.

    The default period is chosen by where the data is (any write may change it), so the choice
    is kept under the plan's data version; the period's result under the versions of its own
    data, shared with the requests that name it."""
    if period_key(period) is None:

        def default() -> str:
            return str(resolve_period(db_session=db_session, frame=frame, period=None))

        period = cache.RESULTS.get(scope.key("default period"), default, keep=keep)

    def compute() -> tuple[Period, PeriodResult]:
        chosen = resolve_period(db_session=db_session, frame=frame, period=period)
        return chosen, engine.score_period(
            db_session=db_session, frame=frame, period=chosen, basis=basis
        )

    key = scope.key_for(period, "result", period_key(period), basis)
    return cache.RESULTS.get(key, compute, keep=keep)


def plan_summary(
    *,
    db_session: Session,
    clock: Clock,
    plan: Plan,
    period: str | None = None,
    basis: Basis = "all",
    scope: Scope | None = None,
    keep_parts: bool = True,
) -> ScoreSummary:
    """One plan's summary for a period, through the cache; the caller has authorised the
    reader. A ranking over many plans asks their stamps at once (``plan_summaries``) and keeps
    only each summary (``keep_parts=False``: the frame and the period's results, which a
    dashboard's "Vì sao?" reuses, are used if kept but not stored for a ranking)."""
    scope = scope or plan_scope(db_session=db_session, clock=clock, plan=plan)

    def compute() -> ScoreSummary:
        frame = kept_frame(db_session=db_session, scope=scope, plan=plan, keep=keep_parts)
        _, result = scored_period(
            db_session=db_session,
            scope=scope,
            frame=frame,
            period=period,
            basis=basis,
            keep=keep_parts,
        )
        return _summary(frame, result)

    return cache.RESULTS.get(scope.key_for(period, "summary", period_key(period), basis), compute)


def plan_summaries(
    *,
    db_session: Session,
    clock: Clock,
    plans: Sequence[Plan],
    period: str | None = None,
    basis: Basis = "all",
) -> dict[int, ScoreSummary]:
    """Several plans' summaries (a city ranking), by plan id (every ward has a "kh-84-2025"):
    one query for every stamp, then each plan's kept summary, computed only where its data
    changed."""
    ids = [p.id for p in plans if p.id is not None]
    found = cache.stamps(db_session, ids)
    today = clock.today()
    return {
        p.id: plan_summary(
            db_session=db_session,
            clock=clock,
            plan=p,
            period=period,
            basis=basis,
            scope=Scope(p.id, today, found[p.id], p.ward_id),
            keep_parts=False,
        )
        for p in plans
        if p.id is not None
    }


def ward_summary(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None = None,
    plan: str | None = None,
    basis: Basis = "all",
) -> ScoreSummary:
    """Where the ward stands in one period: targets, areas, units ranked, overdue tasks.

    ``basis="approved"`` scores and ranks only units whose report is approved (public page, final
    report); the default shows everything entered, each figure marked with its review state.
    """
    require_ward(actor)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    return plan_summary(
        db_session=db_session, clock=clock, plan=plan_row, period=period, basis=basis
    )


# --- one unit ------------------------------------------------------------------------------------


def _reporting(frame: Frame, result: UnitResult) -> ReportingComponent:
    sub, due = result.submission, result.due_date
    labels = {"on_time": "nộp đúng hạn", "late": "nộp trễ hạn", "missing": "chưa nộp, đã quá hạn"}
    if result.reporting is not None:
        formula = f"{labels[result.report_state]}: {result.reporting.formula}"
    elif result.report_state == "not_due" and due is not None:
        formula = f"chưa đến hạn nộp (hạn {due:%d/%m/%Y}): không tính"
    else:
        formula = "đơn vị không phải nộp báo cáo kỳ theo kế hoạch: không tính"
    return ReportingComponent(
        score=result.reporting.score if result.reporting else None,
        state=result.report_state,
        due_date=due,
        first_submitted_at=sub.first_submitted_at if sub else None,
        submission_status=sub.status if sub else None,
        late_credit=frame.config.late_credit,
        formula=formula,
    )


def _breakdown(frame: Frame, result: PeriodResult, mine: UnitResult) -> UnitBreakdown:
    components = {c.name: c for c in mine.score.components}
    return UnitBreakdown(
        plan=frame.plan.code,
        period=str(result.period),
        period_label=result.period.label_vi,
        as_of=result.as_of,
        has_data=result.has_data,
        unit=_ref(mine.unit),
        score=mine.score.score,
        rank=mine.rank,
        ranked_units=sum(1 for r in result.units if r.rank is not None),
        classification=mine.classification,
        formula=mine.score.formula,
        coverage=mine.coverage,
        data_state=mine.data_state,
        config_source=frame.config_read.source,
        config=frame.config,
        components=[
            ComponentRead(
                name=c.name,
                label=c.label,
                mean=c.mean,
                weight=c.weight,
                share=c.share,
                contribution=c.contribution,
                formula=c.formula,
            )
            for c in mine.score.components
        ],
        tasks=TaskComponent(
            score=mine.task.score,
            counted=mine.task.counted,
            expected=mine.coverage.expected,
            reported=mine.coverage.reported,
            unreported=mine.coverage.expected - mine.coverage.reported,
            overdue=sum(1 for t in mine.tasks if t.overdue),
            formula=mine.task.formula,
            items=mine.tasks,
        ),
        indicators=IndicatorComponent(
            mean=mine.indicator_mean,
            counted=sum(1 for i in mine.indicators if i.attainment is not None),
            formula=components["indicators"].formula,
            items=mine.indicators,
        ),
        reporting=_reporting(frame, mine),
        areas=mine.areas,
    )


def unit_breakdown(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str | None = None,
    plan: str | None = None,
) -> UnitBreakdown:
    """Every number behind one unit's score: the tasks, readings and report it used, each part's
    formula, and the configuration applied. The contributions add up to the score exactly."""
    authorize_read(actor, unit)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    scope = plan_scope(db_session=db_session, clock=clock, plan=plan_row)

    def compute() -> UnitBreakdown:
        frame = kept_frame(db_session=db_session, scope=scope, plan=plan_row)
        unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
        chosen, result = scored_period(
            db_session=db_session, scope=scope, frame=frame, period=period
        )
        mine = next((r for r in result.units if r.unit.id == unit_row.id), None)
        if mine is None:  # the committee itself, or a unit no longer active: scored but not ranked
            alone = engine.score_period(
                db_session=db_session, frame=frame, period=chosen, units=[unit_row], ward=False
            )
            mine = alone.units[0]
            mine.rank = None
        return _breakdown(frame, result, mine)

    return cache.RESULTS.get(scope.key_for(period, "unit", unit, period_key(period)), compute)
