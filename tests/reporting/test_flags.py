"""Flags of a report from the real database: outliers against the unit's history and the other
units, validation rules that block a submission or ask the reviewer for a comment, computed
figures that differ from the unit's, and the rules' own editing (roles, audit, versions)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import Conflict, Forbidden, Invalid
from app.kpis.models import Reading, ReadingSource, ReadingWrite
from app.kpis.readings import upsert_reading
from app.periods import Period
from app.permissions import Role
from app.plans import service as plan_service
from app.plans.models import Assignment
from app.progress.models import ProgressUpdate
from app.reporting import flags, rule_service, transitions
from app.reporting import service as reporting_service
from app.reporting.flags import FlagKind
from app.reporting.outliers import Thresholds
from app.reporting.rules import RuleCreate, RuleUpdate
from app.units import service as unit_service

ADMIN = Actor(username="admin", role=Role.ADMIN)
COORDINATOR = Actor(username="dp.vhxh", role=Role.COORDINATOR, unit_code="vhxh")
REPORTER = Actor(username="bc.ttpv", role=Role.REPORTER, unit_code="ttpvhcc")
PEERS = ("vp", "vhxh", "kthtdt", "mttq")


def put(
    db: Session,
    clock: FixedClock,
    *,
    indicator: str,
    period: str,
    unit: str = "ttpvhcc",
    domain: str | None = None,
    **numbers: float,
) -> None:
    data = ReadingWrite.model_validate(
        {"indicator": indicator, "unit": unit, "period": period, "domain": domain, **numbers}
    )
    upsert_reading(db_session=db, actor=ADMIN, clock=clock, data=data)


def report_flags(db: Session, unit: str, period: str) -> list[flags.FlagRead]:
    plan = plan_service.get_plan(db_session=db, code=None)
    return flags.flags_of(
        db_session=db,
        plan=plan,
        unit=unit_service.get_by_code(db_session=db, code=unit),
        period=Period.parse(period),
        thresholds=Thresholds(),
    )


@pytest.fixture
def a_year_later(seeded: Session) -> FixedClock:
    """20/06/2027: four quarters of 2026 behind 2027-Q1, enough history to judge it."""
    return FixedClock.on(date(2027, 6, 20))


def test_outliers_against_history_and_peers_with_reasons(
    seeded: Session, a_year_later: FixedClock
) -> None:
    clock = a_year_later
    for period, (num, den) in zip(
        ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"),
        ((10, 12), (10, 12), (11, 13), (9, 11)),
        strict=True,
    ):
        put(
            seeded, clock, indicator="online_dossier", period=period, numerator=num, denominator=den
        )
    put(seeded, clock, indicator="online_dossier", period="2027-Q1", numerator=100, denominator=118)
    for unit, (num, den) in zip(PEERS, ((40, 48), (42, 50), (45, 50), (40, 52)), strict=True):
        put(
            seeded,
            clock,
            unit=unit,
            indicator="online_dossier",
            period="2027-Q1",
            numerator=num,
            denominator=den,
        )

    found = report_flags(seeded, "ttpvhcc", "2027-Q1")
    by_kind = {f.kind: f for f in found}
    assert set(by_kind) == {FlagKind.OUTLIER_HISTORY, FlagKind.OUTLIER_PEERS}
    history = by_kind[FlagKind.OUTLIER_HISTORY]
    assert history.indicator == "online_dossier" and history.field == "denominator"
    assert history.subject == "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến"
    assert history.message == "Mẫu số 118: gấp 9,8 lần trung vị 4 kỳ trước (12)"
    assert by_kind[FlagKind.OUTLIER_PEERS].message == (
        "Mẫu số 118: gấp 2,4 lần trung vị của 4 đơn vị khác cùng kỳ (50)"
    )
    # the rate itself (84,7 %) is usual on both counts; a usual report has no flags at all
    assert report_flags(seeded, "vp", "2027-Q1") == []


def test_a_quarter_of_2026_is_judged_against_2025_s_months_put_together(
    seeded: Session,
) -> None:
    """Plan 84 reports by month in 2025 and by quarter from 2026: the last quarter of 2025,
    reported month by month, counts as one quarter of history (counts summed), so 2026-Q4 has
    four quarters behind it already."""
    clock = FixedClock.on(date(2026, 12, 20))
    for month, (num, den) in zip(
        ("2025-10", "2025-11", "2025-12"), ((4, 5), (4, 5), (5, 6)), strict=True
    ):
        put(seeded, clock, indicator="online_dossier", period=month, numerator=num, denominator=den)
    for quarter, (num, den) in zip(
        ("2026-Q1", "2026-Q2", "2026-Q3"), ((12, 15), (13, 15), (12, 14)), strict=True
    ):
        put(
            seeded,
            clock,
            indicator="online_dossier",
            period=quarter,
            numerator=num,
            denominator=den,
        )
    put(seeded, clock, indicator="online_dossier", period="2026-Q4", numerator=130, denominator=150)
    [flag] = report_flags(seeded, "ttpvhcc", "2026-Q4")
    assert flag.kind == FlagKind.OUTLIER_HISTORY and flag.field == "denominator"
    # 2025-Q4 is 5 + 5 + 6 = 16 dossiers: the median of 14, 15, 15, 16 is 15
    assert flag.message == "Mẫu số 150: gấp 10 lần trung vị 4 kỳ trước (15)"


def test_a_quarter_reported_in_only_some_of_its_months_is_no_history(seeded: Session) -> None:
    """Two months of volume would read as a fall: without all three, 2025-Q4 is left out and
    three quarters are too few to judge."""
    clock = FixedClock.on(date(2026, 12, 20))
    for month in ("2025-11", "2025-12"):
        put(seeded, clock, indicator="online_dossier", period=month, numerator=4, denominator=5)
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3"):
        put(seeded, clock, indicator="online_dossier", period=quarter, numerator=12, denominator=15)
    put(seeded, clock, indicator="online_dossier", period="2026-Q4", numerator=130, denominator=150)
    assert report_flags(seeded, "ttpvhcc", "2026-Q4") == []


def test_a_sample_below_the_minimum_flags_nothing(seeded: Session, clock: FixedClock) -> None:
    put(seeded, clock, indicator="online_dossier", period="2025-10", numerator=1, denominator=1000)
    put(seeded, clock, unit="vp", indicator="online_dossier", period="2025-10", value=90)
    assert report_flags(seeded, "ttpvhcc", "2025-10") == []


def test_a_computed_figure_differing_from_the_units_is_a_flag(
    seeded: Session, clock: FixedClock
) -> None:
    put(seeded, clock, indicator="online_dossier", period="2025-10", numerator=45, denominator=50)
    row = seeded.exec(select(Reading)).one()
    row.source, row.reported_value, row.value = ReadingSource.COMPUTED, 90.0, 97.5
    seeded.add(row)
    seeded.commit()
    [flag] = report_flags(seeded, "ttpvhcc", "2025-10")
    assert flag.kind == FlagKind.COMPUTED_DIFFERENCE and flag.severity == "flag"
    assert "97,5%" in flag.message and "đơn vị nhập: 90%" in flag.message


def submit(db: Session, clock: FixedClock, period: str = "2025-10") -> object:
    return transitions.act(
        action="submit", db_session=db, actor=REPORTER, clock=clock, unit="ttpvhcc", period=period
    )


def test_a_blocking_rule_refuses_the_submission_until_fixed(
    seeded: Session, clock: FixedClock
) -> None:
    put(
        seeded,
        clock,
        indicator="tthc_ontime",
        period="2025-10",
        domain="ho-tich",
        numerator=9,
        denominator=10,
    )
    put(
        seeded,
        clock,
        indicator="tthc_ontime",
        period="2025-10",
        domain="dat-dai",
        numerator=3,
        denominator=4,
    )
    put(
        seeded,
        clock,
        indicator="electronic_results",
        period="2025-10",
        numerator=15,
        denominator=15,
    )
    with pytest.raises(Invalid) as refused:
        submit(seeded, clock)
    seeded.rollback()
    assert refused.value.code == "blocked_by_rules" and refused.value.status_code == 422
    [error] = refused.value.errors
    assert error.field == "rules" and error.code == "ket-qua-dien-tu-khong-vuot-da-giai-quyet"
    assert "Số hồ sơ được cấp kết quả điện tử không thể nhiều hơn" in error.message
    assert "là 15" in error.message and "là 14" in error.message  # 10 + 4 dossiers resolved
    status = reporting_service.get_submission(
        db_session=seeded, actor=REPORTER, clock=clock, unit="ttpvhcc", period="2025-10", plan=None
    )
    assert status.status == "draft"

    put(
        seeded,
        clock,
        indicator="electronic_results",
        period="2025-10",
        numerator=14,
        denominator=14,
    )
    assert submit(seeded, clock).status == "submitted"  # type: ignore[attr-defined]


def test_percent_100_while_not_done_blocks(seeded: Session, clock: FixedClock) -> None:
    """Today's progress form refuses this pair itself; the rule catches rows stored before that
    check (here written straight to the table, as an older version of the app did)."""
    task = seeded.exec(select(Assignment).where(Assignment.code == "II.1.1.1")).one()
    unit = unit_service.get_by_code(db_session=seeded, code="ttpvhcc")
    period = Period.parse("2025-10")
    assert task.id is not None and unit.id is not None
    seeded.add(
        ProgressUpdate(
            assignment_id=task.id,
            unit_id=unit.id,
            period=str(period),
            period_start=period.start_date,
            period_end=period.end_date,
            status="in_progress",
            percent_complete=100,
            created_at=clock.now(),
            updated_at=clock.now(),
        )
    )
    seeded.commit()
    with pytest.raises(Invalid) as refused:
        submit(seeded, clock)
    seeded.rollback()
    assert "Nhiệm vụ II.1.1.1 ghi 100%" in refused.value.errors[0].message


def test_approving_a_report_with_flags_needs_a_comment(seeded: Session, clock: FixedClock) -> None:
    put(
        seeded,
        clock,
        indicator="digitized_components",
        period="2025-10",
        numerator=30,
        denominator=50,
    )
    put(seeded, clock, indicator="reuse_digitized", period="2025-10", numerator=40, denominator=50)
    assert submit(seeded, clock).status == "submitted"  # type: ignore[attr-defined]
    with pytest.raises(Invalid) as refused:
        transitions.act(
            action="approve",
            db_session=seeded,
            actor=COORDINATOR,
            clock=clock,
            unit="ttpvhcc",
            period="2025-10",
        )
    seeded.rollback()
    assert refused.value.errors[0].field == "comment"
    assert refused.value.message == "Báo cáo còn 1 cảnh báo; hãy ghi nhận xét khi duyệt."
    approved = transitions.act(
        action="approve",
        db_session=seeded,
        actor=COORDINATOR,
        clock=clock,
        unit="ttpvhcc",
        period="2025-10",
        comment="Đã hỏi đơn vị: số khai thác lại tính cả hồ sơ kỳ trước.",
    )
    assert approved.status == "approved"


def test_a_report_without_flags_is_approved_without_comment(
    seeded: Session, clock: FixedClock
) -> None:
    put(seeded, clock, indicator="online_dossier", period="2025-10", value=85)
    submit(seeded, clock)
    approved = transitions.act(
        action="approve",
        db_session=seeded,
        actor=COORDINATOR,
        clock=clock,
        unit="ttpvhcc",
        period="2025-10",
    )
    assert approved.status == "approved"


def test_the_queue_counts_flags_per_report(seeded: Session, clock: FixedClock) -> None:
    put(
        seeded,
        clock,
        indicator="digitized_components",
        period="2025-10",
        numerator=30,
        denominator=50,
    )
    put(seeded, clock, indicator="reuse_digitized", period="2025-10", numerator=40, denominator=49)
    # 49 received dossiers for one rate, 60 for the other: a second flag
    put(seeded, clock, indicator="online_dossier", period="2025-10", numerator=50, denominator=60)
    submit(seeded, clock)
    put(seeded, clock, unit="vp", indicator="online_dossier", period="2025-10", value=85)
    transitions.act(
        action="submit",
        db_session=seeded,
        actor=Actor(username="bc.vp", role=Role.REPORTER, unit_code="vp"),
        clock=clock,
        unit="vp",
        period="2025-10",
    )
    items, _ = reporting_service.list_submissions(
        db_session=seeded,
        actor=COORDINATOR,
        clock=clock,
        filters=reporting_service.SubmissionFilters(status="submitted"),  # type: ignore[arg-type]
    )
    assert {(i.unit, i.flag_count) for i in items} == {("ttpvhcc", 2), ("vp", 0)}


NEW_RULE = {
    "code": "truc-tuyen-toi-da-100",
    "message": "Tỷ lệ hồ sơ trực tuyến không thể vượt 100%.",
    "severity": "block",
    "left_indicator": "online_dossier",
    "operator": "<=",
    "right_constant": 100,
}


def test_rule_editing_is_for_the_plans_writers_and_audited(
    seeded: Session, clock: FixedClock
) -> None:
    with pytest.raises(Forbidden):
        rule_service.create_rule(
            db_session=seeded, actor=REPORTER, clock=clock, data=RuleCreate(**NEW_RULE)
        )
    created = rule_service.create_rule(
        db_session=seeded, actor=COORDINATOR, clock=clock, data=RuleCreate(**NEW_RULE)
    )
    assert created.version == 1 and created.left_field == "value"
    assert created.text == "giá trị của “Tỷ lệ hồ sơ TTHC được xử lý trực tuyến” ≤ 100"
    with pytest.raises(Conflict) as taken:
        rule_service.create_rule(
            db_session=seeded, actor=COORDINATOR, clock=clock, data=RuleCreate(**NEW_RULE)
        )
    assert taken.value.code == "rule_exists"
    seeded.rollback()

    fields = {k: v for k, v in NEW_RULE.items() if k != "code"}
    update = RuleUpdate(**{**fields, "severity": "flag", "version": 1})
    changed = rule_service.update_rule(
        db_session=seeded,
        actor=COORDINATOR,
        clock=clock,
        plan_code=None,
        code=NEW_RULE["code"],
        data=update,
    )
    assert changed.severity == "flag" and changed.version == 2
    with pytest.raises(Conflict) as stale:
        rule_service.update_rule(
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            plan_code=None,
            code=NEW_RULE["code"],
            data=update,
        )
    assert stale.value.code == "stale_version"
    seeded.rollback()
    off = rule_service.set_active(
        db_session=seeded,
        actor=ADMIN,
        clock=clock,
        plan_code=None,
        code=NEW_RULE["code"],
        active=False,
        version=2,
    )
    assert off.active is False
    events = seeded.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "validation_rule")
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.action, e.actor_username) for e in events] == [
        ("create", "dp.vhxh"),
        ("update", "dp.vhxh"),
        ("update", "admin"),
    ]
    assert events[1].before["severity"] == "block" and events[1].after["severity"] == "flag"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"left_indicator": "khong-co"}, "left_indicator", "unknown_indicator"),
        ({"left_domain": "ho-tich"}, "left_domain", "not_by_domain"),
        ({"operator": None}, "operator", "invalid_rule"),
        ({"right_constant": None}, "right_indicator", "invalid_rule"),
    ],
)
def test_a_bad_rule_is_refused_next_to_its_field(
    seeded: Session, clock: FixedClock, changes: dict[str, object], field: str, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        rule_service.create_rule(
            db_session=seeded, actor=ADMIN, clock=clock, data=RuleCreate(**{**NEW_RULE, **changes})
        )
    assert (refused.value.errors[0].field, refused.value.errors[0].code) == (field, code)


def test_the_seed_adds_plan_84s_rules_once(seeded: Session, clock: FixedClock) -> None:
    from app.seed import service as seed_service

    codes = [r.code for r in rule_service.list_rules(db_session=seeded, plan_code=None)]
    assert "ket-qua-dien-tu-khong-vuot-da-giai-quyet" in codes and len(codes) == 5
    again = seed_service.seed_plan(db_session=seeded, clock=clock)
    assert "validation_rules" not in again.created


def test_the_queue_counts_flags_without_a_query_per_report(
    seeded: Session, clock: FixedClock
) -> None:
    """One load for all the waiting reports: the queries do not grow with the queue."""
    from tests.conftest import statements

    def queue_queries() -> int:
        with statements(seeded.get_bind()) as seen:  # type: ignore[arg-type]
            reporting_service.list_submissions(
                db_session=seeded,
                actor=COORDINATOR,
                clock=clock,
                filters=reporting_service.SubmissionFilters(status="submitted"),  # type: ignore[arg-type]
            )
        return len(seen)

    def send(unit: str) -> None:
        put(seeded, clock, unit=unit, indicator="online_dossier", period="2025-10", value=85)
        transitions.act(
            action="submit",
            db_session=seeded,
            actor=ADMIN,
            clock=clock,
            unit=unit,
            period="2025-10",
        )

    send("ttpvhcc")
    one = queue_queries()
    assert one >= 5  # the submissions, units, indicators, domains, readings, progress, rules
    for unit in ("vp", "kthtdt", "mttq"):
        send(unit)
    assert queue_queries() == one
