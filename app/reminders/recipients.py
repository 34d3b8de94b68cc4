"""Who a unit's messages go to: its reporters, and after the due date its head and coordinators.

Kept apart from the reminder pass so the reporting cycle can address a returned report's people
without importing the pass (which itself reads the reporting cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.accounts.models import User
from app.permissions import Role
from app.units.models import Unit


@dataclass(frozen=True)
class Recipients:
    to: list[User]
    cc: list[User]


def recipients_for(*, db_session: Session, unit: Unit, copy_heads: bool) -> Recipients:
    """Addressed: the unit's active reporters (and coordinators who report for it). Copied after
    the due date: the unit's head — its active users with the viewer (“Lãnh đạo”) role — and
    every active coordinator."""
    users = list(db_session.exec(select(User).where(col(User.active)).order_by(col(User.username))))
    to = [u for u in users if u.unit_id == unit.id and u.role in (Role.REPORTER, Role.COORDINATOR)]
    cc: list[User] = []
    if copy_heads:
        heads = [u for u in users if u.unit_id == unit.id and u.role == Role.VIEWER]
        coordinators = [u for u in users if u.role == Role.COORDINATOR]
        seen = {u.id for u in to}
        for user in heads + coordinators:
            if user.id not in seen:
                seen.add(user.id)
                cc.append(user)
    return Recipients(to=to, cc=cc)


def coordinating_office(db_session: Session, *, unit_id: int | None) -> list[User]:
    """Who decides a unit's request about its approved report: the active coordinators and
    admins of the plan's coordinating unit (Phòng Văn hóa - Xã hội); every active coordinator
    when the plan names no such unit, so a request never goes unheard."""
    users = list(db_session.exec(select(User).where(col(User.active)).order_by(col(User.username))))
    if unit_id is None:
        return [u for u in users if u.role == Role.COORDINATOR]
    return [u for u in users if u.unit_id == unit_id and u.role in (Role.COORDINATOR, Role.ADMIN)]
