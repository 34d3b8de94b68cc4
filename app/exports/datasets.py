"""The datasets an export can hold, as a registry: name → its columns, title and rows.

Each dataset's rows come from the service behind its list, with the list's own filters, so an
export always matches the list it comes from; a filter the list does not take is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.dossiers import lists
from app.dossiers.models import DossierStatus
from app.errors import Invalid
from app.exports.writers import Column, Kind
from app.kpis import readings as kpi_readings
from app.progress import service as progress_service
from app.reporting import service as reporting_service
from app.scores import service as score_service
from app.submissions.models import SubmissionStatus

PAGE = 1000


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


@dataclass(frozen=True)
class Query:
    """Who asks, and the filters they gave (empty ones dropped)."""

    db_session: Session
    actor: Actor
    clock: Clock
    filters: dict[str, Any]


def _readings(q: Query) -> Iterator[Any]:
    rf = kpi_readings.ReadingFilters(
        **_pick(q.filters, "indicator unit period period_from period_to domain plan")
    )
    return _paged(
        lambda limit, offset: kpi_readings.list_readings(
            db_session=q.db_session, actor=q.actor, filters=rf, limit=limit, offset=offset
        )
    )


def _progress(q: Query) -> Iterator[Any]:
    pf = progress_service.ProgressFilters(**_pick(q.filters, "unit period assignment plan"))
    return _paged(
        lambda limit, offset: progress_service.list_progress(
            db_session=q.db_session, actor=q.actor, filters=pf, limit=limit, offset=offset
        )
    )


def _submissions(q: Query) -> Iterator[Any]:
    picked = _pick(q.filters, "plan unit period status")
    if "status" in picked:
        picked["status"] = SubmissionStatus(picked["status"])
    sf = reporting_service.SubmissionFilters(**picked)
    return _paged(
        lambda limit, offset: reporting_service.list_submissions(
            db_session=q.db_session,
            actor=q.actor,
            clock=q.clock,
            filters=sf,
            limit=limit,
            offset=offset,
        )
    )


def _scores(q: Query) -> Iterator[Any]:
    summary = score_service.ward_summary(
        db_session=q.db_session,
        actor=q.actor,
        clock=q.clock,
        period=q.filters.get("period"),
        plan=q.filters.get("plan"),
    )
    return iter([(summary.period, u) for u in summary.units])


def _dossiers(q: Query) -> Iterator[Any]:
    picked = _pick(q.filters, "unit domain period completed_period status procedure_code")
    if "status" in picked:
        picked["status"] = DossierStatus(picked["status"])
    df = lists.DossierFilters(**picked)
    return _paged(
        lambda limit, offset: lists.list_dossiers(
            db_session=q.db_session,
            actor=q.actor,
            clock=q.clock,
            filters=df,
            limit=limit,
            offset=offset,
        )
    )


@dataclass(frozen=True)
class DatasetExport:
    columns: list[Column]
    #: The sheet's name in the workbook.
    title: str
    rows: Callable[[Query], Iterator[Any]]


DATASETS: dict[Dataset, DatasetExport] = {
    Dataset.READINGS: DatasetExport(READING_COLUMNS, "So lieu chi tieu", _readings),
    Dataset.PROGRESS: DatasetExport(PROGRESS_COLUMNS, "Tien do nhiem vu", _progress),
    Dataset.SUBMISSIONS: DatasetExport(SUBMISSION_COLUMNS, "Bao cao don vi", _submissions),
    Dataset.SCORES: DatasetExport(SCORE_COLUMNS, "Diem cham", _scores),
    Dataset.DOSSIERS: DatasetExport(DOSSIER_COLUMNS, "Ho so TTHC", _dossiers),
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
    export = DATASETS[dataset]
    return export.columns, export.rows(Query(db_session, actor, clock, f))


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
