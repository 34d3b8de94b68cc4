"""What the workspace, the review page and the review queue show of reopen requests.

Read-only: the period's requests, what the person looking may do with them, and the period's
history. Kept apart from ``reopen_pages`` so the reporting pages can draw the same parts without
importing the routes that post to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.permissions import Permission, Role, can
from app.reporting import history, reopen_reads
from app.reporting.reopen_models import REOPEN_STATUS_LABELS, ReopenRequestRead, ReopenStatus
from app.submissions.models import SubmissionStatus


@dataclass
class ReopenView:
    unit: str
    period: str
    requests: list[ReopenRequestRead]
    history: list[history.Step]
    can_request: bool = False
    can_withdraw: bool = False
    can_decide: bool = False
    #: What was typed and why it was refused, when a form failed.
    errors: dict[str, str] = field(default_factory=dict)
    typed: str = ""
    labels: dict[str, str] = field(default_factory=lambda: dict(REOPEN_STATUS_LABELS))

    @property
    def pending(self) -> ReopenRequestRead | None:
        return next((r for r in self.requests if r.status == ReopenStatus.PENDING), None)

    @property
    def latest(self) -> ReopenRequestRead | None:
        return self.requests[0] if self.requests else None

    @property
    def base(self) -> str:
        return f"/units/{self.unit}/periods/{self.period}/reopen-requests"


def build(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    status: str,
    errors: dict[str, str] | None = None,
    typed: str = "",
) -> ReopenView:
    """The period's requests (newest first) and history, for an actor who may read the unit;
    ``period`` is the general report's (a month of a quarterly year shows its quarter's)."""
    requests = reopen_reads.list_for_period(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period
    )
    view = ReopenView(
        unit=unit,
        period=period,
        requests=requests,
        history=history.steps(db_session=db_session, unit=unit, period=period),
        errors=errors or {},
        typed=typed,
    )
    writes = can(actor, Permission.DATA_WRITE, unit_code=unit)
    pending = view.pending is not None
    view.can_request = writes and not pending and status == SubmissionStatus.APPROVED
    view.can_withdraw = writes and pending
    view.can_decide = (
        pending
        and can(actor, Permission.REVIEW)
        and (actor.unit_code != unit or actor.role == Role.ADMIN)
    )
    return view


def for_page(
    *, db_session: Session, actor: Actor, clock: Clock, ws: Any, **form: Any
) -> dict[str, Any]:
    """The part of the workspace or the review page: ``reopen``, the requests and the history."""
    return {
        "reopen": build(
            db_session=db_session,
            actor=actor,
            clock=clock,
            unit=ws.unit.code,
            period=str(ws.submission.period),
            status=ws.submission.status,
            **form,
        )
    }


def pending_requests(*, db_session: Session, actor: Actor) -> list[ReopenRequestRead]:
    """The review queue's list: every request waiting for a decision, oldest first."""
    items, _ = reopen_reads.list_requests(
        db_session=db_session, actor=actor, status=ReopenStatus.PENDING, limit=1000
    )
    return items
