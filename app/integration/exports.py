"""Exports: the lists as CSV or Excel, with Vietnamese headers and values that stay values.

Every dataset is a list of columns (header, how to get the value, its kind) over the rows a list
service returns, so an export always matches the list it comes from, filters included. Text that
begins with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) is prefixed with ``'``: a
spreadsheet then shows it as text and never runs it as a formula.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import IO, Any

from sqlmodel import Session

from app.actors import Actor
from app.clock import VIETNAM_TZ, Clock
from app.errors import Invalid
from app.formatting import format_machine
from app.integration.records import UNKNOWN_FLAG

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PAGE = 1000


def neutralise(value: str) -> str:
    """``=HYPERLINK(…)`` becomes ``'=HYPERLINK(…)``: text, never a formula (OWASP's advice);
    control characters, which no spreadsheet can hold, are dropped."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # lazy: openpyxl costs memory

    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + value if value.startswith(_DANGEROUS) else value


class Kind(StrEnum):
    TEXT = "text"
    NUMBER = "number"  # a count or an amount: shown 1.250 or 1.250,50 in a Vietnamese Excel
    COUNT = "count"  # always whole (versions, ranks)
    PERCENT = "percent"  # a number 0–100, written as a number (never "98,5%" text)
    DATE = "date"
    DATETIME = "datetime"
    FLAG = "flag"


@dataclass(frozen=True)
class Column:
    header: str
    get: Callable[[Any], Any]
    kind: Kind = Kind.TEXT


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def _local(value: datetime | None) -> datetime | None:
    """Spreadsheets have no time zones: write the Vietnam wall-clock time people expect."""
    return None if value is None else value.astimezone(VIETNAM_TZ).replace(tzinfo=None)


_END_OF_DAY = time(23, 59, 59, 999_999)


def _moment_text(local: datetime) -> str:
    """As precise as the stored moment, so the file re-imports unchanged: a due date given as a
    day (stored as the day's last instant) goes back as the day; seconds only when there are."""
    if local.time() == _END_OF_DAY:
        return local.date().isoformat()
    if local.second or local.microsecond:
        return local.isoformat(sep=" ")
    return local.strftime("%Y-%m-%d %H:%M")


def _csv_value(value: Any, kind: Kind) -> str:
    if value is None:
        return UNKNOWN_FLAG if kind == Kind.FLAG else ""
    if kind == Kind.FLAG:
        return "có" if value else "không"
    if kind == Kind.DATETIME and isinstance(value, datetime):
        local = _local(value)
        assert local is not None
        return _moment_text(local)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format_machine(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def csv_chunks(columns: list[Column], rows: Iterable[Any]) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel shows the diacritics), comma-separated, one chunk per row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(c.get(row), c.kind) for c in columns])
        yield buffer.getvalue().encode("utf-8")


_NUMBER_FORMATS = {
    Kind.DATE: "DD/MM/YYYY",
    Kind.DATETIME: "DD/MM/YYYY HH:MM",
    Kind.COUNT: "#,##0",
}
#: Numbers stay numbers; the format only shows them. Excel draws the separators of the reader's
#: locale, so a Vietnamese Excel shows ``#,##0.00`` as 1.250,50.
_WHOLE_FORMATS = {Kind.NUMBER: "#,##0", Kind.PERCENT: "0"}
_DECIMAL_FORMATS = {Kind.NUMBER: "#,##0.00", Kind.PERCENT: "0.00"}


def _number_format(value: object, kind: Kind) -> str | None:
    if kind in _NUMBER_FORMATS:
        return _NUMBER_FORMATS[kind]
    if kind in _WHOLE_FORMATS and isinstance(value, int | float):
        whole = isinstance(value, int) or value.is_integer()
        return (_WHOLE_FORMATS if whole else _DECIMAL_FORMATS)[kind]
    return None


def xlsx_file(columns: list[Column], rows: Iterable[Any], *, title: str) -> IO[bytes]:
    """An Excel workbook on disk (write-only mode: memory stays flat for long lists)."""
    from openpyxl import Workbook  # imported on first use: ~MiB per process otherwise
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append([c.header for c in columns])
    for row in rows:
        cells = []
        for column in columns:
            value = column.get(row)
            if column.kind == Kind.DATETIME and isinstance(value, datetime):
                value = _local(value)
            elif column.kind == Kind.FLAG:
                value = UNKNOWN_FLAG if value is None else ("có" if value else "không")
            if isinstance(value, str):
                value = neutralise(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text even if it still looked like a formula
            elif value is not None and (shown := _number_format(value, column.kind)):
                cell.number_format = shown
            cells.append(cell)
        sheet.append(cells)
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(out)
    out.seek(0)
    return out


# --- datasets ------------------------------------------------------------------------------------


def _paged(fetch: Callable[[int, int], tuple[list[Any], int]]) -> Iterator[Any]:
    offset = 0
    while True:
        items, total = fetch(PAGE, offset)
        yield from items
        offset += len(items)
        if not items or offset >= total:
            return


READING_COLUMNS = [
    Column("Mã chỉ tiêu", lambda r: r.indicator),
    Column("Đơn vị", lambda r: r.unit),
    Column("Kỳ báo cáo", lambda r: r.period),
    Column("Lĩnh vực", lambda r: r.domain),
    Column("Giá trị (%)", lambda r: r.value, Kind.PERCENT),
    Column("Tử số", lambda r: r.numerator, Kind.NUMBER),
    Column("Mẫu số", lambda r: r.denominator, Kind.NUMBER),
    Column("Ghi chú", lambda r: r.note),
    Column("Minh chứng", lambda r: r.evidence_url),
    Column("Nguồn", lambda r: r.source),
    Column("Phiên bản", lambda r: r.version, Kind.COUNT),
    Column("Cập nhật lúc", lambda r: r.updated_at, Kind.DATETIME),
]
PROGRESS_COLUMNS = [
    Column("Mã nhiệm vụ", lambda p: p.assignment),
    Column("Đơn vị", lambda p: p.unit),
    Column("Kỳ báo cáo", lambda p: p.period),
    Column("Trạng thái", lambda p: p.status),
    Column("Tỷ lệ hoàn thành (%)", lambda p: p.percent_complete, Kind.PERCENT),
    Column("Kết quả", lambda p: p.result),
    Column("Khó khăn, vướng mắc", lambda p: p.difficulties),
    Column("Đề xuất, kiến nghị", lambda p: p.proposals),
    Column("Minh chứng", lambda p: p.evidence),
    Column("Phiên bản", lambda p: p.version, Kind.COUNT),
    Column("Cập nhật lúc", lambda p: p.updated_at, Kind.DATETIME),
]
SUBMISSION_COLUMNS = [
    Column("Đơn vị", lambda s: s.unit),
    Column("Kỳ báo cáo", lambda s: s.period),
    Column("Trạng thái", lambda s: s.status.value),
    Column("Hạn nộp", lambda s: s.due_date, Kind.DATE),
    Column("Đúng hạn", lambda s: s.timeliness.value),
    Column("Gửi lần đầu lúc", lambda s: s.first_submitted_at, Kind.DATETIME),
    Column("Gửi lúc", lambda s: s.submitted_at, Kind.DATETIME),
    Column("Người gửi", lambda s: s.submitted_by),
    Column("Duyệt lúc", lambda s: s.reviewed_at, Kind.DATETIME),
    Column("Người duyệt", lambda s: s.reviewed_by),
    Column("Nhận xét", lambda s: s.review_comment),
]
DOSSIER_COLUMNS = [
    Column("Mã hồ sơ", lambda d: d.code),
    Column("Đơn vị", lambda d: d.unit),
    Column("Mã thủ tục", lambda d: d.procedure_code),
    Column("Tên thủ tục", lambda d: d.procedure_name),
    Column("Lĩnh vực", lambda d: d.domain),
    Column("Kênh nộp", lambda d: d.channel),
    Column("Ngày tiếp nhận", lambda d: d.received_at, Kind.DATETIME),
    Column("Ngày hẹn trả", lambda d: d.due_at, Kind.DATETIME),
    Column("Ngày giải quyết xong", lambda d: d.completed_at, Kind.DATETIME),
    Column("Ngày trả kết quả", lambda d: d.returned_at, Kind.DATETIME),
    Column("Hẹn lại", lambda d: d.rescheduled, Kind.FLAG),
    Column("Toàn trình", lambda d: d.fully_online, Kind.FLAG),
    Column("Số hóa", lambda d: d.digitized, Kind.FLAG),
    Column("Kết quả điện tử", lambda d: d.e_result, Kind.FLAG),
    Column("Dùng lại dữ liệu số", lambda d: d.reused_data, Kind.FLAG),
    Column("Thanh toán trực tuyến", lambda d: d.paid_online, Kind.FLAG),
    Column("Tình trạng", lambda d: d.status.value),
]
SCORE_COLUMNS = [
    Column("Kỳ", lambda u: u[0]),
    Column("Mã đơn vị", lambda u: u[1].code),
    Column("Đơn vị", lambda u: u[1].name),
    Column("Điểm", lambda u: u[1].score, Kind.NUMBER),
    Column("Xếp hạng", lambda u: u[1].rank, Kind.COUNT),
    Column("Xếp loại", lambda u: u[1].classification),
    Column("Nhiệm vụ (0–1)", lambda u: u[1].tasks, Kind.NUMBER),
    Column("Chỉ tiêu (0–1)", lambda u: u[1].indicators, Kind.NUMBER),
    Column("Báo cáo (0–1)", lambda u: u[1].reporting, Kind.NUMBER),
    Column("Nhiệm vụ quá hạn", lambda u: u[1].overdue, Kind.COUNT),
]


class Dataset(StrEnum):
    READINGS = "readings"
    PROGRESS = "progress"
    SUBMISSIONS = "submissions"
    SCORES = "scores"
    DOSSIERS = "dossiers"


TITLES = {
    Dataset.READINGS: "So lieu chi tieu",
    Dataset.PROGRESS: "Tien do nhiem vu",
    Dataset.SUBMISSIONS: "Bao cao don vi",
    Dataset.SCORES: "Diem cham",
    Dataset.DOSSIERS: "Ho so TTHC",
}


def dataset_rows(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    dataset: Dataset,
    filters: Mapping[str, str | None],
) -> tuple[list[Column], Iterator[Any]]:
    """The columns and the rows of a dataset, filtered as its list is (the same services)."""
    f = {k: v for k, v in filters.items() if v not in (None, "")}
    if dataset == Dataset.READINGS:
        from app.kpis import service as kpi_service

        rf = kpi_service.ReadingFilters(
            **_pick(f, "indicator unit period period_from period_to domain plan")
        )
        return READING_COLUMNS, _paged(
            lambda limit, offset: kpi_service.list_readings(
                db_session=db_session, actor=actor, filters=rf, limit=limit, offset=offset
            )
        )
    if dataset == Dataset.PROGRESS:
        from app.progress import service as progress_service

        pf = progress_service.ProgressFilters(**_pick(f, "unit period assignment plan"))
        return PROGRESS_COLUMNS, _paged(
            lambda limit, offset: progress_service.list_progress(
                db_session=db_session, actor=actor, filters=pf, limit=limit, offset=offset
            )
        )
    if dataset == Dataset.SUBMISSIONS:
        from app.reporting import service as reporting_service
        from app.reporting.models import SubmissionStatus

        picked = _pick(f, "plan unit period status")
        if "status" in picked:
            picked["status"] = SubmissionStatus(picked["status"])
        sf = reporting_service.SubmissionFilters(**picked)
        return SUBMISSION_COLUMNS, _paged(
            lambda limit, offset: reporting_service.list_submissions(
                db_session=db_session,
                actor=actor,
                clock=clock,
                filters=sf,
                limit=limit,
                offset=offset,
            )
        )
    if dataset == Dataset.SCORES:
        from app.scores import service as score_service

        summary = score_service.ward_summary(
            db_session=db_session,
            actor=actor,
            clock=clock,
            period=f.get("period"),
            plan=f.get("plan"),
        )
        return SCORE_COLUMNS, iter([(summary.period, u) for u in summary.units])
    from app.integration import lists
    from app.integration.models import DossierStatus

    picked = _pick(f, "unit domain period completed_period status procedure_code")
    if "status" in picked:
        picked["status"] = DossierStatus(picked["status"])
    df = lists.DossierFilters(**picked)
    return DOSSIER_COLUMNS, _paged(
        lambda limit, offset: lists.list_dossiers(
            db_session=db_session, actor=actor, clock=clock, filters=df, limit=limit, offset=offset
        )
    )


def _pick(filters: dict[str, Any], names: str) -> dict[str, Any]:
    wanted = names.split()
    unknown = sorted(set(filters) - set(wanted))
    if unknown:
        raise Invalid.one(
            unknown[0],
            "unknown_filter",
            f"Bộ lọc “{unknown[0]}” không dùng được cho dữ liệu này; dùng: {', '.join(wanted)}.",
        )
    return {k: filters[k] for k in wanted if k in filters}


def export_file(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    dataset: Dataset,
    fmt: ExportFormat,
    filters: Mapping[str, str | None],
) -> IO[bytes]:
    """The whole export written to a spooled file before anything is sent, so a refusal is a
    clean 4xx and the database session is done before the download starts."""
    columns, rows = dataset_rows(
        db_session=db_session, actor=actor, clock=clock, dataset=dataset, filters=filters
    )
    if fmt == ExportFormat.XLSX:
        return xlsx_file(columns, rows, title=TITLES[dataset])
    out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    for chunk in csv_chunks(columns, rows):
        out.write(chunk)
    out.seek(0)
    return out
