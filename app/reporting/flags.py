"""Flags for the reviewer: what in a unit's report deserves a second look, and why.

Four kinds, each with its reason in Vietnamese:

* ``outlier_history``: a figure far from the unit's own last periods of the same indicator and
  domain (``outliers``; the last ``PARTRACK_OUTLIER_HISTORY_PERIODS`` periods of the same length,
  so a quarter is never compared with a month, though an earlier quarter reported month by month
  counts as the quarter its months make, ``flag_figures.from_months``);
* ``outlier_peers``: a figure far from the other units' figures for the same indicator, domain
  and period;
* ``rule``: a validation rule the report breaks (``rules``); a ``block`` rule also refuses the
  submission (``guard``);
* ``computed_difference``: the unit's own figure differs from the one computed from the feeds
  (the workspace's ``conflict_note``).

For a rate both its value (in percentage points) and its denominator (the volume, a count) are
checked; the numerator is the value times the denominator and would repeat their flags.

The flags of many reports are computed from one load of the period's readings, progress and
rules (``flags_for``), so the review queue counts them without a query per report. The progress
rules read the tasks' updates of the report's own period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

from pydantic import Field as PydanticField
from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.errors import FieldError, Invalid
from app.formatting import format_number
from app.kpis.models import Indicator, Reading, ReadingSource, figures_differ
from app.periods import Granularity, Period
from app.permissions import authorize_read
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reporting import outliers, rules
from app.reporting.flag_figures import (
    Loaded,
    QuarterFigures,
    figure_key,
    from_months,
    history_of,
    load,
)
from app.reporting.outliers import Basis, Thresholds
from app.reporting.rules import FIELD_LABELS, Figures, Severity
from app.schemas import ReadModel
from app.submissions.models import SubmissionRead, SubmissionStatus
from app.units import service as unit_service
from app.units.models import Unit


class FlagKind(StrEnum):
    OUTLIER_HISTORY = "outlier_history"
    OUTLIER_PEERS = "outlier_peers"
    RULE = "rule"
    COMPUTED_DIFFERENCE = "computed_difference"


KIND_LABELS = {
    FlagKind.OUTLIER_HISTORY: "Khác thường so với các kỳ trước",
    FlagKind.OUTLIER_PEERS: "Khác thường so với các đơn vị khác",
    FlagKind.RULE: "Quy tắc kiểm tra",
    FlagKind.COMPUTED_DIFFERENCE: "Số tự tính khác số đơn vị nhập",
}


class FlagRead(ReadModel):
    kind: FlagKind = PydanticField(examples=["outlier_history"])
    severity: Severity = PydanticField(
        examples=["flag"], description="`block`: refuses the submission; `flag`: for the reviewer."
    )
    indicator: str | None = PydanticField(default=None, examples=["online_dossier"])
    domain: str | None = None
    task: str | None = PydanticField(default=None, examples=["II.1.3"])
    field: str | None = PydanticField(
        default=None, examples=["denominator"], description="value, numerator or denominator."
    )
    rule: str | None = PydanticField(default=None, description="The rule's code (kind `rule`).")
    subject: str = PydanticField(
        examples=["Tỷ lệ hồ sơ TTHC được xử lý trực tuyến"],
        description="The indicator (and domain) or task the flag is about.",
    )
    message: str = PydanticField(
        examples=["Mẫu số 118: gấp 9,8 lần trung vị 6 kỳ trước (12)"],
        description="Why: the outlier's reason, the rule's message, or both figures.",
    )
    detail: str = PydanticField(
        default="", description="For a rule: the figures that break it.", examples=[""]
    )


class FlagList(ReadModel):
    unit: str = PydanticField(examples=["ttpvhcc"])
    period: str = PydanticField(examples=["2025-10"])
    count: int
    blocking: int = PydanticField(description="How many would refuse the submission.")
    items: list[FlagRead]


def thresholds_of(settings: Any) -> Thresholds:
    """The outlier rule's settings (``PARTRACK_OUTLIER_*``)."""
    return Thresholds(
        history_periods=settings.outlier_history_periods,
        min_count=settings.outlier_min_count,
        k=settings.outlier_threshold,
        zero_mad_tolerance=settings.outlier_zero_mad_tolerance,
        zero_mad_points=settings.outlier_zero_mad_points,
    )


def _subject(loaded: Loaded, indicator: Indicator, domain_id: int | None) -> str:
    domain = loaded.domains.get(domain_id) if domain_id is not None else None
    return indicator.name + (f" – {domain.name}" if domain else "")


def _outlier_flags(
    loaded: Loaded, *, unit_id: int, period: Period, thresholds: Thresholds
) -> list[FlagRead]:
    own = loaded.readings.get((unit_id, str(period)), [])
    history: dict[tuple[int, int | None], list[Reading | QuarterFigures]] = defaultdict(list)
    for earlier in history_of(period, thresholds.history_periods):
        found: Sequence[Reading | QuarterFigures] = loaded.readings.get((unit_id, str(earlier)), [])
        if not found and earlier.granularity is not Granularity.MONTH:
            found = from_months(loaded, unit_id=unit_id, period=earlier)
        for r in found:
            history[figure_key(r)].append(r)
    peers: dict[tuple[int, int | None], list[Reading]] = defaultdict(list)
    for (other, p), found in loaded.readings.items():
        if p == str(period) and other != unit_id:
            for r in found:
                peers[figure_key(r)].append(r)
    flags = []
    for reading in own:
        indicator = loaded.indicators[reading.indicator_id]
        percent = indicator.measure == "percent"
        checks: list[tuple[str, float | None, bool]] = [("value", reading.value, percent)]
        if percent:
            checks.append(("denominator", reading.denominator, False))
        for name, figure, as_percent in checks:
            if figure is None:
                continue
            for basis, sample_rows in (
                (Basis.HISTORY, history[figure_key(reading)]),
                (Basis.PEERS, peers[figure_key(reading)]),
            ):
                sample = [v for v in (getattr(r, name) for r in sample_rows) if v is not None]
                outlier = outliers.check(
                    figure, sample, thresholds=thresholds, basis=basis, percent=as_percent
                )
                if outlier is None:
                    continue
                shown = format_number(figure, 1).removesuffix(",0") + ("%" if as_percent else "")
                flags.append(
                    FlagRead(
                        kind=(
                            FlagKind.OUTLIER_HISTORY
                            if basis is Basis.HISTORY
                            else FlagKind.OUTLIER_PEERS
                        ),
                        severity=Severity.FLAG,
                        indicator=indicator.code,
                        domain=_domain_code(loaded, reading.domain_id),
                        field=name,
                        subject=_subject(loaded, indicator, reading.domain_id),
                        message=(
                            f"{FIELD_LABELS[rules.ReadingField(name)].capitalize()} {shown}: "
                            f"{outlier.reason}"
                        ),
                    )
                )
    return flags


def _domain_code(loaded: Loaded, domain_id: int | None) -> str | None:
    domain = loaded.domains.get(domain_id) if domain_id is not None else None
    return domain.code if domain else None


def _difference_flags(loaded: Loaded, *, unit_id: int, period: Period) -> list[FlagRead]:
    from app.dossiers.metrics import conflict_note

    flags = []
    for r in loaded.readings.get((unit_id, str(period)), []):
        if r.source != ReadingSource.COMPUTED or not figures_differ(r.value, r.reported_value):
            continue
        indicator = loaded.indicators[r.indicator_id]
        flags.append(
            FlagRead(
                kind=FlagKind.COMPUTED_DIFFERENCE,
                severity=Severity.FLAG,
                indicator=indicator.code,
                domain=_domain_code(loaded, r.domain_id),
                field="value",
                subject=_subject(loaded, indicator, r.domain_id),
                message=conflict_note(
                    indicator=indicator.code,
                    computed=r.value,
                    reported=r.reported_value,
                    percent=indicator.measure == "percent",
                ),
            )
        )
    return flags


def _rule_failures(loaded: Loaded, *, unit_id: int, period: Period) -> list[rules.Failure]:
    figures = {
        (
            loaded.indicators[r.indicator_id].code,
            _domain_code(loaded, r.domain_id),
        ): Figures(r.value, r.numerator, r.denominator)
        for r in loaded.readings.get((unit_id, str(period)), [])
    }
    return rules.evaluate(
        loaded.rules,
        readings=figures,
        tasks=loaded.tasks.get((unit_id, str(period)), []),
        names=loaded.names,
    )


def _rule_flag(loaded: Loaded, failure: rules.Failure) -> FlagRead:
    names = loaded.names
    if failure.task is not None:
        subject = f"Nhiệm vụ {failure.task}"
    else:
        code = failure.indicator or ""
        subject = names.get(code, code) + (
            f" – {names.get(failure.domain, failure.domain)}" if failure.domain else ""
        )
    return FlagRead(
        kind=FlagKind.RULE,
        severity=failure.severity,
        indicator=failure.indicator,
        domain=failure.domain,
        task=failure.task,
        rule=failure.rule,
        subject=subject,
        message=failure.message,
        detail=failure.detail,
    )


def flags_for(
    *,
    db_session: Session,
    plan: Plan,
    reports: Iterable[tuple[Unit, Period]],
    thresholds: Thresholds,
) -> dict[tuple[str, str], list[FlagRead]]:
    """The flags of each (unit, period) report, keyed by (unit code, period), from one load."""
    wanted = [(u, p) for u, p in reports if u.id is not None]
    if not wanted:
        return {}
    loaded = load(
        db_session=db_session,
        plan=plan,
        unit_ids={u.id for u, _ in wanted if u.id is not None},
        periods={p for _, p in wanted},
        depth=thresholds.history_periods,
    )
    found: dict[tuple[str, str], list[FlagRead]] = {}
    for unit, period in wanted:
        assert unit.id is not None
        failures = _rule_failures(loaded, unit_id=unit.id, period=period)
        found[(unit.code, str(period))] = [
            *(_rule_flag(loaded, f) for f in failures),
            *_difference_flags(loaded, unit_id=unit.id, period=period),
            *_outlier_flags(loaded, unit_id=unit.id, period=period, thresholds=thresholds),
        ]
    return found


def flags_of(
    *, db_session: Session, plan: Plan, unit: Unit, period: Period, thresholds: Thresholds
) -> list[FlagRead]:
    """One report's flags."""
    found = flags_for(
        db_session=db_session, plan=plan, reports=[(unit, period)], thresholds=thresholds
    )
    return found.get((unit.code, str(period)), [])


def counts(
    *,
    db_session: Session,
    plan: Plan,
    reports: Sequence[tuple[Unit, Period]],
    thresholds: Thresholds,
) -> dict[tuple[str, str], int]:
    """How many flags each report has (the review queue's column)."""
    found = flags_for(db_session=db_session, plan=plan, reports=reports, thresholds=thresholds)
    return {key: len(items) for key, items in found.items()}


def count_waiting(
    *,
    db_session: Session,
    plan: Plan,
    items: list[SubmissionRead],
    thresholds: Thresholds | None,
) -> None:
    """Give each report of the review queue waiting for review its flag count, from one load."""
    waiting = [i for i in items if i.status == SubmissionStatus.SUBMITTED]
    if not waiting:
        return
    units = {u.code: u for u in db_session.exec(select(Unit))}
    counted = counts(
        db_session=db_session,
        plan=plan,
        reports=[(units[i.unit], Period.parse(i.period)) for i in waiting],
        thresholds=thresholds or Thresholds(),
    )
    for item in waiting:
        item.flag_count = counted.get((item.unit, item.period), 0)


def blocked_text(message: str, detail: str) -> str:
    """A blocking rule as the unit reads it before and after trying to send: its message, then
    the figures that break it."""
    return f"{message.rstrip('.')} ({detail})."


def blocking(items: Iterable[FlagRead]) -> list[str]:
    """The messages of the flags that refuse a submission."""
    return [blocked_text(f.message, f.detail) for f in items if f.severity is Severity.BLOCK]


def guard(
    *,
    action: str,
    db_session: Session,
    plan: Plan,
    unit: Unit,
    period: Period,
    comment: str,
    thresholds: Thresholds,
) -> None:
    """What the flags forbid: sending a report that breaks a ``block`` rule (422 with each rule's
    message), and approving a report with flags without a comment (422 on ``comment``)."""
    if action == "submit":
        loaded = load(
            db_session=db_session,
            plan=plan,
            unit_ids={unit.id} if unit.id is not None else set(),
            periods={period},
            depth=0,
        )
        assert unit.id is not None
        blocking = [
            f
            for f in _rule_failures(loaded, unit_id=unit.id, period=period)
            if f.severity is Severity.BLOCK
        ]
        if blocking:
            error = Invalid(
                [FieldError("rules", f.rule, blocked_text(f.message, f.detail)) for f in blocking],
                message=f"Chưa gửi được báo cáo: số liệu vi phạm {len(blocking)} quy tắc kiểm "
                "tra. Hãy sửa rồi gửi lại.",
            )
            error.code = "blocked_by_rules"
            raise error
    elif action == "approve" and not comment.strip():
        count = len(
            flags_of(
                db_session=db_session, plan=plan, unit=unit, period=period, thresholds=thresholds
            )
        )
        if count:
            raise Invalid.one(
                "comment",
                "flags_need_comment",
                f"Báo cáo còn {count} cảnh báo; hãy ghi nhận xét khi duyệt.",
            )


def report_flags(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    plan: str | None,
    thresholds: Thresholds,
) -> FlagList:
    """A report's flags for the page and the API: its unit's people and every reader may see
    them (a unit can check its figures before sending)."""
    authorize_read(actor, unit)
    plan_row = plan_service.get_plan(db_session=db_session, code=plan)
    unit_row = unit_service.get_by_code(db_session=db_session, code=unit)
    p = Period.parse(
        plan_service.validate_period(plan=plan_row, period=period, today=clock.today())
    )
    items = flags_of(
        db_session=db_session, plan=plan_row, unit=unit_row, period=p, thresholds=thresholds
    )
    return FlagList(
        unit=unit_row.code,
        period=str(p),
        count=len(items),
        blocking=sum(1 for f in items if f.severity is Severity.BLOCK),
        items=items,
    )
