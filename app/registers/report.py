"""The registers' part of the monthly consolidated report: what each register says about the
period, in the sentences the committee's meeting reads.

Conclusions: the Văn phòng's tally (due, done on time, late, not done) and every overdue item;
initiatives: proposed and recognised in the period; training: the courses held and how many
officials attended. Made from the same service reads as the register pages.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_
from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.formatting import format_number
from app.periods import Period, format_date_vi
from app.registers import conclusions
from app.registers.models import Initiative, TrainingCourse
from app.registers.specs import CONCLUSIONS, INITIATIVES, TRAINING


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


def sections(
    *, db_session: Session, actor: Actor, clock: Clock, period: str
) -> list[RegisterSection]:
    """The period's sections, for a ward whose session the report is built in."""
    if actor.ward_id is None:
        return []
    p = Period.parse(period)
    return [
        _conclusions(db_session, actor, clock, p),
        _initiatives(db_session, p),
        _training(db_session, p),
    ]
