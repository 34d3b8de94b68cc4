"""Coordinating units confirm, or disagree with, the lead unit's update on a task they share.

What the pages and the API show, from one place: the lead's view (who confirmed, who disagreed,
who has not answered), the coordinating unit's list of tasks with the lead's current update, and
what the reminders still wait for; the answer itself is ``coordination_answer.py``. Only tasks
with a lead unit count: a task every unit reports on has no lead update to confirm.

A coordinating unit reads the lead's update on the tasks it coordinates (and only those), even
though it may not read the lead unit's report otherwise: it cannot confirm what it cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import VIETNAM_TZ, Clock
from app.periods import Granularity, Period, ReportingCalendar
from app.permissions import Permission, authorize_read, can
from app.plans import service as plan_service
from app.plans.models import Assignment, AssignmentCoordinator, Plan, Scope, TaskCadence
from app.progress.models import ProgressUpdate
from app.reporting.coordination_models import (
    CoordinatingTaskRead,
    CoordinationReply,
    CoordinationState,
    CoordinationSummary,
    CoordinatorAnswerRead,
    LeadCoordinationRead,
    LeadUpdate,
    TaskCoordinationRead,
)
from app.submissions.lock import report_period_of
from app.submissions.models import Submission, SubmissionStatus
from app.units import service as unit_service
from app.units.models import Unit


def on_page(task: Assignment, period: Period, calendar: ReportingCalendar) -> bool:
    """Whether the task is reported on this period's page, as the workspace places it: in a
    quarterly year the monthly tasks on the months' pages, the others on the quarter's."""
    monthly = task.cadence == TaskCadence.MONTHLY
    if not calendar.is_regular(period):
        return monthly
    if period.granularity is not Granularity.MONTH:
        return not monthly
    return True


@dataclass
class _Facts:
    """What one period's coordination is read from, fetched in a few queries."""

    tasks: list[Assignment]
    coordinators: dict[int, list[int]]
    updates: dict[int, ProgressUpdate]  # the lead's update, by assignment id
    replies: dict[tuple[int, int], CoordinationReply]  # by (assignment id, unit id)
    units: dict[int, Unit]


def _facts(
    *, db_session: Session, plan: Plan, period: Period, lead: Unit | None, coordinator: Unit | None
) -> _Facts:
    """The tasks the unit leads (``lead``), coordinates (``coordinator``) or, both given, either
    (one read for a workspace showing both), with what their coordination is read from."""
    query = select(Assignment).where(
        Assignment.plan_id == plan.id,
        Assignment.scope == Scope.LEAD_UNIT,
        col(Assignment.active),
        col(Assignment.id).in_(select(AssignmentCoordinator.assignment_id)),
    )
    roles = []
    if lead is not None:
        roles.append(col(Assignment.lead_unit_id) == lead.id)
    if coordinator is not None:
        coordinated = select(AssignmentCoordinator.assignment_id).where(
            AssignmentCoordinator.unit_id == coordinator.id
        )
        roles.append(col(Assignment.id).in_(coordinated))
    if roles:
        query = query.where(or_(*roles))
    calendar = plan_service.calendar_for(plan)
    rows = db_session.exec(query.order_by(col(Assignment.sort_key), col(Assignment.id))).all()
    tasks = [t for t in rows if on_page(t, period, calendar)]
    ids = [t.id for t in tasks if t.id is not None]
    coordinators = plan_service.coordinator_ids(db_session=db_session, assignment_ids=ids)
    leads = {t.id: t.lead_unit_id for t in tasks}
    updates = {
        u.assignment_id: u
        for u in db_session.exec(
            select(ProgressUpdate).where(
                col(ProgressUpdate.assignment_id).in_(ids), ProgressUpdate.period == str(period)
            )
        )
        if leads.get(u.assignment_id) == u.unit_id
    }
    replies = {
        (r.assignment_id, r.unit_id): r
        for r in db_session.exec(
            select(CoordinationReply).where(
                CoordinationReply.plan_id == plan.id,
                col(CoordinationReply.assignment_id).in_(ids),
                CoordinationReply.period == str(period),
            )
        )
    }
    unit_ids = {u for us in coordinators.values() for u in us} | {
        t.lead_unit_id for t in tasks if t.lead_unit_id
    }
    units = {
        u.id: u for u in db_session.exec(select(Unit).where(col(Unit.id).in_(unit_ids))) if u.id
    }
    return _Facts(tasks, coordinators, updates, replies, units)


def _lead_update(row: ProgressUpdate | None) -> LeadUpdate | None:
    if row is None:
        return None
    return LeadUpdate(
        status=row.status,
        percent_complete=row.percent_complete,
        result=row.result,
        difficulties=row.difficulties,
        version=row.version,
        updated_at=row.updated_at,
    )


def answer_read(
    reply: CoordinationReply | None, unit: Unit, update: ProgressUpdate | None
) -> CoordinatorAnswerRead:
    if reply is None:
        return CoordinatorAnswerRead(
            unit=unit.code, unit_name=unit.name, state=CoordinationState.PENDING
        )
    return CoordinatorAnswerRead(
        unit=unit.code,
        unit_name=unit.name,
        state=CoordinationState(reply.answer),
        comment=reply.comment,
        answered_by=reply.answered_by,
        answered_at=reply.answered_at,
        stale=update is not None and update.version != reply.lead_version,
        version=reply.version,
    )


def parse_period(*, plan: Plan, period: str, clock: Clock, monthly: bool = True) -> Period:
    """A started period of the plan (422 otherwise); a month of a quarterly year too."""
    return Period.parse(
        plan_service.validate_period(plan=plan, period=period, today=clock.today(), monthly=monthly)
    )


def for_lead(
    *, db_session: Session, plan: Plan, unit: Unit, period: Period
) -> LeadCoordinationRead:
    """The lead unit's tasks with coordinating units, each one's answer, and the counts (over the
    tasks the lead has updated: before that there is nothing to answer)."""
    facts = _facts(db_session=db_session, plan=plan, period=period, lead=unit, coordinator=None)
    return _lead_read(facts, unit, period)


def for_unit(
    *, db_session: Session, actor: Actor, plan: Plan, unit: Unit, period: Period
) -> tuple[LeadCoordinationRead, list[CoordinatingTaskRead]]:
    """``for_lead`` and ``for_coordinator`` of one unit from one read of the facts: its
    workspace shows both, and read apart they cost the same five statements twice."""
    facts = _facts(db_session=db_session, plan=plan, period=period, lead=unit, coordinator=unit)
    return (
        _lead_read(facts, unit, period),
        _coordinator_reads(db_session, actor, plan, facts, unit, period),
    )


def _lead_read(facts: _Facts, unit: Unit, period: Period) -> LeadCoordinationRead:
    summary = CoordinationSummary()
    tasks: list[TaskCoordinationRead] = []
    for task in facts.tasks:
        assert task.id is not None
        if task.lead_unit_id != unit.id:
            continue  # a task the unit coordinates (read together for its workspace)
        update = facts.updates.get(task.id)
        answers = [
            answer_read(facts.replies.get((task.id, uid)), facts.units[uid], update)
            for uid in facts.coordinators[task.id]
        ]
        answers.sort(key=lambda a: a.unit)
        if update is not None:
            for a in answers:
                setattr(summary, a.state.value, getattr(summary, a.state.value) + 1)
                summary.stale += a.stale
        tasks.append(
            TaskCoordinationRead(
                task=task.code,
                text=task.text,
                period=str(period),
                lead_update=_lead_update(update),
                coordinators=answers,
            )
        )
    return LeadCoordinationRead(unit=unit.code, period=str(period), summary=summary, tasks=tasks)


def lead_view(
    *, db_session: Session, actor: Actor, clock: Clock, unit: str, period: str
) -> LeadCoordinationRead:
    """The coordination state of a lead unit's report for a period (who answered what)."""
    authorize_read(actor, unit)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = parse_period(plan=plan, period=period, clock=clock)
    return for_lead(db_session=db_session, plan=plan, unit=unit_row, period=p)


def lead_report(
    *, db_session: Session, plan: Plan, lead_unit_id: int | None, period: Period
) -> Submission | None:
    return db_session.exec(
        select(Submission).where(
            Submission.plan_id == plan.id,
            Submission.unit_id == lead_unit_id,
            Submission.period == report_period_of(plan, str(period)),
        )
    ).first()


def _lead_reports(
    *, db_session: Session, plan: Plan, lead_unit_ids: set[int], period: Period
) -> dict[int, Submission]:
    """``lead_report`` of several lead units in one statement, by unit id."""
    if not lead_unit_ids:
        return {}
    rows = db_session.exec(
        select(Submission).where(
            Submission.plan_id == plan.id,
            col(Submission.unit_id).in_(sorted(lead_unit_ids)),
            Submission.period == report_period_of(plan, str(period)),
        )
    )
    return {row.unit_id: row for row in rows if row.unit_id is not None}


def why_not(
    *, lead: Unit, update: ProgressUpdate | None, report: Submission | None, period: Period
) -> str:
    """Why the coordinating unit cannot answer now ("" when it can)."""
    name = lead.short_name or lead.name
    if report is not None and report.status == SubmissionStatus.APPROVED:
        at = (
            report.reviewed_at.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y")
            if report.reviewed_at
            else ""
        )
        return (
            f"Báo cáo {Period.parse(report.period).label_vi} của {name} đã được duyệt"
            f"{' ngày ' + at if at else ''}, nên không nhận xác nhận hay góp ý nữa: người duyệt đã "
            "kết luận. Nếu cần, hãy đề nghị bộ phận điều phối mở lại báo cáo."
        )
    if update is None:
        return (
            f"{name} (đơn vị chủ trì) chưa cập nhật nhiệm vụ này kỳ {period.label_vi}: "
            "chưa có gì để xác nhận."
        )
    return ""


def for_coordinator(
    *, db_session: Session, actor: Actor, plan: Plan, unit: Unit, period: Period
) -> list[CoordinatingTaskRead]:
    """The tasks the unit coordinates on this period's page, with the lead's current update."""
    facts = _facts(db_session=db_session, plan=plan, period=period, lead=None, coordinator=unit)
    return _coordinator_reads(db_session, actor, plan, facts, unit, period)


def _coordinator_reads(
    db_session: Session, actor: Actor, plan: Plan, facts: _Facts, unit: Unit, period: Period
) -> list[CoordinatingTaskRead]:
    writes = can(actor, Permission.DATA_WRITE, unit_code=unit.code)
    mine = [t for t in facts.tasks if t.id is not None and unit.id in facts.coordinators[t.id]]
    leads = {t.lead_unit_id for t in mine if t.lead_unit_id}
    reports = _lead_reports(db_session=db_session, plan=plan, lead_unit_ids=leads, period=period)
    out: list[CoordinatingTaskRead] = []
    for task in mine:
        assert task.id is not None
        lead = facts.units[task.lead_unit_id] if task.lead_unit_id else None
        if lead is None:
            continue
        update = facts.updates.get(task.id)
        report = reports.get(lead.id or 0)
        why = why_not(lead=lead, update=update, report=report, period=period)
        out.append(
            CoordinatingTaskRead(
                task=task.code,
                text=task.text,
                period=str(period),
                lead_unit=lead.code,
                lead_unit_name=lead.name,
                lead_report_status=report.status if report else SubmissionStatus.DRAFT,
                lead_update=_lead_update(update),
                answer=answer_read(facts.replies.get((task.id, unit.id or 0)), unit, update),
                can_answer=writes and not why,
                why_not=why,
            )
        )
    return out


def coordinating_view(
    *, db_session: Session, actor: Actor, clock: Clock, unit: str, period: str
) -> list[CoordinatingTaskRead]:
    """The tasks a unit coordinates for a period, with the lead's update and its own answer."""
    authorize_read(actor, unit)
    plan = plan_service.get_plan(db_session=db_session, code=None)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = parse_period(plan=plan, period=period, clock=clock)
    return for_coordinator(db_session=db_session, actor=actor, plan=plan, unit=unit_row, period=p)


@dataclass(frozen=True)
class Unanswered:
    """A lead update a coordinating unit has not answered (or answered before it changed)."""

    task: str
    lead: Unit
    period: Period
    #: Answered once, but the lead changed its update since.
    changed: bool = False


def unanswered(
    *, db_session: Session, plan: Plan, report_period: Period, lead_ids: set[int]
) -> dict[int, list[Unanswered]]:
    """For the reminders: by coordinating unit id, the updates of these leads' reports for the
    period (a quarter's report includes its months' monthly tasks) still waiting for its answer."""
    periods = [report_period]
    if report_period.granularity is not Granularity.MONTH:
        periods += report_period.months()
    out: dict[int, list[Unanswered]] = {}
    for p in periods:
        facts = _facts(db_session=db_session, plan=plan, period=p, lead=None, coordinator=None)
        for task in facts.tasks:
            assert task.id is not None
            update = facts.updates.get(task.id)
            if update is None or task.lead_unit_id not in lead_ids:
                continue
            for uid in facts.coordinators[task.id]:
                reply = facts.replies.get((task.id, uid))
                if reply is None or reply.lead_version != update.version:
                    lead = facts.units[update.unit_id]
                    changed = reply is not None
                    out.setdefault(uid, []).append(Unanswered(task.code, lead, p, changed))
    return out
