"""What the consolidated report says, as data: the rows and sections every rendering (docx, xlsx,
PDF, the preview page, the frozen JSON) is written from, and the sentences built from them.

Kept apart from the gathering (``app.reports.data``) so the writers depend on the shape of a
report only, never on the services that fill it; a frozen version is validated back into these
models years later, so a field is added with a default, never renamed.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.registers.report import RegisterSection
from app.reports.labels import in_sentence
from app.reports.models import ReportConfigRead
from app.reports.monthly import QuarterState
from app.scores.schemas import Basis, ScoreSummary


class UnitReport(BaseModel):
    unit: str
    unit_name: str
    status: str
    status_label: str
    percent: int | None
    result: str


class TaskSection(BaseModel):
    code: str
    text: str
    lead_unit_name: str
    reports: list[UnitReport]


class DomainRow(BaseModel):
    """One domain (lĩnh vực TTHC) of an indicator tracked per domain, with its own target."""

    domain: str
    domain_name: str
    value: float
    comparator: str
    target: float
    met: bool
    light: str


class KpiRow(BaseModel):
    code: str
    name: str
    area: str
    area_name: str
    measure: str
    comparator: str
    target: float
    value: float | None
    previous: float | None
    change: float | None
    met: bool | None
    light: str
    worst_domain: str | None
    worst_domain_name: str | None
    domains: list[DomainRow]
    #: Weakest review state of the readings behind the value ("none": no data).
    data_state: str = "none"


class AreaSection(BaseModel):
    code: str
    section: str
    name: str
    percent: float | None
    tasks: list[TaskSection]
    kpis: list[KpiRow]


class DisciplineRow(BaseModel):
    unit: str
    unit_name: str
    state: str  # on_time, late, missing, not_due
    status: str
    submitted_at: datetime | None
    due_date: date


class Note(BaseModel):
    unit_name: str
    task: str
    text: str


class Priority(BaseModel):
    code: str
    text: str
    due_date: date | None
    lead_unit_name: str
    overdue: bool


class ConsolidatedData(BaseModel):
    plan_number: str
    plan_title: str
    plan_issued: date
    issuer_name: str
    period: str
    period_label: str
    next_period_label: str
    report_date: date
    config: ReportConfigRead
    summary: ScoreSummary
    areas: list[AreaSection]
    kpis: list[KpiRow]
    discipline: list[DisciplineRow]
    difficulties: list[Note]
    proposals: list[Note]
    priorities: list[Priority]
    #: Which data the figures are computed from; versions frozen before it existed used "all".
    basis: Basis = "all"
    #: A month of a quarterly year: the report to the committee's monthly meeting.
    monthly: bool = False
    #: For a monthly report, the quarterly reports of the enclosing quarter.
    quarter: QuarterState | None = None
    #: What the ward's registers say of the period (conclusions, initiatives, training);
    #: versions frozen before the registers existed have none.
    registers: list[RegisterSection] = Field(default_factory=list)

    @property
    def subject(self) -> str:
        plan = f"Kế hoạch số {self.plan_number} ngày {self.plan_issued:%d/%m/%Y}"
        if self.monthly:
            return (
                f"Tiến độ thực hiện {plan} của {self.issuer_name} {in_sentence(self.period_label)}"
            )
        return f"Kết quả thực hiện {plan} của {self.issuer_name}, {in_sentence(self.period_label)}"

    @property
    def meeting_note(self) -> str:
        """Under a monthly report's subject: the meeting it is written for (Plan 84, III.2)."""
        if not self.monthly:
            return ""
        return "(Báo cáo tại cuộc họp thường kỳ hằng tháng của Ủy ban nhân dân phường)"

    @property
    def intro(self) -> str:
        head = self.summary.headline
        label = in_sentence(self.period_label)
        start = f"Thực hiện Kế hoạch số {self.plan_number}, Phòng Văn hóa - Xã hội tổng hợp "
        if self.monthly:
            return (
                f"{start}tiến độ thực hiện các nhiệm vụ định kỳ hằng tháng và các chỉ tiêu "
                f"{label} của các cơ quan, đơn vị như sau: "
                f"{head.targets_met}/{head.targets_total} chỉ tiêu đạt "
                f"({head.targets_with_data} chỉ tiêu có số liệu trong tháng); "
                f"{head.overdue_tasks} nhiệm vụ quá hạn."
            )
        return (
            f"{start}kết quả thực hiện {label} của các cơ quan, đơn vị như sau: "
            f"{head.targets_met}/{head.targets_total} chỉ tiêu đạt; "
            f"{head.units_on_time}/{head.units_expected} đơn vị gửi báo cáo đúng hạn; "
            f"{head.overdue_tasks} nhiệm vụ quá hạn."
        )

    def _review_counts(self) -> tuple[int, int, int]:
        """Units expected, approved, awaiting review. A month of a quarterly year has no report
        of its own: its data are sent and reviewed with the quarter's report, so they count."""
        if self.quarter is not None:
            q = self.quarter
            return len(q.rows), len(q.of("approved")), len(q.of("submitted"))
        head = self.summary.headline
        return head.units_expected, head.units_approved, head.units_submitted

    @property
    def basis_note(self) -> str:
        """What the figures rest on, at the top of section I: a reader must know before reading
        a score whether it may still change."""
        total, approved, submitted = self._review_counts()
        if self.basis == "approved":
            note = "Chỉ tính báo cáo đã được duyệt: " + (
                f"số liệu của cả {total}/{total} đơn vị đã được duyệt."
                if approved == total
                else f"số liệu của {approved}/{total} đơn vị; {total - approved} đơn vị chưa "
                "được duyệt không được tính điểm, xếp hạng."
            )
        elif approved == total:
            note = f"Số liệu của cả {total}/{total} đơn vị đã được duyệt."
        else:
            rest = [f"{submitted} đơn vị chờ duyệt"] if submitted else []
            if total - approved - submitted:
                rest.append(f"{total - approved - submitted} đơn vị chưa gửi báo cáo")
            note = (
                f"Số liệu của {approved}/{total} đơn vị đã được duyệt; {', '.join(rest)}"
                " — điểm có thể thay đổi."
            )
        if self.quarter is not None:
            label = in_sentence(self.quarter.period_label)
            note += f" Số liệu tháng được gửi và duyệt cùng báo cáo {label}."
        return note

    @property
    def scope_note(self) -> str:
        """A monthly ranking is not the quarter's: it covers the monthly tasks only."""
        if not self.monthly:
            return ""
        return (
            "Điểm, xếp hạng tháng chỉ tính các nhiệm vụ định kỳ hằng tháng và chỉ tiêu có số "
            "liệu trong tháng; kết quả chung được đánh giá theo báo cáo quý."
        )

    @property
    def results_title(self) -> str:
        if self.monthly:
            return "I. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ ĐỊNH KỲ HẰNG THÁNG"
        return "I. KẾT QUẢ THỰC HIỆN THEO LĨNH VỰC"

    @property
    def reports_title(self) -> str:
        if self.quarter is not None:
            return f"II. TÌNH HÌNH GỬI BÁO CÁO {self.quarter.period_label.upper()}"
        return "II. TÌNH HÌNH GỬI BÁO CÁO"

    @property
    def ranking_title(self) -> str:
        if self.monthly:
            return "Bảng 2. Xếp loại các đơn vị (chỉ tính nhiệm vụ định kỳ hằng tháng)"
        return "Bảng 2. Xếp loại các đơn vị"

    def discipline_of(self, state: str) -> list[DisciplineRow]:
        return [row for row in self.discipline if row.state == state]
