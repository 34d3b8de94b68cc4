"""The profile as data: its table, the spec an administrator writes and what a spec must
say to be saved (fields of its kind, no header given to two fields, values that map to our
codes)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import Field as PydanticField
from pydantic import field_validator, model_validator
from sqlalchemy import JSON, Text
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.dossiers import rows as dossier_rows
from app.dossiers.models import DossierChannel, FeedbackChannel, FeedbackKind
from app.schemas import NewCode, NonEmptyStr, ReadModel, StrictInput

PROFILE_DATA = Path(__file__).parent / "profile_data"
#: Rows a preview shows: enough to see every column at work, small enough for one screen.
PREVIEW_ROWS = 10

ProfileKind = Literal["dossiers", "feedback"]

#: Not a column of ours: the source system's status text, checked against the dates, not stored.
STATUS = "status"
STATUS_MEANINGS = {
    "processing": "đang giải quyết (chưa có kết quả)",
    "completed": "đã có kết quả",
    "returned": "đã trả kết quả",
}
FLAG_FIELDS = frozenset(
    {"rescheduled", "fully_online", "digitized", "e_result", "reused_data", "paid_online"}
)
DATE_FIELDS = frozenset({"received_at", "due_at", "completed_at", "returned_at", "resolved_at"})
FIELDS: dict[str, tuple[str, ...]] = {
    "dossiers": (*dossier_rows.DOSSIER_COLUMNS, STATUS),
    "feedback": dossier_rows.FEEDBACK_COLUMNS,
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "dossiers": dossier_rows.DOSSIER_REQUIRED,
    "feedback": dossier_rows.FEEDBACK_REQUIRED,
}
CHOICES: dict[tuple[str, str], dict[str, str]] = {
    ("dossiers", "channel"): {
        DossierChannel.ONLINE: "Trực tuyến",
        DossierChannel.DIRECT: "Trực tiếp",
        DossierChannel.POSTAL: "Bưu chính",
    },
    ("feedback", "channel"): {
        FeedbackChannel.HOTLINE_1022: "Tổng đài 1022",
        FeedbackChannel.NATIONAL_PORTAL: "Cổng Dịch vụ công quốc gia",
        FeedbackChannel.DIRECT: "Trực tiếp",
    },
    ("feedback", "kind"): {
        FeedbackKind.PETITION: "Phản ánh, kiến nghị",
        FeedbackKind.COMPLAINT: "Khiếu nại",
        FeedbackKind.DENUNCIATION: "Tố cáo",
    },
    ("dossiers", STATUS): STATUS_MEANINGS,
}
FIELD_LABELS = {
    "code": "Mã hồ sơ",
    "unit": "Đơn vị",
    "procedure_code": "Mã thủ tục",
    "procedure_name": "Tên thủ tục",
    "domain": "Lĩnh vực",
    "channel": "Hình thức nộp",
    "kind": "Loại đơn",
    "received_at": "Ngày tiếp nhận",
    "due_at": "Ngày hẹn trả",
    "completed_at": "Ngày có kết quả",
    "returned_at": "Ngày trả kết quả",
    "resolved_at": "Ngày giải quyết xong",
    "rescheduled": "Hẹn lại",
    "fully_online": "Trực tuyến toàn trình",
    "digitized": "Đã số hóa",
    "e_result": "Kết quả điện tử",
    "reused_data": "Tái sử dụng dữ liệu số",
    "paid_online": "Thanh toán trực tuyến",
    "satisfied": "Hài lòng",
    STATUS: "Trạng thái",
}
_NAME_MATCHED = ("domain", "unit")
_FORMAT_TOKENS = {
    "dd": r"(?P<d>\d{1,2})",
    "mm": r"(?P<m>\d{1,2})",
    "yyyy": r"(?P<y>\d{4})",
    "HH": r"(?P<H>\d{1,2})",
    "MM": r"(?P<M>\d{2})",
    "SS": r"(?P<S>\d{2})",
}
_TOKEN = re.compile("|".join(sorted(_FORMAT_TOKENS, key=len, reverse=True)))


def fold(text: str) -> str:
    """Text as two systems' spellings are compared: no diacritics, no case, single spaces.

    ``Đ`` has no combining mark to drop, so it is mapped by hand; NFD first, because keyboards
    and Excel send both composed and decomposed Vietnamese.
    """
    decomposed = unicodedata.normalize("NFD", str(text).replace("Đ", "D").replace("đ", "d"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def compile_format(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for found in _TOKEN.finditer(fmt):
        parts.append(re.escape(fmt[last : found.start()]))
        parts.append(_FORMAT_TOKENS[found.group()])
        last = found.end()
    parts.append(re.escape(fmt[last:]))
    return re.compile("^" + "".join(parts).replace(r"\ ", r"\s+") + "$")


class ProfileSpec(StrictInput):
    """What a profile says about one source system's export."""

    kind: ProfileKind = "dossiers"
    columns: dict[str, list[str]] = PydanticField(
        description="Our field → the headers the source system writes for it (any of them).",
        examples=[{"code": ["Mã hồ sơ", "Số hồ sơ"], "received_at": ["Ngày tiếp nhận"]}],
    )
    ignore: list[str] = PydanticField(
        default_factory=list,
        description="Headers never read or stored (personal data: the applicant's name, phone).",
    )
    ignore_unknown_columns: bool = PydanticField(
        default=False,
        description="Leave out headers the profile does not name, instead of "
        "refusing the file for them.",
    )
    date_formats: list[str] = PydanticField(
        default_factory=lambda: ["dd/mm/yyyy HH:MM", "dd/mm/yyyy"],
        description="Tried in order; tokens dd mm yyyy HH MM SS. ISO 8601 is always understood.",
    )
    values: dict[str, dict[str, str]] = PydanticField(
        default_factory=dict,
        description="Field → source text → our value (channel, status, flags; extra names of "
        "domains and units). Compared without diacritics or case.",
        examples=[{"channel": {"Trực tuyến": "online", "Trực tiếp": "direct"}}],
    )
    procedures: dict[str, str] = PydanticField(
        default_factory=dict,
        description="Procedure name → procedure code, for exports that carry only the name.",
    )
    defaults: dict[str, str] = PydanticField(
        default_factory=dict,
        description="Field → value when the column is absent or the cell empty (not for flags: "
        "an absent flag is unknown, never false).",
    )
    sources: dict[str, str] = PydanticField(
        default_factory=dict, description="Header → where its spelling was found (for people)."
    )

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            tokens = set(_TOKEN.findall(fmt))
            if not {"dd", "mm", "yyyy"} <= tokens or ("MM" in tokens) != ("HH" in tokens):
                raise ValueError(
                    f"Dạng ngày “{fmt}” không hợp lệ: cần dd, mm, yyyy (và HH cùng MM nếu có "
                    "giờ), ví dụ dd/mm/yyyy HH:MM."
                )
        return formats

    @model_validator(mode="after")
    def _consistent(self) -> ProfileSpec:
        fields = FIELDS[self.kind]
        owner: dict[str, str] = {}
        for name, headers in self.columns.items():
            if name not in fields:
                raise ValueError(
                    f"“{name}” không phải là trường của {self.kind}: {listed(fields)}."
                )
            for header in headers:
                key = fold(header)
                if not key:
                    raise ValueError(f"Trường {name} có tên cột trống.")
                if key in owner and owner[key] != name:
                    raise ValueError(f"Cột “{header}” được gán cho cả {owner[key]} và {name}.")
                owner[key] = name
        for header in self.ignore:
            if fold(header) in owner:
                raise ValueError(
                    f"Cột “{header}” vừa được dùng ({owner[fold(header)]}) vừa bị bỏ qua."
                )
        for name, mapping in self.values.items():
            if name not in fields:
                raise ValueError(
                    f"“{name}” không phải là trường của {self.kind}: {listed(fields)}."
                )
            allowed = CHOICES.get((self.kind, name))
            if name in FLAG_FIELDS or name == "satisfied":
                allowed = {"true": "có", "false": "không"}
            for text, target in mapping.items():
                if allowed is not None and target not in allowed:
                    raise ValueError(
                        f"Giá trị “{text}” của {name} phải ánh xạ tới một trong: "
                        f"{listed(allowed)} (nhận được “{target}”)."
                    )
        for name in self.defaults:
            if name in FLAG_FIELDS or name == "satisfied":
                raise ValueError(
                    f"Không đặt mặc định cho {name}: cột vắng mặt nghĩa là “chưa rõ”, không phải "
                    "“không”."
                )
            if name not in fields:
                raise ValueError(
                    f"“{name}” không phải là trường của {self.kind}: {listed(fields)}."
                )
        return self


def listed(items: Iterable[str]) -> str:
    return ", ".join(str(i) for i in items)


class ImportProfile(SQLModel, table=True):
    """A profile an administrator saved (a new one, or an edited copy of a shipped one)."""

    __tablename__ = "import_profile"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=255)
    description: str = Field(default="", sa_type=Text)
    kind: str = Field(max_length=16)
    spec: dict[str, Any] = Field(sa_type=JSON)
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)
    updated_by: str = Field(default="", max_length=64)


class ProfileCreate(StrictInput):
    code: NewCode = PydanticField(examples=["mot-cua-hcm"])
    name: NonEmptyStr = PydanticField(max_length=255)
    description: str = ""
    spec: ProfileSpec


class ProfileUpdate(StrictInput):
    name: NonEmptyStr | None = PydanticField(default=None, max_length=255)
    description: str | None = None
    spec: ProfileSpec | None = None
    version: int | None = PydanticField(
        default=None, description="The version you last saw; a newer one answers 409."
    )


class ProfileRead(ReadModel):
    code: str
    name: str
    description: str
    kind: str
    spec: ProfileSpec
    version: int
    shipped: bool = PydanticField(description="Shipped with partrack (profile_data/).")
    edited: bool = PydanticField(description="Saved in this database (edited or new).")
    updated_at: datetime | None = None
    updated_by: str = ""
