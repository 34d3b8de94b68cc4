"""The rates partrack computes from dossiers and feedback, defined once (pure, no database).

A metric is a numerator and a denominator counted over the records of one unit in one period:
dossiers by the day they were completed (results) or received (intake), feedback by the day it was
resolved. Where the plan has an indicator with the metric's code, the rate becomes a reading with
``source=computed``; the others feed the Decision 766 scorecard only. Adding an indicator with one
of these codes is all it takes to track another of them as a reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.dossiers.models import DossierStatus, FeedbackKind
from app.formatting import format_number
from app.templating import format_number_vi


class Feed(StrEnum):
    DOSSIER = "dossier"
    FEEDBACK = "feedback"
    #: The registers that compute a plan indicator (targets met, capital disbursed).
    REGISTER = "register"


class Basis(StrEnum):
    """Which day puts a record in a period."""

    COMPLETED = "completed"  # the dossier's result (on time? electronic?)
    RECEIVED = "received"  # how the dossier came in (online? digitised?)
    RESOLVED = "resolved"  # the feedback's answer


#: The dossier column behind each flag counter, as files name it.
FLAG_COLUMNS = {
    "e_result": "e_result",
    "not_rescheduled": "rescheduled",
    "fully_online": "fully_online",
    "digitized": "digitized",
    "reused": "reused_data",
    "paid": "paid_online",
}


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    feed: Feed
    basis: Basis
    numerator: str
    denominator: str
    kinds: frozenset[str] | None = None  # feedback kinds counted; None: all
    known: str | None = None  # the counter of records whose flag is known; None: all are

    @property
    def flag_column(self) -> str | None:
        """The dossier column this metric needs, when a feed may leave it out."""
        return FLAG_COLUMNS.get(self.numerator) if self.known else None

    def describe(self, denominator: float, total: float | None = None) -> str:
        """The note a computed reading carries: where its numbers come from, and which records
        were left out because the feed did not say (``total`` − ``denominator`` of them)."""
        what = "hồ sơ TTHC" if self.feed == Feed.DOSSIER else "phản ánh, kiến nghị"
        when = {
            Basis.COMPLETED: "giải quyết xong trong kỳ",
            Basis.RECEIVED: "tiếp nhận trong kỳ",
            Basis.RESOLVED: "xử lý xong trong kỳ",
        }[self.basis]
        if total is None or total <= denominator:
            return f"Tự tính từ {format_number(denominator)} {what} {when}."
        return (
            f"Tự tính từ {format_number(denominator)}/{format_number(total)} {what} {when}: "
            f"{format_number(total - denominator)} hồ sơ chưa có thông tin ở cột "
            f"{self.flag_column}, không tính vào tỷ lệ."
        )


METRICS: tuple[Metric, ...] = (
    Metric(
        "tthc_ontime",
        "Tỷ lệ hồ sơ giải quyết đúng hạn (trước hạn và đúng hạn / đã giải quyết)",
        Feed.DOSSIER,
        Basis.COMPLETED,
        "on_time",
        "processed",
    ),
    Metric(
        "not_rescheduled",
        "Tỷ lệ hồ sơ không phải hẹn lại",
        Feed.DOSSIER,
        Basis.COMPLETED,
        "not_rescheduled",
        "processed",
        known="rescheduled_known",
    ),
    Metric(
        "online_dossier",
        "Tỷ lệ hồ sơ nộp trực tuyến",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "online",
        "received",
    ),
    Metric(
        "fully_online_dossier",
        "Tỷ lệ hồ sơ trực tuyến toàn trình",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "fully_online",
        "received",
        known="fully_online_known",
    ),
    Metric(
        "digitized_components",
        "Tỷ lệ hồ sơ được số hóa",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "digitized",
        "received",
        known="digitized_known",
    ),
    Metric(
        "electronic_results",
        "Tỷ lệ cấp kết quả giải quyết điện tử",
        Feed.DOSSIER,
        Basis.COMPLETED,
        "e_result",
        "processed",
        known="e_result_known",
    ),
    Metric(
        "reuse_digitized",
        "Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "reused",
        "received",
        known="reused_known",
    ),
    Metric(
        "paid_online",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "paid",
        "received",
        known="paid_known",
    ),
    Metric(
        "feedback_ontime",
        "Tỷ lệ phản ánh, kiến nghị xử lý đúng hạn",
        Feed.FEEDBACK,
        Basis.RESOLVED,
        "on_time",
        "resolved",
    ),
    Metric(
        "complaint_ontime",
        "Tỷ lệ giải quyết khiếu nại, tố cáo đúng hạn",
        Feed.FEEDBACK,
        Basis.RESOLVED,
        "on_time",
        "resolved",
        kinds=frozenset({FeedbackKind.COMPLAINT, FeedbackKind.DENUNCIATION}),
    ),
    Metric(
        "feedback_satisfied",
        "Tỷ lệ người phản ánh hài lòng với kết quả",
        Feed.FEEDBACK,
        Basis.RESOLVED,
        "satisfied",
        "answered",
    ),
)
METRICS_BY_CODE = {m.code: m for m in METRICS}

FEED_NAMES = {
    Feed.DOSSIER: "hồ sơ TTHC",
    Feed.FEEDBACK: "phản ánh, kiến nghị",
    Feed.REGISTER: "sổ theo dõi",
}


def format_figure(value: float | None, *, percent: bool) -> str:
    """A figure as the unit's pages write it: ``97,5%``."""
    return "—" if value is None else format_number_vi(value, 1) + ("%" if percent else "")


def conflict_text(*, feed_name: str, computed: float, reported: float | None, percent: bool) -> str:
    """One sentence for the unit: both figures of a key, and which one counts."""
    return (
        f"Số liệu tự tính từ {feed_name}: {format_figure(computed, percent=percent)} — đơn vị "
        f"nhập: {format_figure(reported, percent=percent)}; số tự tính được dùng"
    )


def conflict_note(*, indicator: str, computed: float, reported: float | None, percent: bool) -> str:
    """The flag a unit's workspace and the review show where a feed's figure overrides the
    unit's (the SIPAS index is computed from survey answers, not from a feed)."""
    metric = METRICS_BY_CODE.get(indicator)
    name = FEED_NAMES[metric.feed] if metric is not None else "dữ liệu gốc"
    return conflict_text(feed_name=name, computed=computed, reported=reported, percent=percent)


def rate(numerator: float, denominator: float) -> float | None:
    """Percent, or ``None`` when there is nothing to count (never a 0% for an empty month)."""
    if denominator <= 0:
        return None
    return numerator / denominator * 100


def on_time(completed_at: datetime | None, due_at: datetime) -> bool | None:
    """Early or on time counts as on time; ``None`` while the record is still open."""
    if completed_at is None:
        return None
    return completed_at <= due_at


def dossier_status(
    *, due_at: datetime, completed_at: datetime | None, now: datetime
) -> DossierStatus:
    if completed_at is not None:
        return DossierStatus.ON_TIME if completed_at <= due_at else DossierStatus.LATE
    return DossierStatus.OVERDUE if now > due_at else DossierStatus.PROCESSING
