"""“Chép từ kỳ trước”: the previous period's answers offered for this one, never written by itself.

A carried answer is a proposal: the page puts it in the row's fields marked as carried, and it
counts as reported only once the officer saves the row ("Lưu" or "Lưu tất cả"), which is the
confirmation. Nothing here writes, so an unconfirmed carry can never reach a report, a score or the
completeness matrix. Computed readings are not carried: the feeds fill them for each period.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from sqlmodel import Session

from app import formatting
from app.actors import Actor
from app.clock import Clock
from app.errors import Conflict
from app.kpis.models import ReadingRead, ReadingSource
from app.permissions import Permission, authorize
from app.progress.models import ProgressRead
from app.reporting import workspace
from app.reporting.save_all import reading_key


class CarriedRow(BaseModel):
    """One row's previous answer, as the row's form fields hold it (numbers as typed: ``98,5``)."""

    kind: str = Field(examples=["task"])
    key: str = Field(description="The task's code, or `indicator` / `indicator/domain`.")
    dom_id: str
    empty: bool = Field(description="The row has no answer for this period yet.")
    fields: dict[str, str]


class CarryProposal(BaseModel):
    period: str
    previous_period: str | None
    rows: list[CarriedRow]


def task_fields(previous: ProgressRead) -> dict[str, str]:
    percent = previous.percent_complete
    return {
        "status": previous.status,
        "percent_complete": ""
        if percent is None or previous.status != "in_progress"
        else str(percent),
        "result": previous.result,
        "difficulties": previous.difficulties,
        "proposals": previous.proposals,
        "evidence": previous.evidence,
    }


def form_reading(reading: ReadingRead) -> dict[str, str]:
    """A stored reading as its row's fields show it (also the other side of a conflict)."""

    def number(value: float | None) -> str:
        return "" if value is None else formatting.format_input(value)

    return {
        "value": "" if reading.numerator is not None else number(reading.value),
        "numerator": number(reading.numerator),
        "denominator": number(reading.denominator),
        "note": reading.note,
        "evidence_url": reading.evidence_url or "",
    }


def reading_fields(previous: ReadingRead) -> dict[str, str] | None:
    """The unit's own figure of last period; ``None`` for a computed one (feeds fill it)."""
    if previous.source == ReadingSource.COMPUTED:
        return None
    return form_reading(previous)


def rows_of(ws: workspace.Workspace) -> list[CarriedRow]:
    """The carry of a workspace built ``with_previous``: every row that had an answer last time."""
    found: list[CarriedRow] = []
    for row in ws.tasks:
        if row.previous is not None:
            found.append(
                CarriedRow(
                    kind="task",
                    key=row.task.code,
                    dom_id=row.dom_id,
                    empty=row.empty,
                    fields=task_fields(row.previous),
                )
            )
    for kpi in ws.indicators:
        fields = reading_fields(kpi.previous) if kpi.previous is not None else None
        if fields is not None:
            domain = kpi.domain.code if kpi.domain else None
            found.append(
                CarriedRow(
                    kind="reading",
                    key=reading_key(kpi.indicator.code, domain),
                    dom_id=kpi.dom_id,
                    empty=kpi.empty,
                    fields=fields,
                )
            )
    return found


def ensure_can_carry(*, actor: Actor, ws: workspace.Workspace) -> None:
    """Only the unit's own writers, and never into a period that is sent or approved."""
    authorize(actor, Permission.DATA_WRITE, unit_code=ws.unit.code)
    if ws.locked:
        raise Conflict(
            f"Báo cáo {ws.period.label_vi} đã được duyệt, số liệu đã khóa: không chép từ kỳ "
            f"trước được. Nếu cần sửa, hãy đề nghị {ws.coordinator_name} mở lại báo cáo.",
            code="period_locked",
        )
    if ws.read_only:
        raise Conflict(
            f"Báo cáo {ws.period.label_vi} đã gửi và đang chờ duyệt, số liệu tạm khóa: không "
            f"chép từ kỳ trước được. Nếu cần sửa, hãy đề nghị {ws.coordinator_name} trả lại "
            "báo cáo.",
            code="period_locked",
        )


def proposal(
    *, db_session: Session, actor: Actor, clock: Clock, unit: str, period: str
) -> CarryProposal:
    """The previous period's answers for this unit's period, to confirm row by row or at once."""
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    ws = workspace.build(
        db_session=db_session,
        actor=actor,
        clock=clock,
        unit_code=unit,
        period=period,
        with_previous=True,
    )
    ensure_can_carry(actor=actor, ws=ws)
    return CarryProposal(
        period=str(ws.period),
        previous_period=str(ws.previous_period) if ws.previous_period else None,
        rows=rows_of(ws),
    )
