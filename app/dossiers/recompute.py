"""Recomputation: the computed readings of the touched (unit, period) pairs brought in line
with the records, and the units told when a feed replaced or contradicted their figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlmodel import Session
from sqlmodel import select as sm_select

from app.actors import Actor
from app.clock import Clock
from app.dossiers.counters import metric_groups
from app.dossiers.metrics import (
    FEED_NAMES,
    METRICS,
    Feed,
    Metric,
    conflict_text,
    format_figure,
)
from app.errors import AppError
from app.kpis import reading_rules as reading_rules
from app.kpis import readings as kpi_readings
from app.kpis import store as reading_store
from app.kpis.lookups import Lookups
from app.kpis.models import (
    Disaggregation,
    Domain,
    Indicator,
    Reading,
    ReadingRead,
    ReadingSource,
    ReadingWrite,
    figures_differ,
)
from app.periods import Period
from app.plans.models import Plan
from app.units import service as unit_service
from app.units.models import Unit
from app.versioning import WriteAction


def recompute(
    *,
    db_session: Session,
    actor: Actor,
    lookups: Lookups,
    plan: Plan,
    feed: Feed,
    pairs: Iterable[tuple[int, str]],
) -> list[str]:
    """Bring the computed readings of the touched (unit, period) pairs in line with the records;
    returns the keys where the unit's own figure and the computed one now differ.

    A reading is written only for metrics the plan has an indicator for; a group whose records
    are all gone (or all leave the metric's flag unknown) loses its reading, and a figure the
    unit had entered there counts again. Unchanged figures write nothing (``plan_reading`` says
    so). Where a computed value replaces or contradicts a unit's figure, the unit's reporters
    are told (``notify_units``).
    """
    metrics = _tracked_metrics(lookups, plan, feed)
    planned: list[reading_rules.PlannedReading] = []
    restored: list[ReadingRead] = []
    for unit_id, period_text in sorted(pairs):
        unit = db_session.get(Unit, unit_id)
        assert unit is not None
        for metric, indicator in metrics:
            more, gone = _plan_metric(
                db_session=db_session,
                actor=actor,
                lookups=lookups,
                plan=plan,
                metric=metric,
                indicator=indicator,
                unit=unit,
                period_text=period_text,
            )
            planned += more
            restored += gone
    reading_store.apply_readings(
        db_session=db_session, actor=actor, clock=lookups.clock, planned=planned
    )
    changed = [
        p
        for p in planned
        if p.takeover or (p.conflict and p.action == WriteAction.UPDATE and _value_moved(p))
    ]
    notify_units(
        db_session=db_session, clock=lookups.clock, feed=feed, changed=changed, restored=restored
    )
    return [_key_text(p) for p in planned if p.conflict]


def _tracked_metrics(lookups: Lookups, plan: Plan, feed: Feed) -> list[tuple[Metric, Indicator]]:
    """The feed's metrics the plan has an active indicator for (feedback is never per domain)."""
    metrics = []
    for metric in METRICS:
        if metric.feed != feed:
            continue
        try:
            indicator = lookups.indicator(plan, metric.code)
        except AppError:
            continue  # not tracked by this plan: the scorecard still computes it
        if indicator.active and not (
            metric.feed == Feed.FEEDBACK and indicator.disaggregation == Disaggregation.DOMAIN
        ):
            metrics.append((metric, indicator))
    return metrics


def _plan_metric(
    *,
    db_session: Session,
    actor: Actor,
    lookups: Lookups,
    plan: Plan,
    metric: Metric,
    indicator: Indicator,
    unit: Unit,
    period_text: str,
) -> tuple[list[reading_rules.PlannedReading], list[ReadingRead]]:
    """One metric of one unit and period: the groups that lost their records lose their computed
    reading (deleted now, the unit's own figure restored), the others are planned."""
    assert unit.id is not None
    groups = metric_groups(
        db_session=db_session,
        metric=metric,
        unit_id=unit.id,
        period=Period.parse(period_text),
        by_domain=indicator.disaggregation == Disaggregation.DOMAIN,
    )
    computed = db_session.exec(
        sm_select(Reading).where(
            Reading.indicator_id == indicator.id,
            Reading.unit_id == unit.id,
            Reading.period == period_text,
            Reading.source == ReadingSource.COMPUTED,
        )
    ).all()
    stale = [r for r in computed if r.domain_id not in groups]
    restored = kpi_readings.delete_computed_readings(
        db_session=db_session, actor=actor, clock=lookups.clock, rows=stale
    )
    planned = []
    for domain_id, tally in sorted(groups.items(), key=lambda g: g[0] or 0):
        data = ReadingWrite(
            indicator=indicator.code,
            unit=unit.code,
            period=period_text,
            domain=_domain_code(db_session, domain_id),
            numerator=tally.numerator,
            denominator=tally.denominator,
            note=metric.describe(tally.denominator, tally.total),
            plan=plan.code,
        )
        planned.append(
            kpi_readings.plan_reading(
                lookups=lookups, actor=actor, data=data, source=ReadingSource.COMPUTED
            )
        )
    return planned, restored


def _value_moved(planned: reading_rules.PlannedReading) -> bool:
    before = planned.existing.value if planned.existing is not None else None
    return figures_differ(before, planned.fields["value"])


def _key_text(planned: reading_rules.PlannedReading) -> str:
    indicator, unit, domain = planned.codes
    return f"{indicator}/{unit}/{planned.key[2]}/{domain or '-'}"


def notify_units(
    *,
    db_session: Session,
    clock: Clock,
    feed: Feed,
    changed: Sequence[reading_rules.PlannedReading],
    restored: Sequence[ReadingRead],
) -> int:
    """One in-app notification per unit and period to the unit's reporters, listing the figures
    a feed replaced, contradicted or gave back; returns how many were written.

    Nothing a unit typed changes without the unit being told; the reading changes themselves
    are audited by ``apply_readings`` and ``delete_computed_readings``.
    """
    from app.reminders.models import Notification
    from app.reminders.recipients import recipients_for

    lines: dict[tuple[str, str], list[str]] = {}
    name = FEED_NAMES[feed]
    for p in changed:
        indicator_code, unit_code, domain = p.codes
        existing = p.existing
        assert existing is not None
        reported = p.fields.get("reported_value", existing.reported_value)
        what = f"{indicator_code}" + (f" ({domain})" if domain else "")
        text = conflict_text(
            feed_name=name,
            computed=float(p.fields["value"]),
            reported=reported,
            percent=True,  # what feeds compute are rates
        )
        if not p.conflict:
            text += " (hai số khớp nhau)"
        lines.setdefault((unit_code, p.key[2]), []).append(f"{what}: {text}.")
    for r in restored:
        what = f"{r.indicator}" + (f" ({r.domain})" if r.domain else "")
        lines.setdefault((r.unit, r.period), []).append(
            f"{what}: {name} không còn cho số liệu kỳ này; số đơn vị đã nhập "
            f"({format_figure(r.value, percent=r.denominator is not None)}) được dùng lại."
        )
    written = 0
    now = clock.now()
    for (unit_code, period), items in sorted(lines.items()):
        unit = unit_service.get_by_code(db_session=db_session, code=unit_code)
        people = recipients_for(db_session=db_session, unit=unit, copy_heads=False)
        label = Period.parse(period).label_vi
        for user in people.to:
            assert user.id is not None
            db_session.add(
                Notification(
                    user_id=user.id,
                    title=f"Số liệu {label} của {unit.short_name or unit.name} được tính lại "
                    f"từ {name}",
                    body="\n".join(items[:30])
                    + (f"\n… và {len(items) - 30} số liệu khác." if len(items) > 30 else ""),
                    link=f"/units/{unit_code}/periods/{period}",
                    created_at=now,
                )
            )
            written += 1
    if written:
        db_session.flush()
    return written


def _domain_code(db_session: Session, domain_id: int | None) -> str | None:
    if domain_id is None:
        return None
    found = db_session.get(Domain, domain_id)
    assert found is not None
    return found.code
