"""What the top bar shows about where the user is working: the ward, and the plan chosen.

Read once per page from the request's (ward-scoped) session; a city account without a ward chosen
gets the list of wards instead of plans.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def header_for(db_session: Session, *, city: bool) -> WardHeader:
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
