"""What an assessment adds up to: the self and appraised indices with their formulas, each area's
points and gap, where the points still are, and the years side by side."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.actors import Actor
from app.clock import Clock
from app.formatting import format_number
from app.par import framework as fw
from app.par.models import (
    AreaResult,
    AssessmentRead,
    AssessmentStatus,
    IndexResult,
    ItemStatus,
    Opportunity,
    ParAssessment,
    ParItem,
    YearGap,
)
from app.par.reads import (
    Context,
    evidence_missing,
    load,
    require_ward,
)


def _index(points: float, maximum: float, *, what: str) -> IndexResult:
    if maximum <= 0:
        return IndexResult(value=None, points=points, max_points=maximum, formula="")
    value = round(points / maximum * 100, 2)
    return IndexResult(
        value=value,
        points=round(points, 4),
        max_points=round(maximum, 4),
        formula=f"{what}: {format_number(points)} / {format_number(maximum)} × 100 = "
        f"{format_number(value, 2)}",
    )


def summarise(ctx: Context) -> AssessmentRead:
    """The two indices and every area's points: each number says how it was computed."""
    applicable = [i for i in ctx.items if i.applicable]
    maximum = sum(ctx.criterion(i).max_points for i in applicable)
    self_points = sum(i.self_points or 0 for i in applicable)
    appraised = [i for i in applicable if i.appraised_points is not None]
    appraised_points = sum(i.appraised_points or 0 for i in appraised)
    top = {c.code: c for c in ctx.criteria.values() if c.level == 1}
    areas: list[AreaResult] = []
    for code, area in sorted(top.items(), key=lambda kv: kv[1].sort_key):
        mine = [i for i in applicable if ctx.criterion(i).code.split(".")[0] == code]
        got = [i for i in mine if i.appraised_points is not None]
        a_self = round(sum(i.self_points or 0 for i in mine), 4)
        a_appr = round(sum(i.appraised_points or 0 for i in got), 4) if got else None
        areas.append(
            AreaResult(
                code=code,
                title=area.title,
                max_points=round(sum(ctx.criterion(i).max_points for i in mine), 4),
                self_points=a_self,
                appraised_points=a_appr,
                gap=round(a_appr - a_self, 4) if a_appr is not None else None,
            )
        )
    a = ctx.assessment
    return AssessmentRead(
        year=a.year,
        framework=ctx.framework.code,
        framework_official=ctx.framework.official,
        plan=a.plan_code,
        status=AssessmentStatus(a.status),
        items=len(applicable),
        proposed=sum(1 for i in applicable if i.proposed_points is not None),
        accepted=sum(1 for i in applicable if i.status == ItemStatus.ACCEPTED),
        appraised=len(appraised),
        evidence_missing=sum(1 for i in applicable if evidence_missing(ctx, i)),
        self_index=_index(self_points, maximum, what="Điểm tự đánh giá"),
        appraised_index=_index(appraised_points, maximum, what="Điểm thẩm định")
        if appraised
        else IndexResult(value=None, points=0, max_points=round(maximum, 4), formula=""),
        published_index=a.published_index,
        published_rank=a.published_rank,
        published_of=a.published_of,
        areas=areas,
        version=a.version,
    )


def assessment_summary(
    *, db_session: Session, actor: Actor, clock: Clock, year: int
) -> AssessmentRead:
    require_ward(actor)
    return summarise(load(db_session, clock, year, with_values=False))


def opportunities(
    *, db_session: Session, actor: Actor, clock: Clock, year: int
) -> list[Opportunity]:
    """Where the points are: criteria by points still obtainable, most first — the plan's "how
    do we raise the index" answered from data. The best-known points count: appraised, else
    compiled, else proposed, else none."""
    require_ward(actor)
    ctx = load(db_session, clock, year, with_values=False)
    out = []
    for item in ctx.items:
        if not item.applicable:
            continue
        criterion = ctx.criterion(item)
        source, current = next(
            (name, float(points))
            for name, points in (
                ("appraised", item.appraised_points),
                ("self", item.self_points),
                ("proposed", item.proposed_points),
                ("none", 0.0),
            )
            if points is not None
        )
        out.append(
            Opportunity(
                criterion=criterion.code,
                title=criterion.title,
                area=criterion.area_code,
                max_points=criterion.max_points,
                current_points=current,
                current_source=source,
                obtainable=round(max(criterion.max_points - current, 0), 4),
                responsible_unit=ctx.units.get(item.responsible_unit_id or 0),
                tasks=list(item.task_codes),
                evidence_missing=evidence_missing(ctx, item),
            )
        )
    out.sort(key=lambda o: (-o.obtainable, fw.sort_key(o.criterion)))
    return out


def _add(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else round(a + b, 4)


def year_gaps(*, db_session: Session, actor: Actor) -> list[YearGap]:
    """Self and appraised points per criterion code, and per area (the sum of its criteria),
    year over year: codes match across the city's tables of different years when the city keeps
    them."""
    require_ward(actor)
    rows: dict[str, YearGap] = {}
    for assessment in db_session.exec(select(ParAssessment).order_by(col(ParAssessment.year))):
        criteria = {c.id: c for c in fw.criteria_of(db_session, assessment.framework_id)}
        areas = {c.code: c for c in criteria.values() if c.level == 1}
        year = assessment.year
        for item in db_session.exec(select(ParItem).where(ParItem.assessment_id == assessment.id)):
            if not item.applicable:
                continue
            c = criteria[item.criterion_id]
            gap = rows.setdefault(c.code, YearGap(criterion=c.code, title=c.title, years={}))
            gap.years[year] = (item.self_points, item.appraised_points)
            top = areas.get(c.code.split(".")[0])
            if top is None:
                continue
            total = rows.setdefault(
                top.code, YearGap(criterion=top.code, title=top.title, years={})
            )
            was = total.years.get(year, (None, None))
            total.years[year] = (
                _add(was[0], item.self_points),
                _add(was[1], item.appraised_points),
            )
    return sorted(rows.values(), key=lambda g: fw.sort_key(g.criterion))
