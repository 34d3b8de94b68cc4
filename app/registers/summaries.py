"""What a register's pages say beyond its rows: the ward's figure of the year above the targets'
and the investment's lists (the same count as the indicator they compute), the findings under
their inspection, and a computed value as the page writes it (``98,5``, ``Đạt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.formatting import format_number, format_percent
from app.permissions import Permission, can
from app.registers import figures, service
from app.registers.models import InspectionFinding, InvestmentItem, SocioeconomicTarget
from app.registers.spec import RegisterSpec
from app.registers.specs_monitoring import FINDINGS, INSPECTIONS, INVESTMENT, TARGETS


def extra_shown(name: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Đạt" if value else "Chưa đạt"
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def ward_summary(
    spec: RegisterSpec, db_session: Session, actor: Actor, clock: Clock, year: int | None
) -> str:
    """The year's figure of the whole ward, for those who read every unit's rows."""
    if spec not in (TARGETS, INVESTMENT) or not can(actor, Permission.READ_ALL):
        return ""
    year = year or clock.today().year
    last = figures.last_month(year, clock.today())
    if spec is TARGETS:
        targets = db_session.exec(
            select(SocioeconomicTarget).where(SocioeconomicTarget.year == year)
        ).all()
        ratio = figures.targets_met(targets, year, last)
        if ratio is None:
            return f"Năm {year}: chưa có số liệu thực hiện."
        return (
            f"Năm {year}: {format_number(ratio.numerator)}/{format_number(ratio.denominator)} "
            f"chỉ tiêu đạt kế hoạch ({format_percent(ratio.numerator / ratio.denominator * 100)}) "
            f"tính đến hết tháng {figures.month_label(last)}."
        )
    items = db_session.exec(select(InvestmentItem).where(InvestmentItem.year == year)).all()
    parts = []
    paid = figures.disbursed(items, year, last)
    if paid is not None:
        parts.append(
            f"giải ngân {format_number(paid.numerator)}/{format_number(paid.denominator)} triệu "
            f"đồng ({format_percent(paid.numerator / paid.denominator * 100)})"
        )
    collected = figures.revenue(items, last)
    if collected is not None:
        done, estimate = collected
        share = figures.share(done, estimate)
        parts.append(
            f"thu ngân sách {format_number(done)}/{format_number(estimate)} triệu đồng"
            + (f" ({format_percent(share)} dự toán)" if share is not None else "")
        )
    if not parts:
        return f"Năm {year}: chưa có số liệu giải ngân, thu ngân sách."
    return f"Năm {year}, đến hết tháng {figures.month_label(last)}: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class Children:
    """The rows that belong under another (an inspection's findings)."""

    title: str
    singular: str
    base: str
    add: str
    rows: list[Any]

    def state(self, key: str) -> str:
        return FINDINGS.field("state").labels.get(key, key)


def children(
    spec: RegisterSpec, db_session: Session, actor: Actor, clock: Clock | None, row: Any
) -> Children | None:
    """An inspection's findings (the first 200 by code), read as the register's list reads them:
    one query whatever their number, and an officer sees only the own unit's (the list's unit
    filter; reading one by one refused another unit's with ``Forbidden``). The title counts
    every finding of the inspection, as it did when they were read one by one."""
    if spec is not INSPECTIONS or row is None or clock is None:
        return None
    total = db_session.exec(
        select(func.count()).where(InspectionFinding.inspection == row.code)
    ).one()
    rows, _ = service.list_rows(
        FINDINGS, db_session=db_session, actor=actor, clock=clock,
        filters=service.Filters(inspection=row.code), limit=200,
    )  # fmt: skip
    rows.sort(key=lambda r: str(getattr(r, "code", "")))
    return Children(
        title=f"Tồn tại, kiến nghị sau cuộc kiểm tra ({total})",
        singular=FINDINGS.singular,
        base=f"/so-theo-doi/{FINDINGS.slug}",
        add=f"/so-theo-doi/{FINDINGS.slug}/moi?inspection={row.code}",
        rows=rows,
    )
