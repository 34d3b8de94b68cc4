"""Each register described once: its table, its fields, its states, its words.

The service, the API, the pages, the imports and the exports read these specs; what differs
between registers (the conclusions' overdue tally, a course's attendees) is declared here, and
what is the same (find by code, authorise by unit, audit, version) is written once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, create_model
from pydantic import Field as PydanticField

from app.registers.fields import FieldKind, FieldSpec
from app.registers.models import Conclusion, Initiative, TrainingCourse
from app.registers.spec import PAR_AREAS, RegisterSpec
from app.registers.specs_monitoring import FINDINGS, INSPECTIONS, INVESTMENT, TARGETS
from app.schemas import Code, ReadModel, StrictInput

__all__ = ["BY_SLUG", "INPUTS", "READS", "REGISTERS", "RegisterSpec"]


def _conclusion_extras(row: Conclusion, today: date) -> dict[str, Any]:
    overdue = row.state == "open" and row.deadline is not None and row.deadline < today
    late = row.state == "done" and row.deadline is not None and row.done_on is not None
    return {"overdue": overdue, "done_late": bool(late and row.done_on > row.deadline)}  # type: ignore[operator]


CONCLUSIONS = RegisterSpec(
    slug="ket-luan",
    api="/conclusions",
    entity="conclusion",
    model=Conclusion,
    title="Kết luận, nhiệm vụ được giao",
    singular="kết luận, nhiệm vụ",
    prefix="kl",
    section="II.1.1.2, II.2.2.5",
    headline="content",
    dated_by="issued_on",
    closed_states=frozenset({"done", "cancelled"}),
    extras=_conclusion_extras,
    extra_fields=(("overdue", bool, None), ("done_late", bool, "Hoàn thành trễ hạn")),
    fields=(
        FieldSpec(
            "kind",
            "Loại",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("conclusion", "Kết luận của UBND phường"),
                ("city_task", "Nhiệm vụ Thành phố giao"),
            ),
            example="conclusion",
        ),
        FieldSpec("document", "Văn bản", max_length=255, example="Thông báo số 45/TB-UBND"),
        FieldSpec("issued_on", "Ngày ban hành", FieldKind.DATE, example="15/10/2025"),
        FieldSpec(
            "content",
            "Nội dung",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Rà soát, công khai đầy đủ thủ tục hành chính tại bộ phận một cửa.",
        ),
        FieldSpec("deadline", "Thời hạn", FieldKind.DATE, listed=True, example="30/11/2025"),
        FieldSpec(
            "state",
            "Tình trạng",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("open", "Đang thực hiện"),
                ("done", "Đã hoàn thành"),
                ("cancelled", "Không thực hiện"),
            ),
            example="open",
        ),
        FieldSpec("done_on", "Ngày hoàn thành", FieldKind.DATE, listed=True),
        FieldSpec("result", "Kết quả", FieldKind.LONG),
    ),
)

INITIATIVES = RegisterSpec(
    slug="sang-kien",
    api="/initiatives",
    entity="initiative",
    model=Initiative,
    title="Sáng kiến, mô hình cải cách hành chính",
    singular="sáng kiến, mô hình",
    prefix="sk",
    section="II.1.1, II.2.1",
    dated_by="proposed_on",
    closed_states=frozenset({"recognized", "rejected"}),
    fields=(
        FieldSpec(
            "kind",
            "Loại",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("initiative", "Sáng kiến"),
                ("model", "Mô hình"),
            ),
            example="model",
        ),
        FieldSpec(
            "title",
            "Tên",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Mô hình “Tổ công nghệ số cộng đồng” hỗ trợ người dân nộp hồ sơ trực tuyến",
        ),
        FieldSpec(
            "proposer", "Người đề xuất", max_length=255, listed=True, example="Nguyễn Văn An"
        ),
        FieldSpec("par_area", "Lĩnh vực CCHC", FieldKind.CHOICE, choices=PAR_AREAS, example="par7"),
        FieldSpec(
            "state",
            "Tình trạng",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("proposed", "Đề xuất"),
                ("reviewing", "Đang thẩm định"),
                ("piloting", "Đang thí điểm"),
                ("recognized", "Được công nhận"),
                ("rejected", "Không công nhận"),
            ),
            example="proposed",
        ),
        FieldSpec("proposed_on", "Ngày đề xuất", FieldKind.DATE, listed=True, example="01/09/2025"),
        FieldSpec("recognized_on", "Ngày công nhận", FieldKind.DATE),
        FieldSpec("decision", "Văn bản công nhận", max_length=255),
        FieldSpec("results", "Kết quả, hiệu quả", FieldKind.LONG),
        FieldSpec("documents", "Tài liệu (đường dẫn)", FieldKind.LONG),
    ),
)

TRAINING = RegisterSpec(
    slug="dao-tao",
    api="/trainings",
    entity="training_course",
    model=TrainingCourse,
    title="Đào tạo, bồi dưỡng",
    singular="khóa đào tạo, bồi dưỡng",
    prefix="dt",
    section="II.1.5.3, II.2.1.5, II.2.2.2",
    dated_by="starts_on",
    fields=(
        FieldSpec(
            "title",
            "Tên khóa",
            FieldKind.LONG,
            required=True,
            listed=True,
            example="Bồi dưỡng kỹ năng số cho cán bộ bộ phận một cửa",
        ),
        FieldSpec("organiser", "Đơn vị tổ chức", max_length=255, example="Sở Nội vụ"),
        FieldSpec(
            "topic",
            "Chủ đề",
            FieldKind.CHOICE,
            required=True,
            listed=True,
            choices=(
                ("par", "Cải cách hành chính"),
                ("digital", "Chuyển đổi số"),
                ("skills", "Kỹ năng, nghiệp vụ"),
                ("other", "Khác"),
            ),
            example="digital",
        ),
        FieldSpec(
            "starts_on", "Từ ngày", FieldKind.DATE, required=True, listed=True, example="03/11/2025"
        ),
        FieldSpec("ends_on", "Đến ngày", FieldKind.DATE),
        FieldSpec("hours", "Số giờ", FieldKind.NUMBER, example="16"),
        FieldSpec(
            "attendees",
            "Người tham dự",
            FieldKind.PEOPLE,
            listed=True,
            example="Nguyễn Văn An (ttpvhcc); Trần Thị Bình (vhxh)",
        ),
        FieldSpec("note", "Ghi chú", FieldKind.LONG),
    ),
)

REGISTERS: tuple[RegisterSpec, ...] = (
    CONCLUSIONS, INITIATIVES, INSPECTIONS, FINDINGS, TARGETS, INVESTMENT, TRAINING
)  # fmt: skip
BY_SLUG = {s.slug: s for s in REGISTERS}


# --- the API's schemas, made from the fields ------------------------------------------------------


def input_model(spec: RegisterSpec, *, update: bool) -> type[BaseModel]:
    """The body of a create (required fields required) or of an update (every field optional,
    with the ``version`` the sender saw)."""
    fields: dict[str, Any] = {
        "unit": (
            Code | None,
            PydanticField(
                default=None,
                examples=["ttpvhcc"],
                description="The responsible unit (default: your own).",
            ),
        ),
        "tasks": (
            list[str] | None,
            PydanticField(
                default=None,
                max_length=50,
                examples=[["II.2.2.5"]],
                description="Plan tasks this row evidences.",
            ),
        ),
    }
    if not update:
        fields["code"] = (
            Code | None,
            PydanticField(default=None, description=f"Default: {spec.prefix}-YEAR-NNN."),
        )
    for f in spec.fields:
        kind = f.annotation()
        optional = update or not f.required
        fields[f.name] = (
            kind | None if optional else kind,
            PydanticField(default=None, examples=[f.example] if f.example is not None else None)
            if optional
            else PydanticField(examples=[f.example] if f.example is not None else None),
        )
    if update:
        fields["version"] = (int | None, PydanticField(default=None, ge=1, le=2**31 - 1))
    name = f"{spec.model.__name__}{'Update' if update else 'Create'}"
    return create_model(name, __base__=StrictInput, **fields)


def read_model(spec: RegisterSpec) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "code": (str, ...),
        "unit": (str, ...),
        "tasks": (list[str], ...),
        "version": (int, ...),
        "created_by": (str, ...),
        "updated_by": (str, ...),
        "updated_at": (str, ...),
    }
    for f in spec.fields:
        fields[f.name] = (_read_type(f.kind), None)
    for name, kind, _ in spec.extra_fields:
        fields[name] = (kind, None)
    return create_model(f"{spec.model.__name__}Read", __base__=ReadModel, **fields)


def _read_type(kind: FieldKind) -> Any:
    return {
        FieldKind.DATE: date | None,
        FieldKind.NUMBER: float | None,
        FieldKind.YEAR: int | None,
        FieldKind.PEOPLE: list[dict[str, str]],
        FieldKind.MONTHLY: dict[str, float],
    }.get(kind, str | None)


INPUTS = {s.slug: (input_model(s, update=False), input_model(s, update=True)) for s in REGISTERS}
READS = {s.slug: read_model(s) for s in REGISTERS}
