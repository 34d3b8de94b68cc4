"""Reading reopen requests: the requests of one period, and the coordinator's list across units.

The writes (ask, withdraw, grant, refuse) live in ``reopen``; the resolving of a request's plan,
unit and period and its public form are here, below them, since both sides need them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.periods import Period
from app.permissions import authorize_read
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reporting.reopen_models import ReopenRequest, ReopenRequestRead, ReopenStatus
from app.submissions.models import Submission
from app.units import service as unit_service
from app.units.models import Unit


@dataclass(frozen=True)
class Target:
    """The plan, unit and period a request is about, resolved once."""

    plan: Plan
    unit: Unit
    period: Period

    @property
    def ids(self) -> tuple[int, int]:
        assert self.plan.id is not None and self.unit.id is not None
        return self.plan.id, self.unit.id


def target_of(
    *, db_session: Session, clock: Clock, plan: str | None, unit: str, period: str
) -> Target:
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    found = Period.parse(
        plan_service.validate_period(plan=plan_row, period=period, today=clock.today())
    )
    return Target(plan_row, unit_row, found)


def read_request(row: ReopenRequest, unit: Unit) -> ReopenRequestRead:
    return ReopenRequestRead(
        unit=unit.code,
        period=row.period,
        number=row.number,
        reason=row.reason,
        status=ReopenStatus(row.status),
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_comment=row.decision_comment,
        version=row.version,
    )


def key_of(unit: str, period: str, number: int) -> str:
    """The request's public key, as the audit trail and the history name it."""
    return f"{unit}/{period}/{number}"


def submission_of(*, db_session: Session, target: Target) -> Submission | None:
    plan_id, unit_id = target.ids
    return db_session.exec(
        select(Submission).where(
            Submission.plan_id == plan_id,
            Submission.unit_id == unit_id,
            Submission.period == str(target.period),
        )
    ).first()


def pending_row(*, db_session: Session, target: Target) -> ReopenRequest | None:
    """The period's request waiting for a decision, if any (there is at most one)."""
    plan_id, unit_id = target.ids
    return db_session.exec(
        select(ReopenRequest).where(
            ReopenRequest.plan_id == plan_id,
            ReopenRequest.unit_id == unit_id,
            ReopenRequest.period == str(target.period),
            ReopenRequest.status == ReopenStatus.PENDING,
        )
    ).first()


def list_for_period(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    plan: str | None = None,
) -> list[ReopenRequestRead]:
    """The period's requests, newest first."""
    authorize_read(actor, unit)
    target = target_of(db_session=db_session, clock=clock, plan=plan, unit=unit, period=period)
    plan_id, unit_id = target.ids
    rows = db_session.exec(
        select(ReopenRequest)
        .where(
            ReopenRequest.plan_id == plan_id,
            ReopenRequest.unit_id == unit_id,
            ReopenRequest.period == str(target.period),
        )
        .order_by(col(ReopenRequest.number).desc())
    ).all()
    return [read_request(r, target.unit) for r in rows]


def list_requests(
    *,
    db_session: Session,
    actor: Actor,
    status: ReopenStatus | None = None,
    unit: str | None = None,
    plan: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ReopenRequestRead], int]:
    """Requests across units (the coordinator's list: ``status=pending``), oldest first; a
    reporter sees only its own unit's."""
    unit_filter = authorize_read(actor, unit)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    query = (
        select(ReopenRequest, Unit)
        .join(Unit, col(Unit.id) == col(ReopenRequest.unit_id))
        .where(ReopenRequest.plan_id == plan_row.id)
    )
    if status is not None:
        query = query.where(ReopenRequest.status == status)
    if unit_filter is not None:
        query = query.where(Unit.code == unit_filter)
    total = db_session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db_session.exec(
        query.order_by(col(ReopenRequest.requested_at), col(ReopenRequest.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return [read_request(r, u) for r, u in rows], total
