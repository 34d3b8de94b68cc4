"""The scores service on a real database: band boundaries, properties, and bounded SQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.plans import service as plan_service
from app.scores import cache, queries, service
from tests.conftest import statements
from tests.scores.conftest import open_for_edit, progress, reading

ADMIN = Actor(username="admin", role="admin")


def vp(db_session: Session, clock: FixedClock, period: str = "2025-10"):
    db_session.expire_all()
    return service.unit_breakdown(
        db_session=db_session, actor=ADMIN, clock=clock, unit="vp", period=period
    )


def report_every_task(
    api: TestClient, seeded: Session, clock: FixedClock, period: str, status: str, percent: int
) -> int:
    """vp reports every task it must report on with the same status; returns how many."""
    required = [t.assignment for t in vp(seeded, clock, period).tasks.items if t.required]
    for code in required:
        body = {"percent_complete": percent} if status == "in_progress" else {}
        progress(api, assignment=code, unit="vp", period=period, status=status, **body)
    return len(required)


@pytest.mark.parametrize(
    ("percent", "band"),
    [
        (90, "Hoàn thành xuất sắc nhiệm vụ"),
        (89, "Hoàn thành tốt nhiệm vụ"),
        (80, "Hoàn thành tốt nhiệm vụ"),
        (79, "Hoàn thành nhiệm vụ"),
        (50, "Hoàn thành nhiệm vụ"),
        (49, "Không hoàn thành nhiệm vụ"),
        (0, "Không hoàn thành nhiệm vụ"),
    ],
)
def test_band_boundaries(
    api: TestClient, seeded: Session, clock: FixedClock, percent: int, band: str
) -> None:
    """Every task reported at the same percent in November, whose report is not due yet: the
    score is that percent (the task part alone)."""
    status = "not_started" if percent == 0 else "in_progress"
    assert report_every_task(api, seeded, clock, "2025-11", status, percent) == 47
    result = vp(seeded, clock, "2025-11")
    assert result.reporting.state == "not_due"
    assert result.score == percent
    assert result.classification == band
    assert [c.share for c in result.components] == [1.0, 0.0, 0.0]
    assert (result.coverage.reported, result.coverage.expected) == (47, 47)


def test_one_finished_task_out_of_many_does_not_score_100(
    api: TestClient, seeded: Session, clock: FixedClock
) -> None:
    """The first release scored a unit reporting 1 task of 47 (done) at 100, rank 1."""
    progress(api, assignment="II.2.2.1", unit="vp", period="2025-11", status="done")
    result = vp(seeded, clock, "2025-11")
    assert result.tasks.score == pytest.approx(1 / 47)
    assert result.score == pytest.approx(100 / 47)
    assert (result.coverage.reported, result.coverage.expected) == (1, 47)
    silent = [t for t in result.tasks.items if t.status is None]
    assert len(silent) == 46 and all(t.credit == 0 for t in silent)
    assert all(t.formula.startswith("chưa báo cáo = 0") for t in silent)


def test_not_applicable_only_leaves_the_task_part_out(
    api: TestClient, seeded: Session, clock: FixedClock
) -> None:
    report_every_task(api, seeded, clock, "2025-11", "not_applicable", 0)
    reading(api, indicator="complaint_ontime", unit="vp", period="2025-11", value=76)
    result = vp(seeded, clock, "2025-11")
    assert result.tasks.score is None and result.tasks.formula == "không có nhiệm vụ nào được tính"
    assert result.score == pytest.approx(80)  # 76 / 95, the only part with data
    assert result.formula == "100 × 0,800 = 80,00 (chia lại trọng số vì thiếu: nhiệm vụ, báo cáo)"


def test_progress_carries_forward_until_reported_again(
    api: TestClient, seeded: Session, clock: FixedClock
) -> None:
    progress(api, assignment="II.2.2.1", unit="vp", period="2025-10", status="done")
    progress(
        api,
        assignment="II.2.2.2",
        unit="vp",
        period="2025-10",
        status="in_progress",
        percent_complete=40,
    )
    progress(
        api,
        assignment="II.2.2.2",
        unit="vp",
        period="2025-11",
        status="in_progress",
        percent_complete=70,
    )
    items = {t.assignment: t for t in vp(seeded, clock, "2025-11").tasks.items}
    assert (items["II.2.2.1"].period, items["II.2.2.1"].credit) == ("2025-10", 1.0)
    assert (items["II.2.2.2"].period, items["II.2.2.2"].credit) == ("2025-11", 0.7)
    october = {t.assignment: t for t in vp(seeded, clock, "2025-10").tasks.items}
    assert october["II.2.2.2"].credit == 0.4  # November's report is not seen from October


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    low=st.integers(min_value=0, max_value=1000),
    gain=st.integers(min_value=0, max_value=1000),
    percent=st.integers(min_value=0, max_value=99),
)
def test_a_better_reading_never_lowers_a_score(
    ward: TestClient, seeded: Session, clock: FixedClock, low: int, gain: int, percent: int
) -> None:
    """Properties on the real pipeline: monotone in the reading, and always within 0–100."""
    high = min(low + gain, 1000)
    open_for_edit(ward, "vp")
    progress(
        ward,
        assignment="II.2.2.1",
        unit="vp",
        period="2025-10",
        status="in_progress",
        percent_complete=percent,
    )
    scores = []
    for numerator in (low, high):
        reading(
            ward,
            indicator="complaint_ontime",
            unit="vp",
            period="2025-10",
            numerator=numerator,
            denominator=1000,
        )
        result = vp(seeded, clock)
        assert result.score is not None and 0 <= result.score <= 100
        assert sum(c.contribution for c in result.components) == result.score
        scores.append(result.score)
    assert scores[1] >= scores[0]


def test_the_number_of_queries_does_not_grow_with_the_data(
    ward: TestClient, seeded: Session, clock: FixedClock, clean_db: Engine
) -> None:
    """No query per unit, task or reading: the summary's SQL is the same for more data. Both
    computed from nothing (the plan's frame would be kept across the data's writes)."""
    cache.RESULTS.clear()
    with statements(clean_db) as before:
        service.ward_summary(db_session=seeded, actor=ADMIN, clock=clock, period="2025-10")
    for unit in ("vhxh", "kthtdt", "mttq"):
        reading(ward, indicator="complaint_ontime", unit=unit, period="2025-10", value=50)
        reading(ward, indicator="complaint_ontime", unit=unit, period="2025-11", value=60)
        for task in ("II.1.1.1", "II.1.1.3", "II.1.1.4"):
            progress(ward, assignment=task, unit=unit, period="2025-10", status="done")
    seeded.expire_all()
    cache.RESULTS.clear()
    with statements(clean_db) as after:
        summary = service.ward_summary(
            db_session=seeded, actor=ADMIN, clock=clock, period="2025-10"
        )
    assert summary.units[0].score is not None
    assert len(after) == len(before) <= 15


def test_reporting_units_agree_with_the_reporting_service(api: TestClient, seeded: Session) -> None:
    """The scores' recursive CTE and the reporting module must name the same units."""
    for code, parent in (("to-1", "vhxh"), ("to-2", "to-1")):
        body = {"code": code, "name": code, "short_name": code, "kind": "other", "parent": parent}
        assert api.post("/api/v1/units", json=body).status_code == 201
    assert api.patch("/api/v1/units/mttq", json={"active": False}).status_code == 200
    seeded.expire_all()
    plan = plan_service.get_plan(db_session=seeded, code=None)
    ours = queries.reporting_units(db_session=seeded, issuer_id=plan.issuer_unit_id)
    theirs = plan_service.expected_units(db_session=seeded, plan=plan)
    assert [u.code for u in ours] == [u.code for u in theirs]
    assert {"to-1", "to-2"} <= {u.code for u in ours} and "mttq" not in {u.code for u in ours}
