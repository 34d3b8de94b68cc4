"""The city view: every ward's standing side by side, ranked by its plan score, by any target or
by its SIPAS index (for the Department of Home Affairs and the city's administrators).

Each ward's figures come from the same computation as its own dashboard (``ward_summary``, run
inside that ward), so a number in the city table and the one on the ward's page are one number.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.clock import Clock
from app.errors import AppError, Invalid
from app.permissions import Permission, authorize
from app.scores import service as score_service
from app.sipas import service as sipas_service
from app.wards.models import Ward

#: What the wards can be ranked by, besides a target's code.
SORT_SCORE = "score"
SORT_SIPAS = "sipas"


class WardStanding(BaseModel):
    code: str
    name: str
    plan: str | None = None
    plan_number: str = ""
    period: str = ""
    period_label: str = ""
    score: float | None = None
    score_formula: str = ""
    targets_met: int = 0
    targets_with_data: int = 0
    targets_total: int = 0
    units_on_time: int = 0
    units_expected: int = 0
    sipas: float | None = None
    sipas_responses: int = 0
    #: Each target's value and attainment (how far along its way to the target, 0–1+).
    values: dict[str, float | None] = Field(default_factory=dict)
    attainment: dict[str, float | None] = Field(default_factory=dict)
    problem: str = ""
    rank: int | None = None


class TargetName(BaseModel):
    code: str
    name: str


class CityRanking(BaseModel):
    period: str | None = Field(description="The period asked for; each ward's own default if none.")
    sort: str = Field(examples=["score"])
    sort_label: str
    wards: list[WardStanding]
    targets: list[TargetName]


def _standing(
    *, db_session: Session, actor: Actor, clock: Clock, ward: Ward, period: str | None,
    min_sample: int,
) -> WardStanding:  # fmt: skip
    row = WardStanding(code=ward.code, name=ward.name)
    inside = actor.inside(ward.id, ward.code)
    tenancy.enter(db_session, tenancy.Scope(ward_id=ward.id, today=clock.today()))
    try:
        summary = score_service.ward_summary(
            db_session=db_session, actor=inside, clock=clock, period=period
        )
    except AppError as exc:  # no plan yet, a period its plan does not have
        row.problem = exc.message
        return row
    head = summary.headline
    row.plan, row.plan_number = summary.plan, summary.plan_number
    row.period, row.period_label = summary.period, summary.period_label
    row.score, row.score_formula = head.ward_score, head.ward_score_formula
    row.targets_met, row.targets_with_data = head.targets_met, head.targets_with_data
    row.targets_total = head.targets_total
    row.units_on_time, row.units_expected = head.units_on_time, head.units_expected
    row.values = {i.code: i.value for i in summary.indicators}
    row.attainment = {i.code: i.attainment for i in summary.indicators}
    try:
        sipas = sipas_service.report(
            db_session=db_session,
            actor=inside,
            clock=clock,
            filters=sipas_service.SipasFilters(period=summary.period),
            min_sample=min_sample,
            with_breakdowns=False,
        )
        row.sipas, row.sipas_responses = sipas.index.satisfaction, sipas.index.responses
    except AppError:
        pass  # no questionnaire answered yet: the column stays empty
    return row


def _rank(rows: list[WardStanding], key: Callable[[WardStanding], float | None]) -> None:
    """Best first; wards without a figure last, unranked; equal figures share a rank."""
    rows.sort(key=lambda r: (key(r) is None, -(key(r) or 0.0), r.name))
    previous: float | None = None
    for position, row in enumerate(rows, start=1):
        value = key(row)
        if value is None:
            row.rank = None
            continue
        row.rank = rows[position - 2].rank if previous == value and position > 1 else position
        previous = value


def city_ranking(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None,
    sort: str = SORT_SCORE,
    min_sample: int,
) -> CityRanking:
    authorize(actor, Permission.CITY_READ)
    before = tenancy.scope_of(db_session)
    tenancy.enter(db_session, tenancy.CITY)
    wards = list(db_session.exec(select(Ward).where(col(Ward.active)).order_by(col(Ward.name))))
    try:
        rows = [
            _standing(
                db_session=db_session,
                actor=actor,
                clock=clock,
                ward=w,
                period=period,
                min_sample=min_sample,
            )
            for w in wards
        ]
        tenancy.enter(db_session, tenancy.CITY)
        names = _target_names(db_session, rows)
    finally:
        if before is not None:
            tenancy.enter(db_session, before)
        else:
            tenancy.leave(db_session)
    targets: dict[str, str] = {}
    for row in rows:
        for code in row.values:
            targets.setdefault(code, names.get(code, code))
    if sort == SORT_SCORE:
        label, key = "Điểm thực hiện kế hoạch", lambda r: r.score
    elif sort == SORT_SIPAS:
        label, key = "Chỉ số SIPAS (%)", lambda r: r.sipas
    elif sort in targets:
        label, key = targets[sort], lambda r: r.attainment.get(sort)
    else:
        raise Invalid.one(
            "sort", "sort_invalid", "Xếp theo “score”, “sipas” hoặc mã một chỉ tiêu của kế hoạch."
        )
    _rank(rows, key)
    return CityRanking(
        period=period,
        sort=sort,
        sort_label=label,
        wards=rows,
        targets=[TargetName(code=c, name=n) for c, n in sorted(targets.items())],
    )


def _target_names(db_session: Session, rows: list[WardStanding]) -> dict[str, str]:
    from app.kpis.models import Indicator

    codes = {code for row in rows for code in row.values}
    if not codes:
        return {}
    found = db_session.exec(
        select(Indicator.code, Indicator.name).where(col(Indicator.code).in_(codes))
    ).all()
    return {code: name for code, name in found}
