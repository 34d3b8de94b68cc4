"""Loading Plan 84 into the database: complete, faithful to the data file, safe to repeat."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from app import migrate
from app.cli import app as cli_app
from app.clock import FixedClock
from app.config import get_settings
from app.kpis.models import Domain, Indicator
from app.plans.models import Area, Assignment, AssignmentCoordinator, Plan
from app.seed import service as seed_service
from app.units.models import Unit


def test_seed_loads_everything_in_the_data_file(seeded: Session) -> None:
    data = seed_service.load_data()
    assert len(seeded.exec(select(Unit)).all()) == len(data["units"])
    assert len(seeded.exec(select(Area)).all()) == 8
    assert len(seeded.exec(select(Domain)).all()) == len(data["domains"])
    assert len(seeded.exec(select(Indicator)).all()) == 15
    rows = seeded.exec(select(Assignment)).all()
    assert len(rows) == 70
    assert sum(1 for r in rows if r.section.startswith("II.")) == 66


def test_seeded_assignments_match_the_file_text_and_leads(seeded: Session) -> None:
    data = seed_service.load_data()
    units = {u.id: u.code for u in seeded.exec(select(Unit)).all()}
    rows = {a.code: a for a in seeded.exec(select(Assignment)).all()}
    for item in data["assignments"]:
        row = rows[item["code"]]
        assert row.text == item["text"]
        assert (units[row.lead_unit_id] if row.lead_unit_id else None) == item["lead_unit"]
        assert row.cadence == item["cadence"]
    leads = Counter(units.get(r.lead_unit_id) for r in rows.values() if r.lead_unit_id)
    assert leads == {"vhxh": 12, "vp": 5, "ttpvhcc": 6, "kthtdt": 4, "mttq": 1}


def test_seeded_coordinators_match_the_file(seeded: Session) -> None:
    data = seed_service.load_data()
    units = {u.id: u.code for u in seeded.exec(select(Unit)).all()}
    codes = {a.id: a.code for a in seeded.exec(select(Assignment)).all()}
    stored = {
        (codes[link.assignment_id], units[link.unit_id])
        for link in seeded.exec(select(AssignmentCoordinator)).all()
    }
    expected = {(a["code"], u) for a in data["assignments"] for u in a["coordinating_units"]}
    assert stored == expected
    assert ("II.2.3.4", "vhxh") in stored


def test_seeded_indicators_keep_comparator_and_target(seeded: Session) -> None:
    data = seed_service.load_data()
    rows = {i.code: i for i in seeded.exec(select(Indicator)).all()}
    for item in data["indicators"]:
        assert rows[item["code"]].comparator == item["comparator"]
        assert rows[item["code"]].target == float(item["target"])
        assert rows[item["code"]].disaggregation == item["disaggregation"]
    assert rows["tthc_ontime"].disaggregation == "domain"


def test_seed_is_idempotent_and_keeps_edits(seeded: Session, clock: FixedClock) -> None:
    task = seeded.exec(select(Assignment).where(Assignment.code == "II.1.1.1")).one()
    task.expected_product = "Sửa bởi quản trị viên"
    seeded.add(task)
    seeded.commit()

    report = seed_service.seed_plan(db_session=seeded, clock=clock)

    assert report.total == 0
    assert len(seeded.exec(select(Assignment)).all()) == 70
    assert len(seeded.exec(select(Plan)).all()) == 1
    seeded.refresh(task)
    assert task.expected_product == "Sửa bởi quản trị viên"


def test_seed_restores_a_missing_row_only(seeded: Session, clock: FixedClock) -> None:
    domain = seeded.exec(select(Domain).where(Domain.code == "ho-tich")).one()
    seeded.delete(domain)
    seeded.commit()

    report = seed_service.seed_plan(db_session=seeded, clock=clock)

    assert report.created == {"domains": 1}


def test_is_empty(db_session: Session, clock: FixedClock) -> None:
    assert seed_service.is_empty(db_session=db_session)
    seed_service.seed_plan(db_session=db_session, clock=clock)
    assert not seed_service.is_empty(db_session=db_session)


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli' / 'partrack.db'}"
    monkeypatch.setenv("PARTRACK_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_cli_upgrade_then_seed_twice(cli_database: str) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    first = runner.invoke(cli_app, ["seed", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "70 assignments" in first.output
    again = runner.invoke(cli_app, ["seed", "--if-empty"])
    assert again.exit_code == 0
    assert "không nạp lại" in again.output
    forced = runner.invoke(cli_app, ["seed"])
    assert "Không có gì mới" in forced.output


def test_migrate_upgrade_creates_folder_for_cli(cli_database: str) -> None:
    migrate.upgrade(cli_database)
    assert Path(cli_database.removeprefix("sqlite:///")).exists()
