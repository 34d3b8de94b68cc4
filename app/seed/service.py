"""Loading Plan 84 (units, PAR areas, domains, the plan, its tasks and targets) from data.

The loader only adds what is missing, keyed by code: re-running it never duplicates a row and never
undoes an edit an admin made through the API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app import tenancy
from app.clock import Clock
from app.kpis.models import Domain, Indicator
from app.plans.codes import sort_key_for
from app.plans.models import Area, Assignment, AssignmentCoordinator, Plan
from app.reporting import rule_service
from app.units.models import Unit
from app.wards.models import Ward

DATA_DIR = Path(__file__).resolve().parent / "data"
PLAN84_FILE = DATA_DIR / "plan84.json"


def load_data(path: Path = PLAN84_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.created.values())


def _opt_date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _units(
    *, db_session: Session, data: dict[str, Any], report: SeedReport, now: datetime
) -> dict[str, Unit]:
    """Every unit by code; a parent comes before its children in the data."""
    units = {u.code: u for u in db_session.exec(select(Unit)).all()}
    for item in data["units"]:
        if item["code"] in units:
            continue
        parent = units[item["parent"]] if item["parent"] else None
        unit = Unit(
            code=item["code"],
            name=item["name"],
            short_name=item["short_name"],
            kind=item["kind"],
            parent_id=parent.id if parent else None,
            created_at=now,
            updated_at=now,
        )
        db_session.add(unit)
        db_session.flush()
        units[unit.code] = unit
        report.add("units")
    return units


def _areas_and_domains(
    *, db_session: Session, data: dict[str, Any], report: SeedReport, now: datetime
) -> dict[str, Area]:
    """The PAR areas by code (tasks and indicators point at them), and the TTHC domains."""
    areas = {a.code: a for a in db_session.exec(select(Area)).all()}
    for item in data["areas"]:
        if item["code"] not in areas:
            areas[item["code"]] = Area(**item)
            db_session.add(areas[item["code"]])
            report.add("areas")
    domains = set(db_session.exec(select(Domain.code)).all())
    for position, item in enumerate(data["domains"], start=1):
        if item["code"] not in domains:
            db_session.add(
                Domain(code=item["code"], name=item["name"], position=position, created_at=now)
            )
            report.add("domains")
    db_session.flush()
    return areas


def _plan(
    *,
    db_session: Session,
    data: dict[str, Any],
    report: SeedReport,
    now: datetime,
    units: dict[str, Unit],
) -> Plan:
    spec = data["plan"]
    plan = db_session.exec(select(Plan).where(Plan.code == spec["code"])).first()
    if plan is not None:
        return plan
    plan = Plan(
        code=spec["code"],
        number=spec["number"],
        title=spec["title"],
        issued_date=date.fromisoformat(spec["issued_date"]),
        issuer_unit_id=_id(units[spec["issuer_unit"]]),
        coordinator_unit_id=_id(units[spec["coordinator_unit"]]),
        signer_name=spec["signer_name"],
        signer_title=spec["signer_title"],
        basis=spec["basis"],
        reporting=spec["reporting"],
        reporting_start=spec["reporting_start"],
        first_year=spec.get("first_year", int(spec["issued_date"][:4])),
        last_year=spec.get("last_year", int(spec["issued_date"][:4])),
        footnotes=data["footnotes"],
        created_at=now,
        updated_at=now,
    )
    db_session.add(plan)
    db_session.flush()
    report.add("plans")
    return plan


@dataclass(frozen=True)
class _Seeded:
    """What later rows point at, by code."""

    now: datetime
    units: dict[str, Unit]
    areas: dict[str, Area]
    plan: Plan


def _assignments(
    *, db_session: Session, data: dict[str, Any], report: SeedReport, seeded: _Seeded
) -> dict[str, Assignment]:
    """The plan's tasks by code, each with its coordinating units."""
    plan, units, now = seeded.plan, seeded.units, seeded.now
    existing = {
        a.code: a
        for a in db_session.exec(select(Assignment).where(Assignment.plan_id == plan.id)).all()
    }
    for item in data["assignments"]:
        if item["code"] in existing:
            continue
        row = Assignment(
            plan_id=_id(plan),
            code=item["code"],
            section=item["section"],
            position=item["position"],
            sort_key=sort_key_for(item["code"]),
            text=item["text"],
            area_id=_id(seeded.areas[item["area"]]),
            scope=item["scope"],
            lead_unit_id=_id(units[item["lead_unit"]]) if item["lead_unit"] else None,
            cadence=item["cadence"],
            due_date=_opt_date(item["due_date"]),
            expected_product=item["expected_product"],
            footnotes=item["footnotes"],
            created_at=now,
            updated_at=now,
        )
        db_session.add(row)
        db_session.flush()
        for code in item["coordinating_units"]:
            db_session.add(AssignmentCoordinator(assignment_id=_id(row), unit_id=_id(units[code])))
        existing[row.code] = row
        report.add("assignments")
    return existing


def _indicators(
    *,
    db_session: Session,
    data: dict[str, Any],
    report: SeedReport,
    seeded: _Seeded,
    assignments: dict[str, Assignment],
) -> None:
    plan, units, now = seeded.plan, seeded.units, seeded.now
    indicators = {
        i.code for i in db_session.exec(select(Indicator).where(Indicator.plan_id == plan.id))
    }
    for item in data["indicators"]:
        if item["code"] in indicators:
            continue
        db_session.add(
            Indicator(
                plan_id=_id(plan),
                code=item["code"],
                name=item["name"],
                description=item["description"],
                area_id=_id(seeded.areas[item["area"]]),
                measure=item["measure"],
                comparator=item["comparator"],
                target=float(item["target"]),
                due_date=_opt_date(item["due_date"]),
                responsible_unit_id=(
                    _id(units[item["responsible_unit"]]) if item["responsible_unit"] else None
                ),
                disaggregation=item["disaggregation"],
                domain_targets=dict(item.get("domain_targets") or {}),
                source_section=item["source_section"],
                assignment_id=(
                    _id(assignments[item["assignment"]]) if item["assignment"] else None
                ),
                created_at=now,
                updated_at=now,
            )
        )
        report.add("indicators")
    db_session.flush()


def seed_plan(
    *, db_session: Session, clock: Clock, data: dict[str, Any] | None = None, commit: bool = True
) -> SeedReport:
    """Insert whatever of the plan's data is missing, in one transaction.

    In dependency order: the ward, units, areas and domains, the plan, its tasks, its indicators
    (which may name a task), then the validation rules. Everything but the city-wide areas and
    domains is the ward's (``data["ward"]``): seeding another ward's copy of the plan adds a
    second, separate set of units and tasks."""
    data = data or load_data()
    report = SeedReport()
    now = clock.now()
    before = tenancy.scope_of(db_session)
    ward = _ward(db_session=db_session, data=data, report=report, now=now)
    tenancy.enter(db_session, tenancy.Scope(ward_id=ward.id))
    try:
        _seed_ward(db_session=db_session, data=data, report=report, now=now)
        if commit:
            db_session.commit()
    finally:
        if before is None:
            tenancy.leave(db_session)
        else:
            tenancy.enter(db_session, before)
    return report


def _ward(*, db_session: Session, data: dict[str, Any], report: SeedReport, now: datetime) -> Ward:
    spec = data.get("ward") or {"code": "phu-dinh", "name": "Phường Phú Định"}
    ward = db_session.exec(select(Ward).where(Ward.code == spec["code"])).first()
    if ward is None:
        ward = Ward(
            code=spec["code"],
            name=spec["name"],
            city=spec.get("city", "Thành phố Hồ Chí Minh"),
            created_at=now,
            updated_at=now,
        )
        db_session.add(ward)
        db_session.flush()
        report.add("wards")
    return ward


def _seed_ward(
    *, db_session: Session, data: dict[str, Any], report: SeedReport, now: datetime
) -> None:
    units = _units(db_session=db_session, data=data, report=report, now=now)
    areas = _areas_and_domains(db_session=db_session, data=data, report=report, now=now)
    _par_framework(db_session=db_session, report=report, now=now)
    plan = _plan(db_session=db_session, data=data, report=report, now=now, units=units)
    seeded = _Seeded(now=now, units=units, areas=areas, plan=plan)
    assignments = _assignments(db_session=db_session, data=data, report=report, seeded=seeded)
    _indicators(
        db_session=db_session, data=data, report=report, seeded=seeded, assignments=assignments
    )
    for _ in range(rule_service.seed_rules(db_session=db_session, plan=plan, now=now)):
        report.add("validation_rules")
    db_session.flush()


def _par_framework(*, db_session: Session, report: SeedReport, now: datetime) -> None:
    """The starting PAR Index criteria table, shared by every ward (``app.par``), once."""
    from app.par import framework

    starter = framework.starter_data()
    known = db_session.exec(
        select(framework.ParFramework.id).where(framework.ParFramework.code == starter["code"])
    ).first()
    if known is None:
        framework.load_framework(db_session, starter, now=now)
        report.add("par_frameworks")


def is_empty(*, db_session: Session) -> bool:
    """Whether no plan is loaded at all (``make run`` seeds Plan 84 only into an empty database)."""
    return db_session.exec(select(Plan.id).limit(1)).first() is None


def _id(row: Unit | Area | Plan | Assignment) -> int:
    assert row.id is not None, "row must be flushed before its id is used"
    return row.id
