"""A report's history of sending, returns, answers and approval: who, when, with what comment,
and the unit's requests to reopen it with the coordinator's decisions.

Read from the audit trail, which already records every move of a report in the move's own
transaction with the report as it was before and after: no second copy to keep in step, and the
history of reports moved before this page existed is there too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.submissions.models import SubmissionStatus


@dataclass(frozen=True)
class Step:
    at: datetime
    username: str
    #: submitted, resubmitted, approved, returned, reopened; for a reopen request: asked,
    #: granted, refused, withdrawn
    kind: str
    label: str
    comment: str


_LABELS = {
    "submitted": "Gửi báo cáo",
    "resubmitted": "Gửi lại sau khi bị trả lại",
    "approved": "Duyệt",
    "returned": "Trả lại để bổ sung",
    "reopened": "Mở lại báo cáo đã duyệt",
    "asked": "Đơn vị đề nghị mở lại báo cáo",
    "granted": "Đồng ý đề nghị mở lại",
    "refused": "Từ chối đề nghị mở lại",
    "withdrawn": "Đơn vị rút đề nghị mở lại",
}
#: A reopen request's status after each audited step, as the step's kind.
_REQUEST_KINDS = {
    "pending": "asked",
    "granted": "granted",
    "refused": "refused",
    "withdrawn": "withdrawn",
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


def _request_step(event: AuditEvent) -> Step | None:
    """A reopen request's step: the unit's reason when asked, the decision's comment after."""
    after: dict[str, Any] = event.after or {}
    kind = _REQUEST_KINDS.get(str(after.get("status")))
    if kind is None:
        return None
    field = "reason" if kind == "asked" else "decision_comment"
    return Step(event.at, event.actor_username, kind, _LABELS[kind], str(after.get(field) or ""))


def steps(*, db_session: Session, unit: str, period: str) -> list[Step]:
    """Oldest first. The caller has already checked that the actor may read the unit."""
    key = f"{unit}/{period}"
    events = db_session.exec(
        select(AuditEvent)
        .where(
            or_(
                and_(col(AuditEvent.entity) == "submission", col(AuditEvent.entity_key) == key),
                and_(
                    col(AuditEvent.entity) == "reopen_request",
                    col(AuditEvent.entity_key).startswith(key + "/", autoescape=True),
                ),
            )
        )
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    found = (_request_step(e) if e.entity == "reopen_request" else _step(e) for e in events)
    return [s for s in found if s is not None]
