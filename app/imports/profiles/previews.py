"""A sample file read through a profile: the first rows as an import would read them, and
what it would refuse, before anyone sends the real file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import IO, Literal

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.dossiers import rows as dossier_rows
from app.errors import AppError, FieldError, Invalid
from app.imports.profiles.models import FIELD_LABELS, PREVIEW_ROWS
from app.imports.profiles.service import load
from app.permissions import Permission, authorize
from app.uploads.files import (
    FileProblem,
    Table,
    kind_of,
    open_table,
    upload_from_bytes,
    upload_from_file,
)


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
    columns_of = (
        dossier_rows.DOSSIER_COLUMNS
        if profile.kind == "dossiers"
        else dossier_rows.FEEDBACK_COLUMNS
    )
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
        dossier_rows.parse_dossier(values, now=now, carried=carried)
    else:
        dossier_rows.parse_feedback(values, now=now)


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
