"""Answers as a table for coordinators (CSV and XLSX): raw levels, one row per answer.

Rows are sorted by month, unit and domain and then by the answer's random id: the order of the file
must not tell the order in which people answered. A hidden comment is exported as hidden.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict

from sqlmodel import Session, col, select
from starlette.responses import Response as HttpResponse

from app.actors import Actor
from app.clock import Clock
from app.kpis.models import Domain
from app.permissions import Permission, authorize
from app.sipas import service
from app.sipas.models import Questionnaire, Rating, RatingKind, Response
from app.sipas.questionnaire import content_of
from app.units.models import Unit

HIDDEN = "(đã ẩn)"


def export_table(
    *, db_session: Session, actor: Actor, clock: Clock, filters: service.SipasFilters
) -> tuple[list[str], list[list[str | int | None]]]:
    """Header and rows for the period and filters (coordinators and admins): the answers of the
    version being viewed (``filters.version``, else the ward's in force), as its index reads them,
    with that version's questions as columns."""
    authorize(actor, Permission.REVIEW)
    period = (
        service.parse_period_filter(filters.period)
        if filters.period
        else service.default_period(db_session=db_session, clock=clock)
    )
    shown = service.shown_version(db_session=db_session, clock=clock, filters=filters)
    content = content_of(shown)
    criteria = [code for f in content.factor_specs() for code, _ in f.criteria]
    wanted = [e.code for e in content.expectations]
    where = [
        *service.answer_filters(db_session=db_session, filters=filters, period=period),
        Response.questionnaire_id == shown.id,
    ]
    rows = db_session.exec(
        select(Response, Unit.code, Domain.code, Questionnaire.version)
        .join(Unit, col(Unit.id) == Response.unit_id)
        .join(Questionnaire, col(Questionnaire.id) == Response.questionnaire_id)
        .outerjoin(Domain, col(Domain.id) == Response.domain_id)
        .where(*where)
        .order_by(col(Response.period_start), col(Unit.code), col(Domain.code), col(Response.id))
    ).all()
    ids = [r.id for r, *_ in rows]
    levels: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for start in range(0, len(ids), 500):
        for rating in db_session.exec(
            select(Rating).where(col(Rating.response_id).in_(ids[start : start + 500]))
        ).all():
            levels[rating.response_id][(rating.kind, rating.item)] = rating.value
    header = [
        "Tháng",
        "Đơn vị",
        "Lĩnh vực",
        "Mã thủ tục",
        "Tên thủ tục",
        "Hình thức",
        "Nguồn",
        "Phiên bản phiếu",
        *criteria,
        *wanted,
        "Góp ý",
    ]
    table: list[list[str | int | None]] = []
    for response, unit, domain, version in rows:
        got = levels.get(response.id, {})
        table.append(
            [
                response.month,
                unit,
                domain or "",
                response.procedure_code,
                response.procedure_name,
                response.channel or "",
                response.source,
                version,
                *(got.get((RatingKind.CRITERION, c)) for c in criteria),
                *(got.get((RatingKind.EXPECTATION, e)) for e in wanted),
                HIDDEN if response.comment_hidden else response.comment,
            ]
        )
    return header, table


def _cell(value: str | int | None) -> str | int | None:
    """Text that a spreadsheet would run as a formula is written as plain text."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def to_csv(header: list[str], rows: list[list[str | int | None]]) -> bytes:
    """UTF-8 with a BOM, so Excel on a ward's computer shows the diacritics."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[str | int | None]]) -> bytes:
    from openpyxl import Workbook  # imported on first use, not by every worker at start

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Phieu SIPAS")
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(
    *, db_session: Session, actor: Actor, clock: Clock, filters: service.SipasFilters, kind: str
) -> HttpResponse:
    """The file itself, here so the JSON API and the export page serve the same bytes without
    a page importing the API module."""
    header, rows = export_table(db_session=db_session, actor=actor, clock=clock, filters=filters)
    name = "sipas-" + re.sub(r"[^0-9A-Za-z-]", "", filters.period or "ky-hien-tai")
    if kind == "xlsx":
        body = to_xlsx(header, rows)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = to_csv(header, rows), "text/csv; charset=utf-8"
    return HttpResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{kind}"'},
    )
