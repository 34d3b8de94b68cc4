"""A profile applied: a file's headers matched to our fields, and its values (dates in the
system's formats, names of domains and units, channel and status texts, yes/no spellings) mapped
to what our row parsers accept, every unmappable value reported at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from app.dossiers.records import FLAG_SPELLINGS, parse_moment
from app.errors import FieldError, Invalid
from app.imports.profiles.models import (
    CHOICES,
    DATE_FIELDS,
    FIELD_LABELS,
    FIELDS,
    FLAG_FIELDS,
    REQUIRED,
    STATUS,
    ProfileRead,
    compile_format,
    fold,
)
from app.kpis.models import Domain
from app.units.models import Unit


@dataclass(frozen=True)
class Choice:
    """One thing a source value may map to: our code and the name a person knows it by."""

    code: str
    name: str


def known_names(db_session: Session) -> dict[str, list[Choice]]:
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
        self._formats = [(f, compile_format(f)) for f in read.spec.date_formats]
        self._procedures = {fold(k): v for k, v in read.spec.procedures.items()}
        self._lookup: dict[str, dict[str, Choice]] = {}
        for name, mapping in read.spec.values.items():
            choices = CHOICES.get((self.kind, name), {})
            self._lookup[name] = {
                fold(text): Choice(target, choices.get(target, text))
                for text, target in mapping.items()
            }
        for name, known in names.items():
            if name not in FIELDS[self.kind]:
                continue
            table = self._lookup.setdefault(name, {})
            for choice in known:
                table.setdefault(fold(choice.name), choice)
                table.setdefault(fold(choice.code), Choice(choice.code, choice.name))
        for (kind, name), choices in CHOICES.items():
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
        return [f for f in REQUIRED[self.kind] if f not in have]

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
        if name in DATE_FIELDS:
            return self._date(name, raw)
        if name in FLAG_FIELDS or name == "satisfied":
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
