"""The city view: every ward's standing side by side, ranked by its plan score, by any target or
by its SIPAS index (for the Department of Home Affairs and the city's administrators).

Each ward's figures come from the same computation as its own dashboard (``ward_summary``, run
inside that ward), so a number in the city table and the one on the ward's page are one number.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from app import data_versions, tenancy
from app.actors import Actor
from app.clock import Clock
from app.errors import AppError, Invalid
from app.periods import Period, PeriodError
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Plan
from app.scores import cache
from app.scores import service as score_service
from app.scores.schemas import ScoreSummary
from app.sipas import service as sipas_service
from app.sipas.models import Questionnaire, QuestionnaireStatus, Response, WardVersion
from app.sipas.questionnaire import ensure_questionnaire, shipped
from app.units.models import Unit
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


def _standing(ward: Ward, plan: Plan | None, summary: ScoreSummary | None) -> WardStanding:
    row = WardStanding(code=ward.code, name=ward.name)
    if plan is None or summary is None:
        row.problem = "Phường, xã này chưa có kế hoạch nào."
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
    return row


#: SIPAS index per (ward, period, minimum sample, answers so far, questionnaire version the ward
#: uses): answers are only ever added, so their count says whether a kept index is still right,
#: and a ward that changes version reads another version's answers. Bounded: cleared when full.
_SIPAS: dict[tuple[int, str, int, int, int | None], tuple[float | None, int]] = {}
_SIPAS_MAX = 4096


def _answer_counts(db_session: Session, periods: set[str]) -> dict[tuple[int, str], int]:
    """Answers per (ward, period), for every ward in one query per period asked.

    The months are asked by their first days (``period_start``, the first column of the table's
    index), not by their names (``month``, no index): every kept ranking asks, and the city's
    answers grow by thousands a month (issue #20)."""
    counts: dict[tuple[int, str], int] = {}
    for period in periods:
        firsts = [m.start_date for m in Period.parse(period).months()]
        rows = db_session.exec(
            select(Unit.ward_id, func.count())
            .select_from(Response)
            .join(Unit, col(Unit.id) == col(Response.unit_id))
            .where(col(Response.period_start).in_(firsts))
            .group_by(col(Unit.ward_id))
        ).all()
        counts.update({(int(w), period): int(n) for w, n in rows if w is not None})
    return counts


def _sipas_versions(db_session: Session, clock: Clock) -> tuple[dict[int, int | None], int | None]:
    """The questionnaire each ward chose, and the city's published one (the others follow it):
    a ward's index reads its version's answers only, so a change of version changes it. The
    published one is loaded first if the table is still empty, as computing an index would do,
    so that the key a ranking is kept under does not change on its first computation."""
    chosen = dict(db_session.exec(select(WardVersion.ward_id, WardVersion.questionnaire_id)).all())
    published = _published_id(db_session)
    if published is None:
        try:
            published = ensure_questionnaire(db_session=db_session, clock=clock).id
        except AppError:
            published = None
    return {int(w): int(q) for w, q in chosen.items() if w is not None}, published


def _published_id(db_session: Session) -> int | None:
    """The published questionnaire's id when the shipped version is in the table already (then
    ``ensure_questionnaire`` would change nothing), in one statement of ids: ``ensure``
    reads the whole published form, its questions' JSON included, which was a fifth of a kept
    ranking's cost (issue #20). ``None``: ask ``ensure_questionnaire``."""
    rows = db_session.exec(
        select(Questionnaire.id, Questionnaire.version, Questionnaire.status)
        .where(
            (Questionnaire.version == shipped().version)
            | (Questionnaire.status == QuestionnaireStatus.PUBLISHED)
        )
        .order_by(col(Questionnaire.published_at).desc(), col(Questionnaire.id).desc())
    ).all()
    if not any(version == shipped().version for _id, version, _status in rows):
        return None
    return next(
        (int(i) for i, _v, status in rows if status == QuestionnaireStatus.PUBLISHED and i), None
    )


def _sipas(
    *, db_session: Session, actor: Actor, clock: Clock, wards: list[Ward],
    rows: dict[int, WardStanding], min_sample: int, counts: dict[tuple[int, str], int],
) -> None:  # fmt: skip
    chosen, published = _sipas_versions(db_session, clock)
    for ward in wards:
        row = rows[ward.id or 0]
        if not row.period:
            continue
        answers = counts.get((ward.id or 0, row.period), 0)
        version = chosen.get(ward.id or 0, published)
        key = (ward.id or 0, row.period, min_sample, answers, version)
        if key not in _SIPAS:
            _SIPAS[key] = _sipas_of(db_session, actor, clock, ward, row.period, min_sample)
            if len(_SIPAS) > _SIPAS_MAX:
                _SIPAS.clear()
        row.sipas, row.sipas_responses = _SIPAS.get(key, (None, answers))


def _sipas_of(
    db_session: Session, actor: Actor, clock: Clock, ward: Ward, period: str, min_sample: int
) -> tuple[float | None, int]:
    tenancy.enter(db_session, tenancy.Scope(ward_id=ward.id, today=clock.today()))
    try:
        report = sipas_service.report(
            db_session=db_session,
            actor=actor.inside(ward.id, ward.code),
            clock=clock,
            filters=sipas_service.SipasFilters(period=period),
            min_sample=min_sample,
            with_breakdowns=False,
        )
    except AppError:
        return None, 0  # no questionnaire answered yet: the column stays empty
    finally:
        tenancy.enter(db_session, tenancy.CITY)
    return report.index.satisfaction, report.index.responses


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


@dataclass(frozen=True)
class _Scored:
    """Every ward's figures before the SIPAS column and the order: what the plans' data decide."""

    rows: dict[int, WardStanding]
    order: list[int]
    names: dict[str, str]


def city_ranking(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None,
    sort: str = SORT_SCORE,
    min_sample: int,
) -> CityRanking:
    """Every ward ranked (``kept_ranking`` without its key)."""
    return kept_ranking(
        db_session=db_session, actor=actor, clock=clock, period=period, sort=sort,
        min_sample=min_sample,
    )[1]  # fmt: skip


def kept_ranking(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    period: str | None,
    sort: str = SORT_SCORE,
    min_sample: int,
) -> tuple[tuple[Hashable, ...], CityRanking]:
    """Every ward ranked, and the key it is kept under (its JSON and its page are kept under
    that key too).

    Computed once per state of what it shows: every active ward with its plans and their data
    versions (one query, ``data_versions.city_plans``), and the SIPAS answers of the periods
    shown (one query). An unchanged city costs these two queries; a ward whose data changed is
    the only one scored again (``plan_summaries``)."""
    authorize(actor, Permission.CITY_READ)
    before = tenancy.scope_of(db_session)
    tenancy.enter(db_session, tenancy.CITY)
    try:
        plans_now = data_versions.city_plans(db_session.connection())
        scored_key = ("city", clock.today(), period, plans_now)
        scored = cache.RESULTS.get(
            scored_key, lambda: _scored(db_session=db_session, clock=clock, period=period)
        )
        periods = {row.period for row in scored.rows.values() if row.period}
        counts = _answer_counts(db_session, periods)
        chosen, published = _sipas_versions(db_session, clock)
        versions = (tuple(sorted(chosen.items())), published)
        key = (*scored_key, tuple(sorted(counts.items())), versions, min_sample, sort, actor.role)

        def ranked() -> CityRanking:
            return _ranked(
                db_session=db_session, actor=actor, clock=clock, scored=scored, counts=counts,
                period=period, sort=sort, min_sample=min_sample,
            )  # fmt: skip

        return key, cache.RESULTS.get(key, ranked)
    finally:
        if before is not None:
            tenancy.enter(db_session, before)
        else:
            tenancy.leave(db_session)


def _scored(*, db_session: Session, clock: Clock, period: str | None) -> _Scored:
    wards = list(db_session.exec(select(Ward).where(col(Ward.active)).order_by(col(Ward.name))))
    by_ward: dict[int, list[Plan]] = {}
    for plan in db_session.exec(select(Plan)):
        by_ward.setdefault(plan.ward_id or 0, []).append(plan)
    # The plan each ward ran in the period asked (its current one by default): a ward that
    # has issued next year's plan is still ranked on this year's for a period of this year.
    day = _period_start(period) or clock.today()
    current = {w.id or 0: plan_service.pick_current(by_ward.get(w.id or 0, []), day) for w in wards}
    problems: dict[int, str] = {}
    if period is not None:
        for ward_id, ran in list(current.items()):
            if ran is None:
                continue
            try:
                plan_service.validate_period(
                    plan=ran, period=period, today=clock.today(), monthly=True
                )
            except AppError as exc:  # this ward's plan has no such period: its row says so
                problems[ward_id] = exc.message
                current[ward_id] = None
    chosen = [p for p in current.values() if p is not None]
    summaries = score_service.plan_summaries(
        db_session=db_session, clock=clock, plans=chosen, period=period
    )
    rows = {
        w.id or 0: _standing(w, current[w.id or 0], summaries.get(_id(current[w.id or 0])))
        for w in wards
    }
    for ward_id, message in problems.items():
        rows[ward_id].problem = message
    names = _target_names(db_session, list(rows.values()))
    return _Scored(rows=rows, order=[w.id or 0 for w in wards], names=names)


def _ranked(
    *, db_session: Session, actor: Actor, clock: Clock, scored: _Scored,
    counts: dict[tuple[int, str], int], period: str | None, sort: str, min_sample: int,
) -> CityRanking:  # fmt: skip
    """The kept figures with the SIPAS column, sorted and ranked (on copies: the figures are
    kept for every sort and sample size)."""
    rows = {ward_id: row.model_copy() for ward_id, row in scored.rows.items()}
    wards = list(db_session.exec(select(Ward).where(col(Ward.id).in_(scored.order))))
    by_id = {w.id or 0: w for w in wards}
    _sipas(db_session=db_session, actor=actor, clock=clock,
           wards=[by_id[i] for i in scored.order if i in by_id], rows=rows,
           min_sample=min_sample, counts=counts)  # fmt: skip
    rows_list = [rows[ward_id] for ward_id in scored.order]
    targets: dict[str, str] = {}
    for row in rows_list:
        for code in row.values:
            targets.setdefault(code, scored.names.get(code, code))
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
    _rank(rows_list, key)
    return CityRanking(
        period=period,
        sort=sort,
        sort_label=label,
        wards=rows_list,
        targets=[TargetName(code=c, name=n) for c, n in sorted(targets.items())],
    )


def _period_start(period: str | None) -> date | None:
    """The first day of the period asked, or ``None`` (unknown text: the plan check names it)."""
    if period is None:
        return None
    try:
        return Period.parse(period).start_date
    except PeriodError:
        return None


def _id(plan: Plan | None) -> int:
    return plan.id or 0 if plan is not None else 0


def _target_names(db_session: Session, rows: list[WardStanding]) -> dict[str, str]:
    from app.kpis.models import Indicator

    codes = {code for row in rows for code in row.values}
    if not codes:
        return {}
    found = db_session.exec(
        select(Indicator.code, Indicator.name).where(col(Indicator.code).in_(codes))
    ).all()
    return {code: name for code, name in found}
