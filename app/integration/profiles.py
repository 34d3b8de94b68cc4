"""Mapping profiles: how another system's export becomes partrack's rows, kept as data.

A ward does not choose the columns of the one-stop-shop system's export: it has "Mã hồ sơ",
"Ngày tiếp nhận" written ``03/10/2025 08:30``, "Trực tuyến" for a channel, domain *names* and the
applicant's name and phone, which partrack must never store. A profile says all of that once —
which column is which field, the date formats, how values map to our codes, which columns are
left out, what an absent column means — so the officer sends the file as the system gave it.

Profiles are rows an administrator edits in the browser or through the API; the ones partrack
ships live in ``profile_data/`` and show until someone saves an edited copy under the same code.
``Profile`` fulfils ``app.integration.headers.RowProfile`` for the import runner.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, File, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, field_validator, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Text
from sqlmodel import Field, Session, SQLModel, select

from app.accounts.dependencies import CurrentActor
from app.accounts.permissions import Permission, authorize
from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock, ClockDep
from app.db import SessionDep, UTCDateTime
from app.errors import AppError, Conflict, FieldError, Invalid, NotFound
from app.integration import feeds
from app.integration.files import (
    FileProblem,
    Table,
    kind_of,
    open_table,
    upload_from_bytes,
    upload_from_file,
)
from app.integration.models import DossierChannel, FeedbackChannel, FeedbackKind
from app.integration.records import FLAG_SPELLINGS, parse_moment
from app.kpis.models import Domain
from app.schemas import NewCode, NonEmptyStr, ReadModel, StrictInput
from app.units.models import Unit

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
_FLAGS = frozenset(
    {"rescheduled", "fully_online", "digitized", "e_result", "reused_data", "paid_online"}
)
_DATES = frozenset({"received_at", "due_at", "completed_at", "returned_at", "resolved_at"})
_FIELDS: dict[str, tuple[str, ...]] = {
    "dossiers": (*feeds.DOSSIER_COLUMNS, STATUS),
    "feedback": feeds.FEEDBACK_COLUMNS,
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "dossiers": feeds.DOSSIER_REQUIRED,
    "feedback": feeds.FEEDBACK_REQUIRED,
}
_CHOICES: dict[tuple[str, str], dict[str, str]] = {
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


def _compile_format(fmt: str) -> re.Pattern[str]:
    parts: list[str] = []
    last = 0
    for found in _TOKEN.finditer(fmt):
        parts.append(re.escape(fmt[last : found.start()]))
        parts.append(_FORMAT_TOKENS[found.group()])
        last = found.end()
    parts.append(re.escape(fmt[last:]))
    return re.compile("^" + "".join(parts).replace(r"\ ", r"\s+") + "$")


# --- the profile as data -------------------------------------------------------------------------


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
        fields = _FIELDS[self.kind]
        owner: dict[str, str] = {}
        for name, headers in self.columns.items():
            if name not in fields:
                raise ValueError(f"“{name}” không phải là trường của {self.kind}: {_list(fields)}.")
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
                raise ValueError(f"“{name}” không phải là trường của {self.kind}: {_list(fields)}.")
            allowed = _CHOICES.get((self.kind, name))
            if name in _FLAGS or name == "satisfied":
                allowed = {"true": "có", "false": "không"}
            for text, target in mapping.items():
                if allowed is not None and target not in allowed:
                    raise ValueError(
                        f"Giá trị “{text}” của {name} phải ánh xạ tới một trong: "
                        f"{_list(allowed)} (nhận được “{target}”)."
                    )
        for name in self.defaults:
            if name in _FLAGS or name == "satisfied":
                raise ValueError(
                    f"Không đặt mặc định cho {name}: cột vắng mặt nghĩa là “chưa rõ”, không phải "
                    "“không”."
                )
            if name not in fields:
                raise ValueError(f"“{name}” không phải là trường của {self.kind}: {_list(fields)}.")
        return self


def _list(items: Iterable[str]) -> str:
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


# --- applying a profile --------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """One thing a source value may map to: our code and the name a person knows it by."""

    code: str
    name: str


def _names(db_session: Session) -> dict[str, list[Choice]]:
    """partrack's own domains and units, the targets of a name match."""
    domains = db_session.exec(select(Domain).where(Domain.active)).all()
    units = db_session.exec(select(Unit).where(Unit.active)).all()
    return {
        "domain": [Choice(d.code, d.name) for d in domains],
        "unit": [Choice(u.code, u.name) for u in units]
        + [Choice(u.code, u.short_name) for u in units],
    }


class Profile:
    """A profile ready to read rows: its lookups folded once, not once per row."""

    def __init__(self, read: ProfileRead, names: dict[str, list[Choice]]) -> None:
        self.code = read.code
        self.name = read.name
        self.spec = read.spec
        self.kind = read.spec.kind
        self._headers = {fold(h): f for f, hs in read.spec.columns.items() for h in hs}
        self._ignored = {fold(h) for h in read.spec.ignore}
        self._formats = [(f, _compile_format(f)) for f in read.spec.date_formats]
        self._procedures = {fold(k): v for k, v in read.spec.procedures.items()}
        self._lookup: dict[str, dict[str, Choice]] = {}
        for name, mapping in read.spec.values.items():
            choices = _CHOICES.get((self.kind, name), {})
            self._lookup[name] = {
                fold(text): Choice(target, choices.get(target, text))
                for text, target in mapping.items()
            }
        for name, known in names.items():
            if name not in _FIELDS[self.kind]:
                continue
            table = self._lookup.setdefault(name, {})
            for choice in known:
                table.setdefault(fold(choice.name), choice)
                table.setdefault(fold(choice.code), Choice(choice.code, choice.name))
        for (kind, name), choices in _CHOICES.items():
            if kind == self.kind:
                table = self._lookup.setdefault(name, {})
                for code, label in choices.items():
                    table.setdefault(fold(code), Choice(code, label))
                    table.setdefault(fold(label), Choice(code, label))

    def header_map(self, headers: Sequence[str]) -> tuple[dict[str, str], list[str]]:
        """File header → our field; the ignored headers. Two headers that are one field are
        both mapped, so the runner refuses the file naming both rather than guessing."""
        mapped: dict[str, str] = {}
        ignored: list[str] = []
        for header in headers:
            key = fold(header)
            target = self._headers.get(key)
            if target is not None:
                mapped[header] = target
            elif key in self._ignored or self.spec.ignore_unknown_columns:
                ignored.append(header)
        return mapped, ignored

    def duplicates(self, mapped: dict[str, str]) -> list[FieldError]:
        """Headers that name a field another header already names (the preview says so)."""
        first: dict[str, str] = {}
        found: list[FieldError] = []
        for header, target in mapped.items():
            if target in first:
                found.append(
                    FieldError(
                        "header",
                        "duplicate_column",
                        f"Hai cột “{first[target]}” và “{header}” cùng là "
                        f"{FIELD_LABELS.get(target, target)}: hãy xóa một cột.",
                    )
                )
            first.setdefault(target, header)
        return found

    def filled_fields(self) -> set[str]:
        """Fields the profile fills itself when the file has no column for them (defaults)."""
        return set(self.spec.defaults)

    def missing(self, mapped_fields: Iterable[str]) -> list[str]:
        """Required fields the header does not provide and no default fills."""
        have = set(mapped_fields) | set(self.spec.defaults)
        return [f for f in _REQUIRED[self.kind] if f not in have]

    def transform(self, values: dict[str, object]) -> dict[str, object]:
        """The row's values as our parsers accept them; every unmappable value at once."""
        out, errors = self.apply(values)
        if errors:
            raise Invalid(errors, message=errors[0].message)
        return out

    def apply(self, values: dict[str, object]) -> tuple[dict[str, object], list[FieldError]]:
        """What ``transform`` does, keeping what did map beside the errors (for the preview:
        a row with one misspelt domain still shows how its other cells are read)."""
        errors: list[FieldError] = []
        out: dict[str, object] = {}
        for name, raw in values.items():
            if isinstance(raw, str):
                raw = raw.strip() or None
            try:
                out[name] = self._value(name, raw)
            except _Unmapped as exc:
                errors.append(FieldError(name, exc.code, exc.message))
                out[name] = raw
        for name, default in self.spec.defaults.items():
            if out.get(name) is None:
                try:
                    out[name] = self._value(name, default)
                except _Unmapped as exc:
                    errors.append(FieldError(name, exc.code, exc.message))
        if (
            "procedure_code" not in values
            and out.get("procedure_name")
            and (code := self._procedures.get(fold(str(out["procedure_name"])))) is not None
        ):
            out["procedure_code"] = code
        state = out.pop(STATUS, None)
        if state is not None:
            errors.extend(self._check_status(str(values[STATUS]), str(state), out))
        return out, errors

    def _value(self, name: str, raw: object) -> object:
        if raw is None:
            return None
        if name in _DATES:
            return self._date(name, raw)
        if name in _FLAGS or name == "satisfied":
            return self._flag(name, raw)
        if name in self._lookup:
            return self._mapped(name, raw)
        if isinstance(raw, float) and raw.is_integer():
            return str(int(raw))  # a number Excel kept for a code: 1001.0 → "1001"
        return raw if isinstance(raw, str | datetime | date) else str(raw)

    def _date(self, name: str, raw: object) -> object:
        if isinstance(raw, datetime | date):
            return raw
        text = str(raw)
        for _fmt, pattern in self._formats:
            found = pattern.match(text)
            if found is None:
                continue
            parts = found.groupdict()
            try:
                day = date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
                if parts.get("H") is None:
                    return day
                return datetime(
                    day.year,
                    day.month,
                    day.day,
                    int(parts["H"]),
                    int(parts["M"]),
                    int(parts.get("S") or 0),
                )
            except ValueError:
                break
        try:
            parse_moment(text)
        except ValueError:
            formats = " hoặc ".join(self.spec.date_formats)
            raise _Unmapped(
                "bad_date",
                f"{FIELD_LABELS.get(name, name)} “{text}” không phải ngày giờ dạng {formats} "
                f"(hồ sơ ánh xạ “{self.name}”).",
            ) from None
        return text

    def _flag(self, name: str, raw: object) -> str:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        key = fold(str(raw))
        own = self._lookup.get(name, {}).get(key)
        if own is not None:
            return own.code
        meaning = FLAG_SPELLINGS.get(key.replace(" ", ""))
        if meaning is None:
            meaning = FLAG_SPELLINGS.get(str(raw).strip().lower())
        if meaning is None:
            raise _Unmapped(
                "unmapped_value",
                f"{FIELD_LABELS.get(name, name)} “{raw}” không đọc được: ghi Có/Không (hoặc "
                "1/0, x), hoặc để trống nếu chưa rõ.",
            )
        return "true" if meaning else "false"

    def _mapped(self, name: str, raw: object) -> str:
        text = str(raw)
        table = self._lookup[name]
        found = table.get(fold(text))
        if found is not None:
            return found.code
        raise _Unmapped("unmapped_value", self._unmapped_message(name, text, table))

    def _unmapped_message(self, name: str, text: str, table: dict[str, Choice]) -> str:
        """Says what was meant: the nearest known name, else every choice when they are few."""
        label = FIELD_LABELS.get(name, name)
        head = f"{label} “{text}” không có trong danh sách của hồ sơ ánh xạ “{self.name}”."
        near = difflib.get_close_matches(fold(text), list(table), n=1, cutoff=0.6)
        if near:
            choice = table[near[0]]
            return f"{head} Ý bạn là “{choice.name}” ({choice.code})?"
        distinct = {c.code: c for c in table.values()}
        if len(distinct) <= 8:
            options = ", ".join(f"“{c.name}” ({c.code})" for c in distinct.values())
            return f"{head} Chấp nhận: {options}."
        return f"{head} Xem danh sách ở trang Quản trị hoặc thêm cách viết này vào hồ sơ ánh xạ."

    def _check_status(self, text: str, state: str, out: dict[str, object]) -> list[FieldError]:
        """The status text must agree with the dates: it is not stored, the dates are."""
        done = out.get("completed_at") is not None
        if state == "processing" and done:
            return [
                FieldError(
                    STATUS,
                    "status_conflict",
                    f"Trạng thái “{text}” là chưa có kết quả, nhưng hồ sơ có ngày có kết quả.",
                )
            ]
        if state in {"completed", "returned"} and not done:
            return [
                FieldError(
                    STATUS,
                    "status_conflict",
                    f"Trạng thái “{text}” là đã có kết quả, nhưng thiếu ngày có kết quả.",
                )
            ]
        return []


class _Unmapped(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- the service ---------------------------------------------------------------------------------


def _shipped() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(PROFILE_DATA.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[data["code"]] = data
    return found


def _read_shipped(data: dict[str, Any]) -> ProfileRead:
    return ProfileRead(
        code=data["code"],
        name=data["name"],
        description=data.get("description", ""),
        kind=data["spec"].get("kind", "dossiers"),
        spec=ProfileSpec.model_validate(data["spec"]),
        version=0,
        shipped=True,
        edited=False,
    )


def _read_row(row: ImportProfile, shipped: bool) -> ProfileRead:
    return ProfileRead(
        code=row.code,
        name=row.name,
        description=row.description,
        kind=row.kind,
        spec=ProfileSpec.model_validate(row.spec),
        version=row.version,
        shipped=shipped,
        edited=True,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def _row(db_session: Session, code: str) -> ImportProfile | None:
    return db_session.exec(select(ImportProfile).where(ImportProfile.code == code)).first()


def list_profiles(*, db_session: Session) -> list[ProfileRead]:
    """Saved profiles, and the shipped ones nobody has edited, by name."""
    shipped = _shipped()
    rows = db_session.exec(select(ImportProfile)).all()
    saved = {r.code: _read_row(r, r.code in shipped) for r in rows}
    every = saved | {c: _read_shipped(d) for c, d in shipped.items() if c not in saved}
    return sorted(every.values(), key=lambda p: fold(p.name))


def get_profile(*, db_session: Session, code: str) -> ProfileRead:
    row = _row(db_session, code)
    shipped = _shipped()
    if row is not None:
        return _read_row(row, code in shipped)
    if code in shipped:
        return _read_shipped(shipped[code])
    raise NotFound(f"Không có hồ sơ ánh xạ mã “{code}”.", code="profile_not_found")


def create_profile(
    *, db_session: Session, actor: Actor, clock: Clock, data: ProfileCreate
) -> ProfileRead:
    authorize(actor, Permission.PLAN_WRITE)
    if _row(db_session, data.code) is not None or data.code in _shipped():
        raise Conflict(
            f"Hồ sơ ánh xạ mã “{data.code}” đã có.",
            code="profile_exists",
            errors=[FieldError("code", "duplicate", "Mã hồ sơ ánh xạ đã được dùng.")],
        )
    now = clock.now()
    row = ImportProfile(
        code=data.code,
        name=data.name,
        description=data.description,
        kind=data.spec.kind,
        spec=data.spec.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
        updated_by=actor.username,
    )
    db_session.add(row)
    db_session.flush()
    after = _read_row(row, False)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="import_profile",
        key=row.code,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def update_profile(
    *, db_session: Session, actor: Actor, clock: Clock, code: str, data: ProfileUpdate
) -> ProfileRead:
    """Save a profile; a shipped one is saved as this database's copy under the same code."""
    authorize(actor, Permission.PLAN_WRITE)
    before = get_profile(db_session=db_session, code=code)
    if data.version is not None and data.version != before.version:
        raise Conflict(
            f"Hồ sơ ánh xạ “{before.name}” vừa được người khác sửa (phiên bản {before.version}); "
            "hãy tải lại trang rồi sửa lại.",
            code="stale_version",
            errors=[FieldError("version", "stale", "Phiên bản đã cũ.")],
        )
    row = _row(db_session, code)
    now = clock.now()
    if row is None:
        row = ImportProfile(
            code=code,
            name=before.name,
            description=before.description,
            kind=before.kind,
            spec=before.spec.model_dump(mode="json"),
            version=0,
            created_at=now,
            updated_at=now,
        )
        db_session.add(row)
    if data.name is not None:
        row.name = data.name
    if data.description is not None:
        row.description = data.description
    if data.spec is not None:
        row.kind = data.spec.kind
        row.spec = data.spec.model_dump(mode="json")
    row.version += 1
    row.updated_at = now
    row.updated_by = actor.username
    db_session.flush()
    after = _read_row(row, before.shipped)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="import_profile",
        key=code,
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def delete_profile(*, db_session: Session, actor: Actor, clock: Clock, code: str) -> None:
    """Delete a saved profile; for a shipped one this brings back the version partrack ships."""
    authorize(actor, Permission.PLAN_WRITE)
    row = _row(db_session, code)
    if row is None:
        if code in _shipped():
            raise Conflict(
                "Hồ sơ ánh xạ đi kèm partrack không xóa được; sửa nó nếu cần.",
                code="profile_shipped",
            )
        raise NotFound(f"Không có hồ sơ ánh xạ mã “{code}”.", code="profile_not_found")
    before = _read_row(row, code in _shipped())
    db_session.delete(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.DELETE,
        entity="import_profile",
        key=code,
        before=before,
        clock=clock,
    )
    db_session.commit()


def load(*, db_session: Session, code: str) -> Profile:
    return Profile(get_profile(db_session=db_session, code=code), _names(db_session))


def resolve(
    db_session: Session, code: str | None, headers: Sequence[str], *, kind: str | None = None
) -> Profile | None:
    """The profile an import names, or the one its header row shows it to be.

    Recognised means: every required field is found among the headers (or defaulted) and more
    headers are the profile's own than any other profile's. partrack's own files (headers that
    are our field names) are never claimed by a profile. ``kind`` (the import's: dossiers,
    feedback) keeps a profile to the data it was made for.
    """
    if code:
        found = load(db_session=db_session, code=code)
        if kind is not None and found.kind != kind:
            raise Invalid.one(
                "profile",
                "profile_kind",
                f"Hồ sơ ánh xạ “{code}” dành cho dữ liệu “{found.kind}”, không dùng được để "
                f"nhập “{kind}”.",
            )
        return found
    if kind is not None and kind not in _FIELDS:
        return None  # readings and progress are partrack's own files: no profile to recognise
    if all(fold(h) in {fold(f) for fields in _FIELDS.values() for f in fields} for h in headers):
        return None
    names = _names(db_session)
    scored: list[tuple[int, Profile]] = []
    for read in list_profiles(db_session=db_session):
        if kind is not None and read.spec.kind != kind:
            continue
        profile = Profile(read, names)
        mapped, _ = profile.header_map(list(headers))
        if mapped and not profile.missing(mapped.values()) and not profile.duplicates(mapped):
            scored.append((len(mapped), profile))
    scored.sort(key=lambda pair: -pair[0])
    if not scored or (len(scored) > 1 and scored[0][0] == scored[1][0]):
        return None
    return scored[0][1]


# --- preview -------------------------------------------------------------------------------------


class PreviewColumn(BaseModel):
    header: str
    field: str | None
    label: str
    status: Literal["mapped", "ignored", "unknown"]


class PreviewProblem(BaseModel):
    field: str
    code: str
    message: str


class PreviewRow(BaseModel):
    row: int = PydanticField(description="The spreadsheet's row number (the header is row 1).")
    values: dict[str, str | None]
    problems: list[PreviewProblem]


class PreviewGroup(BaseModel):
    field: str
    code: str
    message: str
    count: int
    rows: list[int]


class ProfilePreview(BaseModel):
    """The first rows as the import will read them, with what it would refuse."""

    profile: str
    columns: list[PreviewColumn]
    missing: list[str]
    rows: list[PreviewRow]
    problems: list[PreviewGroup]


def _display(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def preview(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    code: str,
    data: bytes | IO[bytes],
    filename: str,
    limit: int = PREVIEW_ROWS,
) -> ProfilePreview:
    """Read the first rows of a sample file through the profile and the row parser.

    Nothing is written; the same checks as an import run, except those needing the database
    (unknown codes the row parser cannot see, locks), which the import's dry run reports.
    """
    authorize(actor, Permission.DATA_WRITE)
    profile = load(db_session=db_session, code=code)
    columns_of = feeds.DOSSIER_COLUMNS if profile.kind == "dossiers" else feeds.FEEDBACK_COLUMNS
    headers, rows = read_sample(data, filename, limit=limit, fields=columns_of)
    mapped, ignored = profile.header_map(headers)
    ignored_set = set(ignored)
    columns = [
        PreviewColumn(
            header=h,
            field=mapped.get(h),
            label=FIELD_LABELS.get(mapped[h], mapped[h]) if h in mapped else "",
            status="mapped" if h in mapped else "ignored" if h in ignored_set else "unknown",
        )
        for h in headers
    ]
    carried = frozenset(mapped.values()) | frozenset(profile.spec.defaults)
    out_rows: list[PreviewRow] = []
    groups: dict[tuple[str, str, str], PreviewGroup] = {}
    now = clock.now()
    for number, raw in rows:
        values = {mapped[h]: v for h, v in raw.items() if h in mapped}
        shown, problems = profile.apply(values)
        if not problems:
            try:
                _parse(profile.kind, shown, now=now, carried=carried)
            except AppError as exc:
                problems = exc.errors or [FieldError("row", exc.code, exc.message)]
        for problem in problems:
            key = (problem.field, problem.code, problem.message)
            group = groups.get(key)
            if group is None:
                group = groups[key] = PreviewGroup(
                    field=problem.field,
                    code=problem.code,
                    message=problem.message,
                    count=0,
                    rows=[],
                )
            group.count += 1
            if len(group.rows) < 5:
                group.rows.append(number)
        out_rows.append(
            PreviewRow(
                row=number,
                values={k: _display(v) for k, v in shown.items()},
                problems=[PreviewProblem(**p.__dict__) for p in problems],
            )
        )
    for problem in profile.duplicates(mapped):
        groups[(problem.field, problem.code, problem.message)] = PreviewGroup(
            field=problem.field, code=problem.code, message=problem.message, count=1, rows=[1]
        )
    return ProfilePreview(
        profile=profile.code,
        columns=columns,
        missing=profile.missing(mapped.values()),
        rows=out_rows,
        problems=list(groups.values()),
    )


def _parse(kind: str, values: dict[str, object], *, now: datetime, carried: frozenset[str]) -> None:
    if kind == "dossiers":
        feeds.parse_dossier(values, now=now, carried=carried)
    else:
        feeds.parse_feedback(values, now=now)


def read_sample(
    data: bytes | IO[bytes], filename: str, *, limit: int, fields: Sequence[str] = ()
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    """Header and first rows of a CSV or .xlsx sample, read by the import's own readers.

    The preview must show what the import will see: the same encoding and delimiter detection
    (a Windows-1258 or ``;`` file), the same header search under a title, the same totals rows
    left out, the same row numbers. Only the first ``limit`` rows are read.
    """
    try:
        if isinstance(data, bytes):
            upload = upload_from_bytes(data, kind_of("", filename) or "csv", filename)
        else:
            upload = upload_from_file(data, filename)
    except FileProblem as exc:
        raise _invalid(exc) from None
    table: Table | None = None
    try:
        table = open_table(upload, fields=fields)
        headers = [h or "" for h in (table.headers or [])]
        if not any(headers):
            raise Invalid.one("file", "empty", "Tệp trống: không có dòng tiêu đề.")
        rows: list[tuple[int, dict[str, object]]] = []
        for parsed in table.rows(None):
            rows.append((parsed.number, dict(parsed.values)))
            if len(rows) >= limit:
                break
        return headers, rows
    except FileProblem as exc:
        raise _invalid(exc) from None
    finally:
        close = getattr(table, "close", None)
        if close is not None:
            close()
        upload.close()


def _invalid(problem: FileProblem) -> Invalid:
    return Invalid([error for _, error in problem.errors], message=problem.errors[0][1].message)


# --- the JSON API --------------------------------------------------------------------------------

router = APIRouter(tags=["import profiles"])


@router.get("/import-profiles", response_model=list[ProfileRead])
def list_route(db_session: SessionDep) -> list[ProfileRead]:
    """Every profile: the shipped ones and those saved in this database."""
    return list_profiles(db_session=db_session)


@router.get("/import-profiles/{code}", response_model=ProfileRead)
def get_route(code: str, db_session: SessionDep) -> ProfileRead:
    return get_profile(db_session=db_session, code=code)


@router.post("/import-profiles", response_model=ProfileRead, status_code=status.HTTP_201_CREATED)
def create_route(
    data: ProfileCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> ProfileRead:
    return create_profile(db_session=db_session, actor=actor, clock=clock, data=data)


@router.put("/import-profiles/{code}", response_model=ProfileRead)
def update_route(
    code: str, data: ProfileUpdate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> ProfileRead:
    return update_profile(db_session=db_session, actor=actor, clock=clock, code=code, data=data)


@router.delete("/import-profiles/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_route(
    code: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    delete_profile(db_session=db_session, actor=actor, clock=clock, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/import-profiles/{code}/preview", response_model=ProfilePreview)
async def preview_route(
    code: str,
    file: Annotated[UploadFile, File(description="A sample export: .csv or .xlsx.")],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> ProfilePreview:
    """The first rows of a sample file as an import with this profile would read them."""
    return await run_in_threadpool(
        preview,
        db_session=db_session,
        actor=actor,
        clock=clock,
        code=code,
        data=file.file,  # read where the framework spooled it: only the first rows are read
        filename=file.filename or "",
    )
