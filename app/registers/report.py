"""The registers' part of the monthly consolidated report: what each register says about the
period, in the sentences the committee's meeting reads.

Conclusions: the Văn phòng's tally (due, done on time, late, not done) and every overdue item;
initiatives: proposed and recognised in the period; inspections: held in the period, and the
findings still to remedy (overdue first); socio-economic targets: each target's figure and share
of its plan at the period's end; investment: capital disbursed and revenue collected to date, and
the key projects' difficulties; training: the courses held and how many officials attended.
Made from the same rows and counts as the register pages and the indicators they compute.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.formatting import format_number, format_percent
from app.periods import Period, format_date_vi
from app.registers import conclusions, figures
from app.registers.models import (
    Initiative,
    Inspection,
    InspectionFinding,
    InvestmentItem,
    SocioeconomicTarget,
    TrainingCourse,
)
from app.registers.specs import CONCLUSIONS, INITIATIVES, TRAINING
from app.registers.specs_monitoring import INSPECTIONS, INVESTMENT, TARGETS


class RegisterSection(BaseModel):
    title: str
    lines: list[str]


def _between(column: Any, start: date, end: date) -> Any:
    return and_(col(column) >= start, col(column) <= end)


def _conclusions(db_session: Session, actor: Actor, clock: Clock, p: Period) -> RegisterSection:
    t = conclusions.tally(db_session=db_session, actor=actor, clock=clock, period=str(p))
    lines = [
        f"Đến hạn trong kỳ: {t.due}; hoàn thành đúng hạn: {t.done_on_time}; hoàn thành trễ "
        f"hạn: {t.done_late}; chưa hoàn thành: {t.not_done}. Quá hạn từ các kỳ trước còn "
        f"tồn: {t.carried_overdue}."
    ]
    lines += [
        f"Quá hạn {o.days_overdue} ngày — {o.code} ({o.unit}, hạn {format_date_vi(o.deadline)}): "
        f"{o.content[:200]}"
        for o in t.overdue[:20]
    ]
    if len(t.overdue) > 20:
        lines.append(f"… và {len(t.overdue) - 20} mục quá hạn khác (xem sổ theo dõi).")
    return RegisterSection(title=CONCLUSIONS.title, lines=lines)


def _initiatives(db_session: Session, p: Period) -> RegisterSection:
    start, end = p.start_date, p.end_date
    proposed = db_session.exec(
        select(Initiative).where(_between(Initiative.proposed_on, start, end))
    ).all()
    recognized = db_session.exec(
        select(Initiative).where(_between(Initiative.recognized_on, start, end))
    ).all()
    lines = [f"Đề xuất mới trong kỳ: {len(proposed)}; được công nhận: {len(recognized)}."]
    lines += [f"Được công nhận — {r.title[:200]} ({r.decision or 'chưa ghi văn bản'})."
              for r in recognized]  # fmt: skip
    return RegisterSection(title=INITIATIVES.title, lines=lines)


def _training(db_session: Session, p: Period) -> RegisterSection:
    courses = db_session.exec(
        select(TrainingCourse)
        .where(_between(TrainingCourse.starts_on, p.start_date, p.end_date))
        .order_by(col(TrainingCourse.starts_on))
    ).all()
    people = sum(len(c.attendees) for c in courses)
    hours = sum((c.hours or 0) * len(c.attendees) for c in courses)
    lines = [
        f"Khóa đào tạo, bồi dưỡng trong kỳ: {len(courses)}; lượt người tham dự: {people}; "
        f"tổng số giờ học: {format_number(hours)}."
    ]
    lines += [f"{c.title[:200]} ({format_date_vi(c.starts_on)}): {len(c.attendees)} người."
              for c in courses]  # fmt: skip
    return RegisterSection(title=TRAINING.title, lines=lines)


def _inspections(db_session: Session, p: Period, today: date) -> RegisterSection:
    held = db_session.exec(
        select(Inspection)
        .where(_between(Inspection.done_on, p.start_date, p.end_date))
        .order_by(col(Inspection.done_on))
    ).all()
    open_rows = db_session.exec(
        select(InspectionFinding)
        .where(InspectionFinding.state == "open")
        .order_by(col(InspectionFinding.deadline), col(InspectionFinding.code))
    ).all()
    judge = min(p.end_date, today)
    late = [f for f in open_rows if f.deadline is not None and f.deadline < judge]
    lines = [
        f"Cuộc kiểm tra thực hiện trong kỳ: {len(held)}; tồn tại, kiến nghị chưa khắc phục: "
        f"{len(open_rows)}, trong đó quá hạn: {len(late)}."
    ]
    lines += [f"Đã kiểm tra — {i.title[:200]} ({format_date_vi(i.done_on)})"  # type: ignore[arg-type]
              + (f": {i.conclusion}" if i.conclusion else ".") for i in held]  # fmt: skip
    lines += [f"Quá hạn khắc phục — {f.code} (hạn {format_date_vi(f.deadline)}): "  # type: ignore[arg-type]
              f"{f.content[:200]}" for f in late[:20]]  # fmt: skip
    return RegisterSection(title=INSPECTIONS.title, lines=lines)


def _targets(db_session: Session, p: Period, today: date) -> RegisterSection:
    year = p.end_date.year
    last = min(figures.month_of(p.end_date), figures.last_month(year, today))
    rows = db_session.exec(
        select(SocioeconomicTarget)
        .where(SocioeconomicTarget.year == year)
        .order_by(col(SocioeconomicTarget.code))
    ).all()
    ratio = figures.targets_met(rows, year, last)
    lines = [ratio.note if ratio else f"Chưa có số liệu thực hiện chỉ tiêu năm {year}."]
    for r in rows[:60]:
        f = figures.target_figure(r, last)
        done = "chưa có số liệu" if f.actual is None else (
            f"thực hiện {format_number(f.actual)} {r.measure}".rstrip()
            + (f", đạt {format_percent(f.achieved)} kế hoạch" if f.achieved is not None else "")
            + (" — đạt" if f.met else " — chưa đạt")
        )  # fmt: skip
        lines.append(
            f"{r.title[:160]}: kế hoạch {format_number(r.plan_value)} {r.measure}; {done}."
        )
    return RegisterSection(title=TARGETS.title, lines=lines)


def _investment(db_session: Session, p: Period, today: date) -> RegisterSection:
    year = p.end_date.year
    last = min(figures.month_of(p.end_date), figures.last_month(year, today))
    rows = db_session.exec(
        select(InvestmentItem).where(InvestmentItem.year == year).order_by(col(InvestmentItem.code))
    ).all()
    paid = figures.disbursed(rows, year, last)
    lines = [paid.note if paid else f"Chưa có số liệu giải ngân vốn đầu tư công năm {year}."]
    collected = figures.revenue(rows, last)
    if collected is not None:
        share = figures.share(collected[0], collected[1])
        lines.append(
            f"Thu ngân sách lũy kế {format_number(collected[0])}/{format_number(collected[1])} "
            f"triệu đồng dự toán" + (f" ({format_percent(share)})." if share is not None else ".")
        )
    for r in rows:
        if r.kind == "project" and r.priority == "key" and (r.difficulties or r.proposals):
            text = f"Công trình trọng điểm — {r.title[:160]}: {r.difficulties[:300]}"
            lines.append(text + (f" Đề xuất: {r.proposals[:300]}" if r.proposals else ""))
    return RegisterSection(title=INVESTMENT.title, lines=lines)


def sections(
    *, db_session: Session, actor: Actor, clock: Clock, period: str
) -> list[RegisterSection]:
    """The period's sections, for a ward whose session the report is built in."""
    if actor.ward_id is None:
        return []
    p = Period.parse(period)
    today = clock.today()
    return [
        _conclusions(db_session, actor, clock, p),
        _initiatives(db_session, p),
        _inspections(db_session, p, today),
        _targets(db_session, p, today),
        _investment(db_session, p, today),
        _training(db_session, p),
    ]
