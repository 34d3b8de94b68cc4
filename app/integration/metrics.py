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

from app.integration.models import DossierStatus, FeedbackKind


class Feed(StrEnum):
    DOSSIER = "dossier"
    FEEDBACK = "feedback"


class Basis(StrEnum):
    """Which day puts a record in a period."""

    COMPLETED = "completed"  # the dossier's result (on time? electronic?)
    RECEIVED = "received"  # how the dossier came in (online? digitised?)
    RESOLVED = "resolved"  # the feedback's answer


#: Counters per (unit, domain) group; each metric divides two of them.
DOSSIER_COMPLETED_COUNTERS = ("processed", "on_time", "e_result", "not_rescheduled")
DOSSIER_RECEIVED_COUNTERS = ("received", "online", "fully_online", "digitized", "reused", "paid")
FEEDBACK_COUNTERS = ("resolved", "on_time", "answered", "satisfied")


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    feed: Feed
    basis: Basis
    numerator: str
    denominator: str
    kinds: frozenset[str] | None = None  # feedback kinds counted; None: all

    def describe(self, denominator: float) -> str:
        """The note a computed reading carries: where its numbers come from."""
        what = "hồ sơ TTHC" if self.feed == Feed.DOSSIER else "phản ánh, kiến nghị"
        when = {
            Basis.COMPLETED: "giải quyết xong trong kỳ",
            Basis.RECEIVED: "tiếp nhận trong kỳ",
            Basis.RESOLVED: "xử lý xong trong kỳ",
        }[self.basis]
        return f"Tự tính từ {denominator:g} {what} {when}."


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
    ),
    Metric(
        "digitized_components",
        "Tỷ lệ hồ sơ được số hóa",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "digitized",
        "received",
    ),
    Metric(
        "electronic_results",
        "Tỷ lệ cấp kết quả giải quyết điện tử",
        Feed.DOSSIER,
        Basis.COMPLETED,
        "e_result",
        "processed",
    ),
    Metric(
        "reuse_digitized",
        "Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "reused",
        "received",
    ),
    Metric(
        "paid_online",
        "Tỷ lệ hồ sơ thanh toán trực tuyến",
        Feed.DOSSIER,
        Basis.RECEIVED,
        "paid",
        "received",
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
