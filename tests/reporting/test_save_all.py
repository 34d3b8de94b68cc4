"""“Lưu tất cả” on both databases: per-row results, the same rules as a single save."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.actors import Actor
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import Forbidden
from app.permissions import Role
from app.progress import service as progress_service
from app.reporting import save_all, transitions

REPORTER = Actor(username="bc.ttpv", role=Role.REPORTER, unit_code="ttpvhcc", via="web")
OTHER = Actor(username="bc.vp", role=Role.REPORTER, unit_code="vp", via="web")
COORDINATOR = Actor(username="dp.vhxh", role=Role.COORDINATOR, unit_code="vhxh", via="web")


def _progress(db_session: Session, code: str, period: str = "2025-10") -> dict[str, object]:
    items, _ = progress_service.list_progress(
        db_session=db_session,
        actor=REPORTER,
        filters=progress_service.ProgressFilters(unit="ttpvhcc", period=period, assignment=code),
        limit=10,
        offset=0,
    )
    return items[0].model_dump() if items else {}


def test_every_row_gets_its_result_and_a_bad_row_does_not_stop_the_others(
    seeded: Session, clock: FixedClock
) -> None:
    result = save_all.save_rows(
        db_session=seeded,
        actor=REPORTER,
        clock=clock,
        unit="ttpvhcc",
        period="2025-10",
        tasks=[
            {
                "assignment": "II.1.1.1",
                "status": "in_progress",
                "percent_complete": "40",
                "result": "Đã ban hành kế hoạch",
                "version": 0,
            },
            {"assignment": "II.1.1.2", "status": "done", "version": 0},
        ],
        readings=[
            {"indicator": "online_dossier", "value": "150", "version": 0},
            {"indicator": "tthc_ontime", "domain": "ho-tich", "value": "98,5", "version": 0},
        ],
    )
    by_key = {row.key: row for row in result.rows}
    assert (result.saved, result.failed) == (3, 1)
    assert by_key["II.1.1.1"].status == "saved" and by_key["II.1.1.1"].version == 1
    assert by_key["online_dossier"].status == "invalid"
    assert by_key["online_dossier"].errors == {"value": "Tỷ lệ phải từ 0 đến 100%."}
    assert by_key["tthc_ontime/ho-tich"].status == "saved"
    seeded.expire_all()
    assert _progress(seeded, "II.1.1.1")["result"] == "Đã ban hành kế hoạch"
    assert _progress(seeded, "II.1.1.2")["percent_complete"] == 100
    keys = set(
        seeded.exec(select(AuditEvent.entity_key).where(AuditEvent.entity == "progress")).all()
    )
    assert keys == {"II.1.1.1/ttpvhcc/2025-10", "II.1.1.2/ttpvhcc/2025-10"}


def test_versions_are_respected_row_by_row(seeded: Session, clock: FixedClock) -> None:
    row = {"assignment": "II.1.1.1", "status": "in_progress", "percent_complete": "40"}

    def save(version: int, result: str) -> save_all.RowOutcome:
        return save_all.save_rows(
            db_session=seeded,
            actor=REPORTER,
            clock=clock,
            unit="ttpvhcc",
            period="2025-10",
            tasks=[{**row, "result": result, "version": version}],
        ).rows[0]

    assert save(0, "Lần đầu").status == "saved"
    stale = save(0, "Của người thứ hai, chưa thấy bản đầu")
    assert stale.status == "conflict" and stale.version is None
    assert save(1, "Sửa trên bản 1").version == 2
    again = save(1, "Sửa trên bản cũ")
    assert again.status == "conflict"
    assert "người khác" in again.message or again.errors
    seeded.expire_all()
    assert _progress(seeded, "II.1.1.1")["result"] == "Sửa trên bản 1"
    assert save(2, "Sửa trên bản 1").status == "unchanged"


def test_another_units_reporter_cannot(seeded: Session, clock: FixedClock) -> None:
    with pytest.raises(Forbidden):
        save_all.save_rows(
            db_session=seeded,
            actor=OTHER,
            clock=clock,
            unit="ttpvhcc",
            period="2025-10",
            tasks=[{"assignment": "II.1.1.1", "status": "done"}],
        )
    assert _progress(seeded, "II.1.1.1") == {}


def test_an_approved_period_is_locked_for_every_row(seeded: Session, clock: FixedClock) -> None:
    first = save_all.save_rows(
        db_session=seeded,
        actor=REPORTER,
        clock=clock,
        unit="ttpvhcc",
        period="2025-10",
        tasks=[{"assignment": "II.1.1.1", "status": "done", "version": 0}],
    )
    assert first.saved == 1
    for action, actor in (("submit", REPORTER), ("approve", COORDINATOR)):
        transitions.act(
            action=action,
            db_session=seeded,
            actor=actor,
            clock=clock,
            unit="ttpvhcc",
            period="2025-10",
        )
    result = save_all.save_rows(
        db_session=seeded,
        actor=REPORTER,
        clock=clock,
        unit="ttpvhcc",
        period="2025-10",
        tasks=[
            {"assignment": "II.1.1.1", "status": "not_started", "version": 1},
            {"assignment": "II.1.1.2", "status": "done", "version": 0},
        ],
    )
    assert result.saved == 0
    assert {row.status for row in result.rows} == {"refused"}
    assert all("duyệt" in row.message for row in result.rows)
    seeded.expire_all()
    assert _progress(seeded, "II.1.1.1")["status"] == "done"
    assert _progress(seeded, "II.1.1.2") == {}
