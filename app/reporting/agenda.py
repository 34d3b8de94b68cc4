"""What needs this person's action now: the landing page's list, most urgent first.

A reporter sees its unit's returned and reopened reports (with the reviewer's comment), then the
overdue periods, then those coming due, then what is waiting for review; a coordinator sees the
review queue before its own unit's list. Built from the same submissions the review queue and
the completeness matrix read, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.periods import Period
from app.permissions import Permission, can
from app.reporting import service as reporting_service
from app.reporting.outliers import Thresholds
from app.submissions.models import SubmissionRead, SubmissionStatus, Timeliness

#: The order of the list: what someone asked the unit to fix first, the newest duty last.
ORDER = ("returned", "reopened", "overdue", "upcoming", "waiting")
LABELS = {
    "returned": "Bị trả lại, cần sửa và gửi lại",
    "reopened": "Được mở lại, cần sửa và gửi lại",
    "overdue": "Quá hạn, chưa gửi",
    "upcoming": "Sắp đến hạn",
    "waiting": "Đã gửi, đang chờ duyệt",
}


@dataclass(frozen=True)
class Item:
    kind: str
    period: Period
    submission: SubmissionRead

    @property
    def link(self) -> str:
        return f"/units/{self.submission.unit}/periods/{self.period}"

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def needs_action(self) -> bool:
        return self.kind != "waiting"


@dataclass
class Agenda:
    today: date
    unit: str | None
    review_queue: list[SubmissionRead] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    @property
    def todo(self) -> list[Item]:
        return [i for i in self.items if i.needs_action]

    @property
    def waiting(self) -> list[Item]:
        return [i for i in self.items if not i.needs_action]


def kind_of(sub: SubmissionRead) -> str | None:
    """Where a report stands for its unit; ``None`` when nothing is left to do (approved)."""
    if sub.status == SubmissionStatus.RETURNED:
        # A reopen writes its reason into both fields; a later plain return changes the comment.
        reopened = bool(sub.reopen_reason) and sub.review_comment == sub.reopen_reason
        return "reopened" if reopened else "returned"
    if sub.status == SubmissionStatus.SUBMITTED:
        return "waiting"
    if sub.status == SubmissionStatus.DRAFT:
        return "upcoming" if sub.timeliness == Timeliness.NOT_DUE else "overdue"
    return None


def build(
    *, db_session: Session, actor: Actor, clock: Clock, thresholds: Thresholds | None = None
) -> Agenda:
    agenda = Agenda(today=clock.today(), unit=actor.unit_code)
    if can(actor, Permission.REVIEW):
        agenda.review_queue, _ = reporting_service.list_submissions(
            db_session=db_session,
            actor=actor,
            clock=clock,
            filters=reporting_service.SubmissionFilters(status=SubmissionStatus.SUBMITTED),
            limit=1000,
            thresholds=thresholds,
        )
    if actor.unit_code and can(actor, Permission.DATA_WRITE, unit_code=actor.unit_code):
        subs, _ = reporting_service.list_submissions(
            db_session=db_session,
            actor=actor,
            clock=clock,
            filters=reporting_service.SubmissionFilters(unit=actor.unit_code),
            limit=1000,
        )
        found = [(kind_of(s), s) for s in subs]
        agenda.items = sorted(
            (Item(k, Period.parse(s.period), s) for k, s in found if k is not None),
            key=lambda i: (ORDER.index(i.kind), i.submission.due_date),
        )
    return agenda
