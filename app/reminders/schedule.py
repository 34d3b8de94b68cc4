"""When a unit is reminded of a period's report: before, on and after its due date.

Pure: given the due date, the working calendar and the configured offsets, it returns the slots,
and which one a pass running today should send. A pass that did not run on a slot's day catches
up later, but only with the newest slot, so a unit is never sent "due in 3 days" after the fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.reminders.workdays import WorkingCalendar

#: How many working days after the last slot a late pass may still send it.
CATCH_UP_WORKING_DAYS = 5

DUE = "due"


@dataclass(frozen=True)
class Slot:
    kind: str  # "before_3", "due", "after_1" … : part of the idempotence key
    day: date
    after_due: bool  # the unit's head and the coordinators are copied

    @property
    def label_vi(self) -> str:
        return kind_label(self.kind)


#: A review's message to the unit rather than a reminder: ``returned-4``, ``reopened-6`` (the
#: report's version after the act, so each return is its own row of the log).
REVIEW_KINDS = {
    "returned": "Báo cáo bị trả lại",
    "reopened": "Báo cáo được mở lại",
    "granted": "Đề nghị mở lại được đồng ý",  # the report is open again: fix and resend
}
#: A reopen request's other messages, numbered by the request (``asked-2``, ``refused-2``):
#: to the coordinating office when a unit asks, to the unit when its request is refused.
REQUEST_KINDS = {"asked": "Đơn vị đề nghị mở lại báo cáo", "refused": "Đề nghị mở lại bị từ chối"}


def is_review_kind(kind: str) -> bool:
    return kind.partition("-")[0] in REVIEW_KINDS


def email_lines(kind: str) -> tuple[str, str]:
    """Whom an e-mail of this kind greets and what its link invites to do ("" for the
    reminders' own wording): a request goes to the coordinating office, a refusal asks nothing
    of the unit."""
    prefix = kind.partition("-")[0]
    if prefix == "asked":
        return "Kính gửi bộ phận điều phối", "Xem và quyết định tại"
    if prefix == "refused":
        return "", "Xem báo cáo tại"
    if is_review_kind(kind):
        return "", "Sửa và gửi lại báo cáo tại"
    return "", ""


#: A coordinating unit reminded to answer the lead's updates, on the lead report's own slots:
#: ``coord-due``, ``coord-after_3`` (issue 19; ``app/reporting/coordination_reminders.py``).
COORDINATION = "coord"
COORDINATION_LABEL = "Nhắc xác nhận phối hợp"
#: The call to action of a coordination reminder (the e-mail and the notification say it).
COORDINATION_ACTION = "Xác nhận hoặc góp ý về phần phối hợp tại"


def coordination_kind(slot_kind: str) -> str:
    return f"{COORDINATION}-{slot_kind}"


def is_coordination_kind(kind: str) -> bool:
    return kind.partition("-")[0] == COORDINATION


def kind_label(kind: str) -> str:
    """``before_3`` → “Trước hạn 3 ngày làm việc”, for pages and e-mail subjects."""
    if is_review_kind(kind):
        return REVIEW_KINDS[kind.partition("-")[0]]
    if kind.partition("-")[0] in REQUEST_KINDS:
        return REQUEST_KINDS[kind.partition("-")[0]]
    if is_coordination_kind(kind):
        slot = kind.partition("-")[2]
        return f"{COORDINATION_LABEL} ({kind_label(slot)[:1].lower()}{kind_label(slot)[1:]})"
    if kind == DUE:
        return "Đến hạn hôm nay"
    name, _, days = kind.partition("_")
    if name == "before":
        return f"Trước hạn {days} ngày làm việc"
    return f"Quá hạn {days} ngày làm việc"


def slots_for(
    due_date: date, calendar: WorkingCalendar, *, before: int, after: Iterable[int]
) -> list[Slot]:
    """The reminder days for one due date, in order; a due date on a day off is reminded on the
    last working day before it."""
    slots: dict[date, Slot] = {}
    candidates: list[Slot] = []
    if before > 0:
        candidates.append(
            Slot(f"before_{before}", calendar.add_working_days(due_date, -before), False)
        )
    candidates.append(Slot(DUE, calendar.on_or_before(due_date), False))
    for days in sorted({d for d in after if d > 0}):
        candidates.append(Slot(f"after_{days}", calendar.add_working_days(due_date, days), True))
    for slot in candidates:  # two slots on one day: the later kind wins
        slots[slot.day] = slot
    return sorted(slots.values(), key=lambda s: s.day)


def slot_for_today(slots: list[Slot], today: date, calendar: WorkingCalendar) -> Slot | None:
    """The slot a pass on ``today`` sends: the newest that has come, until the next one comes (the
    last one for a few working days); ``None`` on other days."""
    reached = [s for s in slots if s.day <= today]
    if not reached:
        return None
    newest = reached[-1]
    if newest is slots[-1]:
        limit = calendar.add_working_days(newest.day, CATCH_UP_WORKING_DAYS)
        return newest if today <= limit else None
    return newest
