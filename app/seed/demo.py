"""``partrack demo --wards N``: a demo city for training and for the benchmarks.

N wards, each with Plan 84 loaded through the seed's own loader (so each has its own units and
tasks under the same codes), accounts for every role, and the reports a ward would have by today:
readings of every target by its responsible unit, progress on every task a unit leads, and each
unit's report per period (mostly on time and approved, some late, a few missing). The values are
random around the targets, from a fixed seed: the same N gives the same city.

The first wards bear names of wards of Ho Chi Minh City (for a realistic look in training); the
data in them is invented. Past the list, wards are numbered.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from app import tenancy
from app.accounts import passwords
from app.accounts.models import User
from app.clock import Clock
from app.db import insert_many, table_of
from app.errors import Conflict
from app.kpis.models import Domain, Indicator, Reading
from app.periods import Period
from app.plans import service as plan_service
from app.plans.models import Assignment, Plan, Scope
from app.progress.models import ProgressUpdate
from app.seed import service as seed_service
from app.submissions.models import Submission
from app.units.models import Unit
from app.wards.models import Ward

#: Names of wards of Ho Chi Minh City (since 1 July 2025), for the demo's first wards.
WARD_NAMES = [
    "Phú Định", "Bình Đông", "Chánh Hưng", "Bình Phú", "Phú Lâm", "Chợ Lớn", "An Đông",
    "Bình Tây", "Bình Tiên", "Sài Gòn", "Tân Định", "Bến Thành", "Cầu Ông Lãnh", "Bàn Cờ",
    "Xuân Hòa", "Nhiêu Lộc", "Xóm Chiếu", "Khánh Hội", "Vĩnh Hội", "Chợ Quán", "Bình Thạnh",
    "Gia Định", "Thạnh Mỹ Tây", "Bình Lợi Trung", "Gò Vấp", "Hạnh Thông", "An Nhơn",
    "Thông Tây Hội", "An Hội Đông", "An Hội Tây", "Phú Nhuận", "Đức Nhuận", "Cầu Kiệu",
    "Tân Sơn Nhất", "Tân Bình", "Bảy Hiền", "Tân Hòa", "Tân Sơn Hòa", "Tân Phú", "Phú Thọ Hòa",
]  # fmt: skip

DEMO_PASSWORD_ENV = "PARTRACK_DEMO_PASSWORD"


@dataclass
class DemoReport:
    wards: int = 0
    users: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int) -> None:
        self.rows[kind] = self.rows.get(kind, 0) + count


def _slug(name: str) -> str:
    bare = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in bare if not unicodedata.combining(c)).lower().replace(" ", "-")


def ward_name(number: int) -> tuple[str, str]:
    """(code, name) of the demo's ward ``number`` (from 1)."""
    if number <= len(WARD_NAMES):
        name = WARD_NAMES[number - 1]
        return _slug(name), f"Phường {name}"
    return f"phuong-{number:03d}", f"Phường số {number}"


def _value(rng: random.Random, indicator: Indicator) -> float:
    if indicator.comparator in ("<=", "<"):
        return round(indicator.target * rng.uniform(0.7, 1.2), 1)
    ceiling = 100.0 if indicator.measure == "percent" else indicator.target * 1.2
    return round(min(ceiling, indicator.target * rng.uniform(0.9, 1.04)), 1)


@dataclass
class _Ward:
    plan: Plan
    units: list[Unit]
    tasks: list[Assignment]
    indicators: list[Indicator]
    domains: list[int]
    periods: list[Period]


def _load(db_session: Session, clock: Clock) -> _Ward:
    plan = plan_service.get_plan(db_session=db_session, code=None)
    calendar = plan_service.calendar_for(plan)
    return _Ward(
        plan=plan,
        units=plan_service.expected_units(db_session=db_session, plan=plan),
        tasks=list(db_session.exec(select(Assignment).where(Assignment.plan_id == plan.id))),
        indicators=list(db_session.exec(select(Indicator).where(Indicator.plan_id == plan.id))),
        domains=[d for d in db_session.exec(select(Domain.id).order_by(col(Domain.id))) if d],
        periods=calendar.periods(until=clock.today()),
    )


def _rows(ward: _Ward, rng: random.Random, now: datetime) -> dict[str, list[dict[str, Any]]]:
    readings: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    calendar = plan_service.calendar_for(ward.plan)
    common = {"version": 1, "created_at": now, "updated_at": now}
    for period in ward.periods:
        when = {"period": str(period), "period_start": period.start_date}
        for indicator in ward.indicators:
            unit_id = indicator.responsible_unit_id or ward.plan.coordinator_unit_id
            domains = (
                rng.sample(ward.domains, 3) if indicator.disaggregation == "domain" else [None]
            )
            for domain in domains:
                readings.append({
                    "indicator_id": indicator.id, "unit_id": unit_id, **when,
                    "period_end": period.end_date, "domain_id": domain,
                    "value": _value(rng, indicator), "numerator": None, "denominator": None,
                    "note": "", "evidence_url": "", "source": "demo", **common,
                })  # fmt: skip
        for unit in ward.units:
            for task in ward.tasks:
                if task.scope != Scope.ALL_UNITS and task.lead_unit_id != unit.id:
                    continue
                status = rng.choices(["done", "in_progress", "not_started"], [5, 4, 1])[0]
                percent = {"done": 100, "not_started": 0}.get(status, rng.randint(20, 90))
                updates.append({
                    "assignment_id": task.id, "unit_id": unit.id, **when,
                    "period_end": period.end_date, "status": status,
                    "percent_complete": percent, "result": "Đã triển khai theo kế hoạch.",
                    "difficulties": "", "proposals": "", "evidence": "", **common,
                })  # fmt: skip
            due = calendar.default_due_date(period)
            kind = rng.choices(["approved", "late", "missing"], [8, 2, 1])[0]
            sent = None
            if kind != "missing":
                offset = -1 if kind == "approved" else 4
                sent = datetime.combine(due + timedelta(days=offset), time(9), UTC)
            reports.append({
                "plan_id": ward.plan.id, "unit_id": unit.id, **when, "due_date": due,
                "status": {"approved": "approved", "late": "submitted"}.get(kind, "draft"),
                "first_submitted_at": sent, "submitted_at": sent, "submitted_by": "",
                "reviewed_at": sent + timedelta(days=2) if kind == "approved" and sent else None,
                "reviewed_by": "", "review_comment": "", "reopen_reason": "", **common,
            })  # fmt: skip
    return {"readings": readings, "progress": updates, "reports": reports}


def _users(db_session: Session, ward: Ward, units: list[Unit], password_hash: str,
           now: datetime) -> int:  # fmt: skip
    coordinator = next((u for u in units if u.code == "vhxh"), None)
    people: list[tuple[str, str, int | None]] = [(f"{ward.code}.admin", "admin", None)]
    if coordinator is not None:
        people.append((f"{ward.code}.vhxh", "coordinator", coordinator.id))
    people += [(f"{ward.code}.{u.code}", "reporter", u.id) for u in units if u is not coordinator]
    for username, role, unit_id in people:
        db_session.add(
            User(
                username=username, full_name=f"{ward.name} · {username.split('.')[-1]}",
                password_hash=password_hash, role=role, ward_id=ward.id, unit_id=unit_id,
                password_changed_at=now, created_at=now, updated_at=now,
            )
        )  # fmt: skip
    return len(people)


def build_city(
    *, db_session: Session, clock: Clock, wards: int, password: str, seed: int = 84
) -> DemoReport:
    """Load ``wards`` wards into an empty database (refused otherwise: a demo must never mix
    with a ward's real data)."""
    if db_session.exec(select(Plan.id).limit(1)).first() is not None:
        raise Conflict(
            "Cơ sở dữ liệu đã có kế hoạch: bản demo chỉ được nạp vào một cơ sở dữ liệu trống.",
            code="not_empty",
        )
    report = DemoReport()
    rng = random.Random(seed)
    now = clock.now()
    password_hash = passwords.hash_password(password)
    template = seed_service.load_data()
    for number in range(1, wards + 1):
        code, name = ward_name(number)
        data = {**template, "ward": {"code": code, "name": name}}
        seed_service.seed_plan(db_session=db_session, clock=clock, data=data)
        ward = db_session.exec(select(Ward).where(Ward.code == code)).one()
        tenancy.enter(db_session, tenancy.Scope(ward_id=ward.id, today=clock.today()))
        loaded = _load(db_session, clock)
        for kind, rows in _rows(loaded, rng, now).items():
            tables: dict[str, type[SQLModel]] = {
                "readings": Reading, "progress": ProgressUpdate, "reports": Submission
            }  # fmt: skip
            insert_many(db_session, table_of(tables[kind]), rows)
            report.add(kind, len(rows))
        units = list(db_session.exec(select(Unit)))
        report.users += _users(db_session, ward, units, password_hash, now)
        db_session.commit()
        tenancy.leave(db_session)
        report.wards += 1
    db_session.add(
        User(
            username="so-noi-vu", full_name="Sở Nội vụ (xem mọi phường, xã)",
            password_hash=password_hash, role="city_viewer", ward_id=None,
            password_changed_at=now, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    db_session.commit()
    report.users += 1
    return report
