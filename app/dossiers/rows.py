"""The rows of a dossier or feedback file: their columns, and each row read into a checked record.

Every field that is wrong, or contradicts another, is reported at once (``RowProblems``), so a
sender fixes a row in one go; the importer and the mapping profiles' preview read rows alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.dossiers.models import (
    DossierChannel,
    FeedbackChannel,
    FeedbackKind,
)
from app.dossiers.records import (
    FLAG_SPELLINGS,
    UNKNOWN_SPELLINGS,
    Moment,
    RowProblems,
    check_not_future,
    check_order,
    check_unknown,
    parse_choice,
    parse_code,
    parse_flag,
    parse_moment,
    parse_record_code,
    parse_text,
    take,
)

DOSSIER_COLUMNS = (
    "code",
    "unit",
    "procedure_code",
    "procedure_name",
    "domain",
    "channel",
    "received_at",
    "due_at",
    "completed_at",
    "returned_at",
    "rescheduled",
    "fully_online",
    "digitized",
    "e_result",
    "reused_data",
    "paid_online",
)
DOSSIER_REQUIRED = ("code", "unit", "domain", "channel", "received_at", "due_at")
FEEDBACK_COLUMNS = (
    "code",
    "unit",
    "channel",
    "kind",
    "received_at",
    "due_at",
    "resolved_at",
    "satisfied",
)
FEEDBACK_REQUIRED = ("code", "unit", "channel", "kind", "received_at", "due_at")
_DOSSIER_ALLOWED = frozenset(DOSSIER_COLUMNS)
_FEEDBACK_ALLOWED = frozenset(FEEDBACK_COLUMNS)

FLAG_FIELDS = ("rescheduled", "fully_online", "digitized", "e_result", "reused_data", "paid_online")


# --- rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DossierRow:
    code: str
    unit: str
    domain: str
    procedure_code: str
    procedure_name: str
    channel: str
    received: Moment
    due: Moment
    completed: Moment | None
    returned: Moment | None
    flags: dict[str, bool | None]  # only the flags the feed carries; None: said to be unknown


def _flag(problems: RowProblems, values: dict[str, Any], name: str) -> bool | None:
    """A yes/no column: the spellings systems send are answered at once, the rest parsed. An
    empty CSV cell is "no" (as documented); a JSON ``null`` or "không rõ" is "unknown"."""
    raw = values.get(name)
    if raw is None:
        return None if name in values else False
    if isinstance(raw, str) and raw.strip().lower() in UNKNOWN_SPELLINGS:
        return None
    exact = FLAG_SPELLINGS.get(raw) if isinstance(raw, str) else None
    if exact is not None:
        return exact
    return bool(take(problems, values, name, parse_flag, default=False))


def parse_dossier(
    values: dict[str, Any], *, now: datetime, carried: frozenset[str] | None = None
) -> DossierRow:
    """A dossier row, or ``Invalid`` listing every field that is wrong or contradicts another.

    ``carried``: the columns of a CSV file's header. A flag column the file does not carry (or
    a key a JSON row leaves out) is not a "no": the row says nothing about it, so a new record
    stores NULL (unknown) there and an existing one keeps what it had.
    """
    p = RowProblems()
    check_unknown(p, values, _DOSSIER_ALLOWED)
    code = take(p, values, "code", parse_record_code, required=True)
    unit = take(p, values, "unit", parse_code, required=True)
    domain = take(p, values, "domain", parse_code, required=True)
    procedure_code = take(
        p, values, "procedure_code", lambda v: parse_text(v, max_length=64), default=""
    )
    procedure_name = take(
        p, values, "procedure_name", lambda v: parse_text(v, max_length=500), default=""
    )
    channel = take(p, values, "channel", lambda v: parse_choice(v, DossierChannel), required=True)
    received = take(p, values, "received_at", parse_moment, required=True)
    due = take(p, values, "due_at", lambda v: parse_moment(v, end_of_day=True), required=True)
    completed = take(p, values, "completed_at", parse_moment)
    returned = take(p, values, "returned_at", parse_moment)
    flags = {
        name: _flag(p, values, name)
        for name in FLAG_FIELDS
        if (name in carried if carried is not None else name in values)
    }
    _check_dossier(p, values, channel, (received, due, completed, returned), flags=flags, now=now)
    p.raise_if_any()
    return DossierRow(
        code=code,
        unit=unit,
        domain=domain,
        procedure_code=procedure_code,
        procedure_name=procedure_name,
        channel=channel,
        received=received,
        due=due,
        completed=completed,
        returned=returned,
        flags=flags,
    )


def _check_dossier(
    p: RowProblems,
    values: dict[str, Any],
    channel: str | None,
    moments: tuple[Moment | None, Moment | None, Moment | None, Moment | None],
    *,
    flags: dict[str, bool | None],
    now: datetime,
) -> None:
    """What no single field shows: dates out of order, a result before the work was done, a
    fully online dossier handed in at the desk, a day still to come."""
    received, due, completed, returned = moments
    check_order(
        p,
        received,
        due,
        field_name="due_at",
        code="due_before_received",
        message="Ngày hẹn trả kết quả không được trước ngày tiếp nhận hồ sơ.",
    )
    check_order(
        p,
        received,
        completed,
        field_name="completed_at",
        code="completed_before_received",
        message="Ngày giải quyết xong không được trước ngày tiếp nhận hồ sơ.",
    )
    check_order(
        p,
        received,
        returned,
        field_name="returned_at",
        code="returned_before_received",
        message="Ngày trả kết quả không được trước ngày tiếp nhận hồ sơ.",
    )
    check_order(
        p,
        completed,
        returned,
        field_name="returned_at",
        code="returned_before_completed",
        message="Ngày trả kết quả không được trước ngày giải quyết xong.",
    )
    if returned is not None and completed is None:
        p.add(
            "completed_at",
            "returned_without_completed",
            "Hồ sơ đã trả kết quả thì phải có ngày giải quyết xong (completed_at).",
        )
    if flags.get("e_result") and completed is None and "completed_at" not in values:
        p.add(
            "e_result",
            "result_not_issued",
            "Hồ sơ chưa giải quyết xong thì chưa thể có kết quả điện tử.",
        )
    if flags.get("fully_online") and channel not in (None, DossierChannel.ONLINE):
        p.add(
            "fully_online",
            "not_online",
            "Hồ sơ trực tuyến toàn trình phải được nộp trực tuyến (channel=online).",
        )
    for name, moment in (
        ("received_at", received),
        ("completed_at", completed),
        ("returned_at", returned),
    ):
        check_not_future(p, moment, field_name=name, now=now)


@dataclass(frozen=True)
class FeedbackRow:
    code: str
    unit: str
    channel: str
    kind: str
    received: Moment
    due: Moment
    resolved: Moment | None
    satisfied: bool | None


def parse_feedback(values: dict[str, Any], *, now: datetime) -> FeedbackRow:
    """A feedback row, or ``Invalid`` listing every field that is wrong or contradicts another."""
    p = RowProblems()
    check_unknown(p, values, _FEEDBACK_ALLOWED)
    code = take(p, values, "code", parse_record_code, required=True)
    unit = take(p, values, "unit", parse_code, required=True)
    channel = take(p, values, "channel", lambda v: parse_choice(v, FeedbackChannel), required=True)
    kind = take(p, values, "kind", lambda v: parse_choice(v, FeedbackKind), required=True)
    received = take(p, values, "received_at", parse_moment, required=True)
    due = take(p, values, "due_at", lambda v: parse_moment(v, end_of_day=True), required=True)
    resolved = take(p, values, "resolved_at", parse_moment)
    satisfied = take(p, values, "satisfied", parse_flag)
    check_order(
        p,
        received,
        due,
        field_name="due_at",
        code="due_before_received",
        message="Hạn xử lý không được trước ngày tiếp nhận.",
    )
    check_order(
        p,
        received,
        resolved,
        field_name="resolved_at",
        code="resolved_before_received",
        message="Ngày xử lý xong không được trước ngày tiếp nhận.",
    )
    if satisfied is not None and resolved is None and "resolved_at" not in values:
        p.add(
            "satisfied",
            "not_resolved",
            "Chưa xử lý xong thì chưa có đánh giá hài lòng: bỏ trống satisfied.",
        )
    for name, moment in (("received_at", received), ("resolved_at", resolved)):
        check_not_future(p, moment, field_name=name, now=now)
    p.raise_if_any()
    return FeedbackRow(code, unit, channel, kind, received, due, resolved, satisfied)
