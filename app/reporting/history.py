"""A report's history of sending, returns, answers and approval: who, when, with what comment.

Read from the audit trail, which already records every move of a report in the move's own
transaction with the report as it was before and after: no second copy to keep in step, and the
history of reports moved before this page existed is there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.reporting.models import SubmissionStatus


@dataclass(frozen=True)
class Step:
    at: datetime
    username: str
    kind: str  # submitted, resubmitted, approved, returned, reopened
    label: str
    comment: str


_LABELS = {
    "submitted": "Gửi báo cáo",
    "resubmitted": "Gửi lại sau khi bị trả lại",
    "approved": "Duyệt",
    "returned": "Trả lại để bổ sung",
    "reopened": "Mở lại báo cáo đã duyệt",
}


def _step(event: AuditEvent) -> Step | None:
    after: dict[str, Any] = event.after or {}
    before: dict[str, Any] = event.before or {}
    status = after.get("status")
    if status == SubmissionStatus.SUBMITTED:
        kind = "resubmitted" if before.get("status") == SubmissionStatus.RETURNED else "submitted"
        comment = ""
    elif status == SubmissionStatus.APPROVED:
        kind, comment = "approved", str(after.get("review_comment") or "")
    elif status == SubmissionStatus.RETURNED:
        reopened = before.get("status") == SubmissionStatus.APPROVED
        kind = "reopened" if reopened else "returned"
        comment = str(after.get("reopen_reason" if reopened else "review_comment") or "")
    else:
        return None
    return Step(event.at, event.actor_username, kind, _LABELS[kind], comment)


def steps(*, db_session: Session, unit: str, period: str) -> list[Step]:
    """Oldest first. The caller has already checked that the actor may read the unit."""
    events = db_session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "submission", AuditEvent.entity_key == f"{unit}/{period}")
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    return [s for s in (_step(e) for e in events) if s is not None]
