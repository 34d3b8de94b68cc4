"""TTHC domains (lĩnh vực thủ tục hành chính): the list an indicator may be disaggregated by."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, NotFound
from app.kpis.models import Domain, DomainCreate, DomainRead
from app.permissions import Permission


def list_domains(*, db_session: Session, active: bool | None = None) -> list[DomainRead]:
    query = select(Domain)
    if active is not None:
        query = query.where(Domain.active == active)
    rows = db_session.exec(query.order_by(col(Domain.position), col(Domain.code))).all()
    return [DomainRead.model_validate(d) for d in rows]


def get_domain(*, db_session: Session, code: str) -> Domain:
    row = db_session.exec(select(Domain).where(Domain.code == code)).first()
    if row is None:
        raise NotFound(f"Không có lĩnh vực TTHC mã “{code}” (domain).", code="domain_not_found")
    return row


def create_domain(
    *, db_session: Session, actor: Actor, clock: Clock, data: DomainCreate
) -> DomainRead:
    tenancy.authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    if db_session.exec(select(Domain.id).where(Domain.code == data.code)).first() is not None:
        raise Conflict(
            f"Lĩnh vực mã “{data.code}” đã có.",
            code="domain_exists",
            errors=[FieldError("code", "duplicate", "Mã lĩnh vực đã được dùng.")],
        )
    row = Domain(code=data.code, name=data.name, position=data.position, created_at=clock.now())
    db_session.add(row)
    db_session.flush()
    after = DomainRead.model_validate(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="domain",
        key=row.code,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after
