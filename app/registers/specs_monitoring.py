"""The registers that follow the plan's figures and checks: inspections and the findings they
leave to remedy (II.2.1, II.2.4.1), the ward council's socio-economic targets (II.1.8.1,
II.2.4.2), and public investment with budget revenue (II.1.6, II.2.4.4).

The targets and the investment register compute plan indicators (``socioeconomic_targets``,
``disbursement``) from their monthly figures, so nobody types those percentages by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from app.errors import Invalid
from app.registers import figures, indicators
from app.registers.fields import FieldKind, FieldSpec
from app.registers.models import Inspection, InspectionFinding, InvestmentItem, SocioeconomicTarget
from app.registers.spec import RegisterSpec

#: Millions of đồng: a ward's largest project stays far below a million billion.
MONEY_MAX = 1_000_000_000
FIGURE_MAX = 1_000_000_000_000


def _inspection_closable(db_session: Session, row: Inspection, today: date) -> None:
    if row.state != "closed":
        return
    still = db_session.exec(
        select(InspectionFinding.code).where(
            InspectionFinding.inspection == row.code, InspectionFinding.state == "open"
        )
    ).all()
    if still:
        raise Invalid.one(
            "state",
            "findings_open",
            f"Chưa thể đóng: còn {len(still)} tồn tại, kiến nghị chưa khắc phục "
            f"({', '.join(sorted(still)[:5])}).",
        )


def _finding_refers(db_session: Session, row: InspectionFinding, today: date) -> None:
    """The inspection a finding names exists (its field lower-cased the code as it was read)."""
    if (
        row.inspection
        and db_session.exec(select(Inspection.id).where(Inspection.code == row.inspection)).first()
        is None
    ):
        raise Invalid.one(
            "inspection", "inspection_not_found",
            f"Sổ kiểm tra không có cuộc kiểm tra mã “{row.inspection}”.",
        )  # fmt: skip


def _months_in_year(name: str, label: str) -> Any:
    def check(db_session: Session, row: Any, today: date) -> None:
        for month in getattr(row, name) or {}:
            if not month.startswith(f"{row.year:04d}-"):
                raise Invalid.one(
                    name, "month_outside_year",
                    f"{label}: tháng {figures.month_label(month)} không thuộc năm {row.year}.",
                )  # fmt: skip
            if month > figures.month_of(today):
                raise Invalid.one(
                    name, "month_in_future",
                    f"{label}: tháng {figures.month_label(month)} chưa đến, chưa thể có số liệu.",
                )  # fmt: skip

    return check


def _finding_extras(row: InspectionFinding, today: date) -> dict[str, Any]:
    return {"overdue": row.state == "open" and row.deadline is not None and row.deadline < today}


_YEAR = FieldSpec("year", "Năm", FieldKind.YEAR, required=True, listed=True, example="2025")

INSPECTIONS = RegisterSpec(
    slug="kiem-tra",
    api="/inspections",
    entity="inspection",
    model=Inspection,
    title="Kiểm tra công vụ, kiểm tra cải cách hành chính",
    singular="cuộc kiểm tra",
    prefix="kt",
    section="II.2.1, II.2.4.1",
    dated_by="planned_on",
    closed_states=frozenset({"closed", "cancelled"}),
    check=_inspection_closable,
    fields=(
        FieldSpec(
            "kind",
            "Loại",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("public_service", "Kiểm tra công vụ"),
                ("reform", "Kiểm tra cải cách hành chính"),
                ("other", "Kiểm tra khác"),
            ),
            example="reform",
        ),
        FieldSpec(
            "title",
            "Nội dung kiểm tra",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Kiểm tra việc giải quyết hồ sơ TTHC tại bộ phận một cửa",
        ),
        FieldSpec(
            "inspected",
            "Đơn vị, cá nhân được kiểm tra",
            max_length=255,
            listed=True,
            example="Trung tâm Phục vụ hành chính công phường",
        ),
        FieldSpec(
            "planned_on",
            "Thời gian dự kiến",
            FieldKind.DATE,
            required=True,
            listed=True,
            example="10/11/2025",
        ),
        FieldSpec("done_on", "Ngày kiểm tra", FieldKind.DATE),
        FieldSpec(
            "state",
            "Tình trạng",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("planned", "Theo kế hoạch"),
                ("in_progress", "Đang kiểm tra"),
                ("concluded", "Đã kết luận, đang khắc phục"),
                ("closed", "Đã khắc phục xong"),
                ("cancelled", "Không thực hiện"),
            ),
            example="planned",
        ),
        FieldSpec("conclusion", "Văn bản kết luận", max_length=255),
        FieldSpec("summary", "Kết quả kiểm tra", FieldKind.LONG),
    ),
)

FINDINGS = RegisterSpec(
    slug="ton-tai-sau-kiem-tra",
    api="/inspection-findings",
    entity="inspection_finding",
    model=InspectionFinding,
    title="Tồn tại, kiến nghị sau kiểm tra",
    singular="tồn tại, kiến nghị",
    prefix="kn",
    section="II.2.1, II.2.4.1",
    headline="content",
    dated_by="found_on",
    closed_states=frozenset({"done", "cancelled"}),
    extras=_finding_extras,
    extra_fields=(("overdue", bool, None),),
    check=_finding_refers,
    fields=(
        FieldSpec(
            "source", "Văn bản kết luận kiểm tra", max_length=255, example="Kết luận số 12/KL-UBND"
        ),
        FieldSpec("found_on", "Ngày kết luận", FieldKind.DATE, example="20/10/2025"),
        FieldSpec(
            "inspection",
            "Cuộc kiểm tra (mã)",
            max_length=64,
            listed=True,
            lower=True,
            hint="mã cuộc kiểm tra trong sổ, ví dụ kt-2025-001; để trống nếu do cấp trên kiểm tra",
        ),
        FieldSpec(
            "content",
            "Tồn tại, hạn chế",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Còn 12 hồ sơ trễ hạn chưa có văn bản xin lỗi người dân",
        ),
        FieldSpec(
            "action",
            "Biện pháp khắc phục",
            FieldKind.LONG,
            example="Gửi văn bản xin lỗi, rà soát quy trình tiếp nhận",
        ),
        FieldSpec("deadline", "Thời hạn", FieldKind.DATE, listed=True, example="30/11/2025"),
        FieldSpec(
            "state",
            "Tình trạng",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("open", "Đang khắc phục"),
                ("done", "Đã khắc phục"),
                ("cancelled", "Không thực hiện"),
            ),
            example="open",
        ),
        FieldSpec("done_on", "Ngày khắc phục xong", FieldKind.DATE),
        FieldSpec("result", "Kết quả khắc phục", FieldKind.LONG),
    ),
)

TARGETS = RegisterSpec(
    slug="chi-tieu-kinh-te-xa-hoi",
    api="/socioeconomic-targets",
    entity="socioeconomic_target",
    model=SocioeconomicTarget,
    title="Chỉ tiêu phát triển kinh tế - xã hội",
    singular="chỉ tiêu",
    prefix="ct",
    section="II.1.8.1, II.2.4.2",
    dated_by="year",
    extras=figures.target_extras,
    extra_fields=(
        ("actual", float | None, "Thực hiện"),
        ("as_of", str | None, "Số liệu đến tháng"),
        ("achieved", float | None, "Tỷ lệ so với kế hoạch (%)"),
        ("met", bool | None, "Đạt kế hoạch"),
    ),
    listed_extras=("actual", "achieved", "met"),
    computes="socioeconomic_targets",
    computes_how="số chỉ tiêu của năm đạt kế hoạch (đạt hoặc vượt; với chỉ tiêu “không vượt quá”: "
    "không vượt) tính đến hết tháng của kỳ, chia cho tổng số chỉ tiêu của năm; chỉ tiêu chưa có "
    "số liệu tính là chưa đạt.",
    recompute=indicators.recompute_targets,
    monthly_field="actuals",
    check=_months_in_year("actuals", "Thực hiện theo tháng"),
    fields=(
        _YEAR,
        FieldSpec(
            "title",
            "Chỉ tiêu",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Tổng thu ngân sách nhà nước trên địa bàn",
        ),
        FieldSpec(
            "resolution", "Nghị quyết giao", max_length=255, example="Nghị quyết số 05/NQ-HĐND"
        ),
        FieldSpec("measure", "Đơn vị tính", max_length=64, listed=True, example="triệu đồng"),
        FieldSpec(
            "plan_value",
            "Kế hoạch",
            FieldKind.NUMBER,
            required=True,
            listed=True,
            maximum=FIGURE_MAX,
            example="12500",
        ),
        FieldSpec(
            "direction",
            "Yêu cầu",
            FieldKind.CHOICE,
            required=True,
            choices=(
                ("at_least", "Đạt hoặc vượt kế hoạch"),
                ("at_most", "Không vượt quá kế hoạch"),
            ),
            example="at_least",
        ),
        FieldSpec(
            "aggregation",
            "Cách tính số thực hiện",
            FieldKind.CHOICE,
            required=True,
            choices=(
                ("sum", "Cộng dồn các tháng"),
                ("latest", "Số của tháng gần nhất"),
            ),
            example="sum",
        ),
        FieldSpec(
            "actuals",
            "Thực hiện theo tháng",
            FieldKind.MONTHLY,
            maximum=FIGURE_MAX,
            example="09/2025: 1.020,5; 10/2025: 1130",
        ),
        FieldSpec("note", "Ghi chú", FieldKind.LONG),
    ),
)

INVESTMENT = RegisterSpec(
    slug="dau-tu-cong-ngan-sach",
    api="/investment",
    entity="investment_item",
    model=InvestmentItem,
    title="Đầu tư công và thu ngân sách",
    singular="dự án, khoản thu",
    prefix="dtc",
    section="II.1.6, II.2.4.4",
    dated_by="year",
    extras=figures.investment_extras,
    extra_fields=(
        ("to_date", float | None, "Lũy kế giải ngân / thu (triệu đồng)"),
        ("as_of", str | None, "Số liệu đến tháng"),
        ("achieved", float | None, "Tỷ lệ so với kế hoạch (%)"),
    ),
    listed_extras=("to_date", "achieved"),
    computes="disbursement",
    computes_how="số vốn đã giải ngân lũy kế đến hết tháng của kỳ của các dự án đầu tư công "
    "của năm, chia cho tổng kế hoạch vốn của các dự án đó (các khoản thu ngân sách không tính).",
    recompute=indicators.recompute_disbursement,
    monthly_field="monthly",
    check=_months_in_year("monthly", "Giải ngân / thu theo tháng"),
    fields=(
        FieldSpec(
            "kind",
            "Loại",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("project", "Dự án đầu tư công"),
                ("revenue", "Khoản thu ngân sách"),
            ),
            example="project",
        ),
        _YEAR,
        FieldSpec(
            "title",
            "Tên dự án, khoản thu",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Cải tạo hẻm 1135 Hưng Phú",
        ),
        FieldSpec(
            "decision",
            "Quyết định giao vốn, dự toán",
            max_length=255,
            example="Quyết định số 101/QĐ-UBND",
        ),
        FieldSpec(
            "planned",
            "Kế hoạch vốn, dự toán (triệu đồng)",
            FieldKind.NUMBER,
            required=True,
            listed=True,
            maximum=MONEY_MAX,
            example="4800",
        ),
        FieldSpec(
            "monthly",
            "Giải ngân, thu theo tháng (triệu đồng)",
            FieldKind.MONTHLY,
            maximum=MONEY_MAX,
            example="09/2025: 1.200,5; 10/2025: 850,5",
        ),
        FieldSpec(
            "priority",
            "Công trình trọng điểm",
            FieldKind.CHOICE,
            listed=True,
            choices=(
                ("key", "Trọng điểm"),
                ("normal", "Không"),
            ),
            example="key",
        ),
        FieldSpec(
            "state",
            "Tình trạng",
            FieldKind.CHOICE,
            choices=(
                ("preparing", "Chuẩn bị đầu tư"),
                ("in_progress", "Đang thi công"),
                ("completed", "Hoàn thành"),
                ("suspended", "Tạm dừng"),
            ),
            example="in_progress",
        ),
        FieldSpec(
            "difficulties",
            "Khó khăn, vướng mắc",
            FieldKind.LONG,
            example="Chậm giải phóng mặt bằng 2 hộ",
        ),
        FieldSpec("proposals", "Đề xuất, kiến nghị", FieldKind.LONG),
    ),
)
