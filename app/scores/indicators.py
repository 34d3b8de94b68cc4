"""Indicators judged for a period: one unit's readings, or the ward's pooled over its units.

The rules judge a value against its target per domain; this module says which value that is and
how it was obtained (``aggregation``), so that the ward's 95 % can be traced to each unit's rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from app.kpis.models import Indicator, Measure
from app.scores import queries
from app.scores.frame import Frame, plain
from app.scores.schemas import DomainValue, IndicatorScore, IndicatorUsed, ReadingUsed
from app.scoring import rules


def _domain_names(frame: Frame, domain_id: int | None) -> tuple[str | None, str | None]:
    domain = frame.domains.get(domain_id) if domain_id is not None else None
    return (domain.code, domain.name) if domain is not None else (None, None)


def _judge(
    frame: Frame,
    indicator: Indicator,
    values: dict[int | None, tuple[float, int, str]],
) -> IndicatorScore:
    """Judge (domain id → value, units, how it was obtained) with the rules' per-domain logic."""
    by_code = {_domain_names(frame, d)[0]: (d, v) for d, v in values.items()}
    result = rules.indicator_result(
        readings_by_domain={code: v[0] for code, (_, v) in by_code.items()},
        target=indicator.target,
        comparator=indicator.comparator,
        config=frame.config,
        domain_targets=frame.domain_targets(indicator),
        domain_names={d.code: d.name for d in frame.domains.values()},
    )
    domains = []
    for item in result.domains:
        domain_id, (_, count, how) = by_code[item.domain]
        domains.append(
            DomainValue(
                domain=item.domain,
                domain_name=_domain_names(frame, domain_id)[1],
                target=item.target,
                value=item.value,
                attainment=item.attainment,
                met=item.met,
                light=item.light,
                units=count,
                aggregation=how,
                formula=item.formula,
            )
        )
    return IndicatorScore(
        code=indicator.code,
        name=indicator.name,
        area=frame.area_code(indicator.area_id),
        area_name=frame.area(indicator.area_id).name,
        measure=indicator.measure,
        comparator=indicator.comparator,
        target=indicator.target,
        due_date=indicator.due_date,
        responsible_unit=frame.unit_code(indicator.responsible_unit_id),
        disaggregation=indicator.disaggregation,
        value=result.value,
        attainment=result.attainment,
        met=result.met,
        light=result.light,
        worst_domain=result.worst_domain,
        domains=domains,
        formula=result.formula,
    )


def ward_value(aggregate: queries.WardAggregate, measure: str) -> tuple[float, str]:
    """One ward figure from many units: a pooled rate where every reading has its numerator and
    denominator (so a big office weighs more than a small one), else a mean (rates) or a sum."""
    n = aggregate.count
    units = f"{n} đơn vị"
    num, den = aggregate.numerator_sum, aggregate.denominator_sum
    if measure == Measure.PERCENT and aggregate.with_parts == n and num is not None and den:
        value = num / den * 100
        sums = "Σ tử số / Σ mẫu số" if n > 1 else "tử số / mẫu số"
        return value, f"{sums} = {plain(num)} / {plain(den)} × 100 = {plain(value)} ({units})"
    if n == 1:
        return aggregate.value_sum, f"giá trị do 1 đơn vị nhập = {plain(aggregate.value_sum)}"
    if measure == Measure.PERCENT:
        return aggregate.value_mean, f"trung bình {units} = {plain(aggregate.value_mean)}"
    return aggregate.value_sum, f"tổng {units} = {plain(aggregate.value_sum)}"


def ward_indicators(
    frame: Frame, aggregates: Iterable[queries.WardAggregate]
) -> dict[str, dict[int, IndicatorScore]]:
    """Per period, per indicator id: the ward's result (indicators without data are absent)."""
    grouped: dict[tuple[str, int], dict[int | None, tuple[float, int, str]]] = defaultdict(dict)
    by_id = {i.id: i for i in frame.indicators}
    for agg in aggregates:
        indicator = by_id.get(agg.indicator_id)
        if indicator is None:
            continue
        value, how = ward_value(agg, indicator.measure)
        grouped[(agg.period, agg.indicator_id)][agg.domain_id] = (value, agg.count, how)
    out: dict[str, dict[int, IndicatorScore]] = defaultdict(dict)
    for (period, indicator_id), values in grouped.items():
        out[period][indicator_id] = _judge(frame, by_id[indicator_id], values)
    return out


def no_data_indicator(frame: Frame, indicator: Indicator) -> IndicatorScore:
    return _judge(frame, indicator, {})


def unit_indicator(
    frame: Frame, indicator: Indicator, rows: Sequence[queries.ReadingRow]
) -> IndicatorUsed:
    """One unit's result on an indicator, with the readings it was computed from."""
    values: dict[int | None, tuple[float, int, str]] = {}
    readings = []
    for row in sorted(rows, key=lambda r: _domain_names(frame, r.domain_id)[0] or ""):
        if row.numerator is not None and row.denominator:
            how = f"{plain(row.numerator)} / {plain(row.denominator)} × 100 = {plain(row.value)}"
        else:
            how = f"giá trị đơn vị nhập: {plain(row.value)}"
        values[row.domain_id] = (row.value, 1, how)
        code, name = _domain_names(frame, row.domain_id)
        readings.append(
            ReadingUsed(
                domain=code,
                domain_name=name,
                value=row.value,
                numerator=row.numerator,
                denominator=row.denominator,
                source=row.source,
            )
        )
    judged = _judge(frame, indicator, values)
    return IndicatorUsed(**judged.model_dump(), readings=readings)
