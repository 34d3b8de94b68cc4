"""The messages of a reopen request: to the coordinating office when a unit asks, to the unit's
reporters when the office grants or refuses, with the reason and the comment.

Queued with ``returns.queue_message`` in the caller's transaction, so a step is never recorded
without its message, nor the message without the step.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.names import names_for
from app.periods import Period
from app.plans.models import Plan
from app.reminders import returns
from app.reminders.recipients import coordinating_office, recipients_for
from app.reporting.reopen_models import ReopenRequest, ReopenRequestRead, ReopenStatus
from app.units.models import Unit


def message_kind(prefix: str, number: int) -> str:
    """``asked-2``, ``granted-2``, ``refused-2``: one row of the log per request and step."""
    return f"{prefix}-{number}"


_PREFIX = {ReopenStatus.PENDING: "asked", ReopenStatus.GRANTED: "granted"}


def kind_of(result: ReopenRequestRead) -> str:
    """The message a step just queued, named for sending its e-mail after the response."""
    return message_kind(_PREFIX.get(result.status, "refused"), result.number)


def tell_office(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: Plan,
    unit: Unit,
    period: Period,
    row: ReopenRequest,
    due_date: date,
    by_email: bool,
) -> None:
    who = names_for(db_session).person(actor.username)
    people = [
        u
        for u in coordinating_office(db_session, unit_id=plan.coordinator_unit_id)
        if u.username != actor.username
    ]
    returns.queue_message(
        db_session=db_session,
        actor=actor,
        clock=clock,
        message=returns.Message(
            plan_id=_id(plan),
            unit=unit,
            period=period,
            due_date=due_date,
            kind=message_kind("asked", row.number),
            title=f"{unit.short_name or unit.name} đề nghị mở lại báo cáo {period.label_vi}",
            body="\n".join(
                [
                    f"{who} ({unit.name}) đề nghị mở lại báo cáo {period.label_vi} đã duyệt.",
                    f"Lý do: “{row.reason}”",
                    "",
                    "Hãy xem và đồng ý hoặc từ chối đề nghị trên trang duyệt báo cáo.",
                ]
            ),
            link=f"/review/{unit.code}/{period}",
        ),
        people=people,
        by_email=by_email,
    )


def tell_unit(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: Plan,
    unit: Unit,
    period: Period,
    row: ReopenRequest,
    due_date: date,
    by_email: bool,
) -> None:
    who = names_for(db_session).person(actor.username)
    name = unit.short_name or unit.name
    granted = row.status == ReopenStatus.GRANTED
    if granted:
        title = f"Đề nghị mở lại báo cáo {period.label_vi} của {name} được đồng ý"
        lines = [
            f"{who} đã đồng ý mở lại báo cáo {period.label_vi} của {unit.name}.",
            f"Lý do đơn vị nêu: “{row.reason}”",
        ]
    else:
        title = f"Đề nghị mở lại báo cáo {period.label_vi} của {name} bị từ chối"
        lines = [
            f"{who} đã từ chối đề nghị mở lại báo cáo {period.label_vi} của {unit.name}.",
            f"Lý do đơn vị nêu: “{row.reason}”",
        ]
    if row.decision_comment:
        lines.append(f"Ý kiến của bộ phận điều phối: “{row.decision_comment}”")
    lines += [
        "",
        "Hãy sửa số liệu rồi bấm “Gửi báo cáo” lần nữa."
        if granted
        else "Báo cáo vẫn giữ nguyên như đã duyệt.",
    ]
    returns.queue_message(
        db_session=db_session,
        actor=actor,
        clock=clock,
        message=returns.Message(
            plan_id=_id(plan),
            unit=unit,
            period=period,
            due_date=due_date,
            kind=message_kind("granted" if granted else "refused", row.number),
            title=title,
            body="\n".join(lines),
            link=f"/units/{unit.code}/periods/{period}",
        ),
        people=recipients_for(db_session=db_session, unit=unit, copy_heads=False).to,
        by_email=by_email,
    )


def _id(plan: Plan) -> int:
    assert plan.id is not None
    return plan.id
