"""The committee's monthly meeting in a quarterly year: where the quarter's reports stand.

In 2026 the units report quarterly, but the committee meets every month (Plan 84, III.2) and the
coordinator reports to each meeting. A month has no unit report of its own — its monthly updates
travel with the quarter's report — so the monthly report says, for the enclosing quarter, who has
sent, who was approved, and whether the quarter is due yet.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.periods import Period
from app.plans.models import Plan
from app.reporting import service as reporting_service
from app.reporting import submission_state
from app.textsort import vi_sort_key

#: How a unit's quarterly report stands, in the order the meeting reads them.
QUARTER_STATES = ("approved", "submitted", "returned", "draft")
QUARTER_STATE_LABELS = {
    "approved": "Đã được duyệt",
    "submitted": "Đã gửi, chờ duyệt",
    "returned": "Bị trả lại, đang hoàn thiện",
    "draft": "Chưa gửi",
}


class QuarterReportRow(BaseModel):
    unit: str
    unit_name: str
    state: str


class QuarterState(BaseModel):
    """The quarterly reports of the quarter a month belongs to, as they stand on the report day."""

    period: str
    period_label: str
    due_date: date
    due: bool
    rows: list[QuarterReportRow]

    def of(self, state: str) -> list[QuarterReportRow]:
        return [row for row in self.rows if row.state == state]

    def label(self, state: str) -> str:
        """``Chưa gửi (quá hạn)`` once the quarter is due: a missing report is then late."""
        text = QUARTER_STATE_LABELS[state]
        return f"{text} (quá hạn)" if state in ("draft", "returned") and self.due else text

    @property
    def due_sentence(self) -> str:
        label = self.period_label[:1].lower() + self.period_label[1:]
        approved = len(self.of("approved"))
        counts = f"{approved}/{len(self.rows)} đơn vị đã được duyệt báo cáo {label}"
        if self.due:
            return f"Báo cáo {label} đã đến hạn ngày {self.due_date:%d/%m/%Y}: {counts}."
        return f"Báo cáo {label} chưa đến hạn (hạn gửi {self.due_date:%d/%m/%Y}); đến nay {counts}."


def quarter_state(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: Plan,
    quarter: Period,
    names: dict[str, str],
) -> QuarterState:
    """Every expected unit's report for ``quarter``, sent or not (the reporting service's list)."""
    items, _ = reporting_service.list_submissions(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=reporting_service.SubmissionFilters(plan=plan.code, period=str(quarter)),
        limit=10_000,
    )
    rows = [
        QuarterReportRow(
            unit=item.unit,
            unit_name=names.get(item.unit, item.unit),
            state=item.status.value if item.status.value in QUARTER_STATES else "draft",
        )
        for item in items
    ]
    rows.sort(key=lambda r: vi_sort_key(r.unit_name))
    due_date = items[0].due_date if items else submission_state.due_date_for(plan, quarter)
    return QuarterState(
        period=str(quarter),
        period_label=quarter.label_vi,
        due_date=due_date,
        due=submission_state.is_counted(due_date=due_date, today=clock.today()),
        rows=rows,
    )
