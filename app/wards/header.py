"""What the top bar shows about where the user is working: the ward, and the plan chosen.

Read once per page from the request's (ward-scoped) session; a city account without a ward chosen
gets the list of wards instead of plans.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlmodel import Session, col, select

from app import tenancy
from app.errors import AppError
from app.plans import service as plan_service
from app.plans.models import Plan
from app.wards.models import Ward


@dataclass(frozen=True)
class Choice:
    code: str
    label: str


@dataclass(frozen=True)
class WardHeader:
    ward_code: str | None
    ward_name: str
    plan_code: str | None
    plans: list[Choice] = field(default_factory=list)
    #: For the city's accounts: every ward, to open one.
    wards: list[Choice] = field(default_factory=list)


def plan_label(plan: Plan) -> str:
    years = (
        str(plan.first_year)
        if plan.first_year == plan.last_year
        else f"{plan.first_year}–{plan.last_year}"
    )
    return f"Kế hoạch {plan.number} ({years})"


#: Headers kept per process for a few seconds: a page whose credential is kept runs no SQL at
#: all (issue #20), and the top bar's ward and plans change a few times a year. This process's
#: own changes to plans or wards clear it at commit; another worker's show within the TTL.
_TTL = 30.0
_KEPT: dict[tuple[Any, ...], tuple[float, WardHeader]] = {}
_DIRTY = "partrack.ward_header_dirty"


@event.listens_for(Session, "before_flush")
def _note_plan_changes(session: Session, _context: Any, _instances: Any) -> None:
    if any(
        isinstance(row, (Plan, Ward)) for row in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_DIRTY] = True


@event.listens_for(Session, "after_commit")
def _forget_headers(session: Session) -> None:
    if session.info.pop(_DIRTY, False):
        _KEPT.clear()


def forget() -> None:
    """Drop every kept header (a database emptied under a running process: the tests)."""
    _KEPT.clear()


def _key(db_session: Session, city: bool) -> tuple[Any, ...]:
    scope = tenancy.scope_of(db_session)
    if scope is None:
        return (city, None, None, None, None)
    return (city, scope.ward_id, scope.plan_code, scope.remembered_plan, scope.today)


def kept_header(db_session: Session, *, city: bool) -> WardHeader | None:
    """The header if this process read it in the last seconds: no query, no thread."""
    kept = _KEPT.get(_key(db_session, city))
    return kept[1] if kept is not None and kept[0] > time.monotonic() else None


def header_for(db_session: Session, *, city: bool) -> WardHeader:
    key = _key(db_session, city)
    now = time.monotonic()
    kept = _KEPT.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    header = _read(db_session, city=city)
    if len(_KEPT) > 4096:
        _KEPT.clear()
    _KEPT[key] = (now + _TTL, header)
    return header


def _read(db_session: Session, *, city: bool) -> WardHeader:
    ward_id = tenancy.ward_of(db_session)
    wards = (
        [Choice(w.code, w.name) for w in db_session.exec(select(Ward).order_by(col(Ward.name)))]
        if city
        else []
    )
    if ward_id is None:
        return WardHeader(None, "Thành phố Hồ Chí Minh", None, wards=wards)
    ward = db_session.get(Ward, ward_id)
    plans = db_session.exec(select(Plan).order_by(col(Plan.issued_date).desc())).all()
    try:
        current: str | None = plan_service.get_plan(db_session=db_session, code=None).code
    except AppError:
        current = None  # a ``?plan=`` that does not exist: the page itself says so
    return WardHeader(
        ward_code=ward.code if ward else None,
        ward_name=ward.name if ward else "",
        plan_code=current,
        plans=[Choice(p.code, plan_label(p)) for p in plans],
        wards=wards,
    )
