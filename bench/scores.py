"""How fast are the scores at city scale, compared with the database's own floor?

Builds a throwaway database (SQLite; PostgreSQL too with ``--postgres URL``) holding a synthetic
city: ``--wards`` wards (default 168), each a copy of Plan 84 with its 6 units, 70 tasks and 15
indicators, reporting monthly over ``--periods`` months (default 24), with readings (three domains
for the per-domain indicator), progress on every task a unit must report, and report submissions.

In the same run it times, for one ward and its latest period:
  raw   a hand-written SQL aggregate of the same rows (readings grouped by indicator and domain,
        task credit grouped by unit, reports counted): the least any implementation must pay;
  api   ``GET /api/v1/scores`` through the whole stack (auth, SQL, rules, JSON);
  page  ``GET /scores``, the dashboard (summary, 12-period sparklines, SVG, HTML);
first with only that ward loaded, then with all the wards loaded, and prints the ratios: against
raw (the price of explaining every number) and 168 wards against 1 (which must stay near 1: the
cost follows the data asked for, not the size of the database).

Usage: .venv/bin/python bench/scores.py [--wards 168] [--periods 24] [--repeat 15]
       [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import bindparam, create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

import app.models  # noqa: F401
from app import migrate
from app.accounts import passwords
from app.accounts import service as account_service
from app.accounts.models import User
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine
from app.kpis.models import Domain, Indicator, Reading
from app.main import create_app
from app.plans.models import Assignment, AssignmentCoordinator, Plan
from app.progress.models import ProgressUpdate
from app.seed import service as seed_service
from app.submissions.models import Submission
from app.units.models import Unit

TODAY = date(2026, 1, 20)
FIRST_YEAR = 2024
DOMAINS_PER_UNIT = 3

#: The same numbers the summary needs, as a competent hand-written query would get them: the
#: readings grouped by indicator and domain (split along the two partial natural-key indexes),
#: the task credit grouped by unit, the reports counted. The ids are looked up beforehand.
RAW_SQL = [
    """SELECT indicator_id, domain_id, count(*), sum(numerator), sum(denominator), avg(value)
       FROM kpi_reading
       WHERE indicator_id IN :indicators AND period = :period AND domain_id IS NULL
       GROUP BY indicator_id, domain_id
       UNION ALL
       SELECT indicator_id, domain_id, count(*), sum(numerator), sum(denominator), avg(value)
       FROM kpi_reading
       WHERE indicator_id IN :indicators AND period = :period AND domain_id IS NOT NULL
       GROUP BY indicator_id, domain_id""",
    """SELECT unit_id, count(*),
              sum(CASE WHEN status = 'done' THEN 100
                       WHEN status = 'in_progress' THEN percent_complete ELSE 0 END)
       FROM progress_update
       WHERE assignment_id IN :tasks AND unit_id IN :units AND period = :period
         AND status <> 'not_applicable'
       GROUP BY unit_id""",
    """SELECT count(*), count(first_submitted_at) FROM report_submission
       WHERE plan_id = :plan AND period = :period""",
]


def months(count: int) -> list[tuple[str, date, date]]:
    out = []
    for index in range(count):
        year, month = FIRST_YEAR + index // 12, index % 12 + 1
        start = date(year, month, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        out.append((f"{year}-{month:02d}", start, end))
    return out


def ward_spec(base: dict[str, Any], number: int) -> dict[str, Any]:
    """Plan 84 for ward ``number``: unit and plan codes prefixed, reporting monthly from 2024."""
    data = copy.deepcopy(base)
    prefix = f"w{number:03d}-"

    def code(value: str | None) -> str | None:
        return prefix + value if value else value

    for unit in data["units"]:
        unit["code"], unit["parent"] = code(unit["code"]), code(unit["parent"])
        unit["short_name"] = f"{unit['short_name']} P{number}"
    plan = data["plan"]
    plan.update(
        code=f"{prefix}kh84",
        issuer_unit=code(plan["issuer_unit"]),
        coordinator_unit=code(plan["coordinator_unit"]),
        reporting=[{"from_year": FIRST_YEAR, "cadence": "monthly"}],
        reporting_start=f"{FIRST_YEAR}-01",
    )
    for task in data["assignments"]:
        task["lead_unit"] = code(task["lead_unit"])
        task["coordinating_units"] = [code(c) for c in task["coordinating_units"]]
        task["due_date"] = None if task["due_date"] is None else f"{FIRST_YEAR + 1}-06-30"
    for indicator in data["indicators"]:
        indicator["responsible_unit"] = code(indicator["responsible_unit"])
    return data


def _sqlite_value(value: object) -> object:
    """What SQLAlchemy itself would store in SQLite: naive UTC timestamps, ISO dates."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert(engine: Engine, table: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk load through the driver (executemany on SQLite, COPY on PostgreSQL): building the
    city must not take longer than measuring it."""
    if not rows:
        return
    name = table.__tablename__
    columns = list(rows[0])
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(_sqlite_value(row[c]) for c in columns) for row in rows],
            )
        else:
            with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        connection.commit()
    finally:
        connection.close()


def load_ward(engine: Engine, base: dict[str, Any], number: int, periods: int) -> dict[str, int]:
    """One ward's plan through the seed loader, then its data in bulk; returns row counts."""
    clock = FixedClock.on(TODAY)
    spec = ward_spec(base, number)
    with Session(engine) as session:
        seed_service.seed_plan(db_session=session, clock=clock, data=spec)
        plan = session.execute(select(Plan).where(Plan.code == spec["plan"]["code"])).scalar_one()
        units = (
            session.execute(
                select(Unit).where(Unit.code.startswith(f"w{number:03d}-"))  # type: ignore[attr-defined]
            )
            .scalars()
            .all()
        )
        tasks = session.execute(select(Assignment).where(Assignment.plan_id == plan.id)).scalars()
        tasks = list(tasks)
        coordinators = (
            session.execute(
                select(AssignmentCoordinator).where(
                    AssignmentCoordinator.assignment_id.in_([t.id for t in tasks])  # type: ignore[attr-defined]
                )
            )
            .scalars()
            .all()
        )
        indicators = list(
            session.execute(select(Indicator).where(Indicator.plan_id == plan.id)).scalars()
        )
        domains = [d.id for d in session.execute(select(Domain).order_by(Domain.id)).scalars()]
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(number)
    reporting = [u for u in units if u.id != plan.issuer_unit_id]
    coordinated = {(c.assignment_id, c.unit_id) for c in coordinators}
    readings: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    submissions: list[dict[str, Any]] = []
    for period, start, end in months(periods):
        for unit in units:
            for indicator in indicators:
                keys = [None]
                if indicator.disaggregation == "domain":
                    keys = rng.sample(domains, DOMAINS_PER_UNIT)
                for domain in keys:
                    value = min(100.0, indicator.target * rng.uniform(0.8, 1.05))
                    numerator = denominator = None
                    if indicator.id % 2:
                        denominator = 200.0
                        numerator = float(round(value * 2))
                        value = numerator / denominator * 100
                    readings.append(
                        dict(
                            indicator_id=indicator.id,
                            unit_id=unit.id,
                            period=period,
                            period_start=start,
                            period_end=end,
                            domain_id=domain,
                            value=value,
                            numerator=numerator,
                            denominator=denominator,
                            note="",
                            evidence_url="",
                            source="import",
                            version=1,
                            created_at=now,
                            updated_at=now,
                        )
                    )
        for unit in reporting:
            for task in tasks:
                applies = (
                    task.scope == "all_units"
                    or task.lead_unit_id == unit.id
                    or (task.id, unit.id) in coordinated
                )
                if not applies:
                    continue
                status = rng.choices(
                    ["done", "in_progress", "not_started", "not_applicable"], [4, 4, 1.5, 0.5]
                )[0]
                percent = {"done": 100, "not_started": 0, "not_applicable": None}.get(
                    status, rng.randint(10, 90)
                )
                updates.append(
                    dict(
                        assignment_id=task.id,
                        unit_id=unit.id,
                        period=period,
                        period_start=start,
                        period_end=end,
                        status=status,
                        percent_complete=percent,
                        result="",
                        difficulties="",
                        proposals="",
                        evidence="",
                        version=1,
                        created_at=now,
                        updated_at=now,
                    )
                )
            due = (end + timedelta(days=1)).replace(day=5)
            kind = rng.choices(["on_time", "late", "missing"], [7, 2, 1])[0]
            sent = None
            if kind != "missing":
                delay = -2 if kind == "on_time" else 6
                sent = datetime.combine(due + timedelta(days=delay), datetime.min.time(), UTC)
            submissions.append(
                dict(
                    plan_id=plan.id,
                    unit_id=unit.id,
                    period=period,
                    period_start=start,
                    status="draft" if sent is None else "submitted",
                    due_date=due,
                    first_submitted_at=sent,
                    submitted_at=sent,
                    submitted_by="",
                    reviewed_by="",
                    review_comment="",
                    reopen_reason="",
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
            )
    insert(engine, Reading, readings)
    insert(engine, ProgressUpdate, updates)
    insert(engine, Submission, submissions)
    return {"readings": len(readings), "progress": len(updates), "reports": len(submissions)}


def analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm caches and the connection pool
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def clients(engine: Engine, url: str) -> tuple[TestClient, TestClient]:
    """An admin with a bearer token (API) and a viewer logged in with a cookie (page)."""
    passwords.use_profile("cheapest")
    clock = FixedClock.on(TODAY)
    settings = Settings(  # type: ignore[call-arg]
        database_url=url,
        environment="test",
        secret_key="bench-secret-key-0123456789abcdefghijklmnop",
        password_hash_profile="cheapest",
        _env_file=None,
    )
    application = create_app(settings, engine=engine, clock=clock)
    with Session(engine) as session:
        users = {}
        for name, role in (("bench.admin", "admin"), ("bench.viewer", "viewer")):
            user = User(
                username=name,
                full_name=name,
                password_hash=passwords.hash_password("mat-khau-bench"),
                role=role,
                password_changed_at=clock.now(),
                created_at=clock.now(),
                updated_at=clock.now(),
            )
            session.add(user)
            users[name] = user
        session.commit()
        _, token = account_service.store_token(
            db_session=session,
            user=users["bench.admin"],
            clock=clock,
            name="bench",
            kind="personal",
            lifetime=timedelta(days=30),
            created_by="bench",
        )
        session.commit()
    api = TestClient(application, headers={"Authorization": f"Bearer {token}"})
    page = TestClient(application)
    form = page.get("/login").text
    fields = dict(re.findall(r'name="(next|csrf_token)" value="([^"]*)"', form))
    resp = page.post(
        "/login",
        data={"username": "bench.viewer", "password": "mat-khau-bench", **fields},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    return api, page


def measure(
    engine: Engine, api: TestClient, page: TestClient, plan: str, period: str, repeat: int
) -> dict[str, float]:
    with Session(engine) as session:
        plan_id, issuer = session.execute(
            select(Plan.id, Plan.issuer_unit_id).where(Plan.code == plan)
        ).one()
        indicators = session.execute(select(Indicator.id).where(Indicator.plan_id == plan_id))
        tasks = session.execute(select(Assignment.id).where(Assignment.plan_id == plan_id))
        units = session.execute(select(Unit.id).where(Unit.parent_id == issuer))
        params = {
            "plan": plan_id,
            "period": period,
            "indicators": list(indicators.scalars()),
            "tasks": list(tasks.scalars()),
            "units": list(units.scalars()),
        }
    statements = []
    for sql in RAW_SQL:
        lists = [name for name in ("indicators", "tasks", "units") if f":{name}" in sql]
        statement = text(sql).bindparams(*(bindparam(name, expanding=True) for name in lists))
        statements.append((statement, {k: v for k, v in params.items() if f":{k}" in sql}))

    def raw() -> None:
        with engine.connect() as conn:
            for statement, values in statements:
                conn.execute(statement, values).all()

    def get(client: TestClient, url: str) -> Callable[[], None]:
        def run() -> None:
            resp = client.get(url, params={"plan": plan, "period": period})
            assert resp.status_code == 200, resp.text[:500]

        return run

    return {
        "raw": median_ms(raw, repeat),
        "api": median_ms(get(api, "/api/v1/scores"), repeat),
        "page": median_ms(get(page, "/scores"), repeat),
    }


def count_rows(engine: Engine) -> str:
    with Session(engine) as session:
        counts = [
            session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Reading, ProgressUpdate, Submission)
        ]
    readings, progress, reports = (f"{n:,}".replace(",", ".") for n in counts)
    return f"{readings} readings, {progress} progress updates, {reports} reports"


def run(name: str, url: str, wards: int, periods: int, repeat: int) -> None:
    migrate.upgrade(url)
    engine = make_engine(url)
    base = seed_service.load_data()
    period = months(periods)[-1][0]
    started = time.perf_counter()
    load_ward(engine, base, 1, periods)
    analyze(engine)
    api, page = clients(engine, url)
    print(f"\n== {name}: 1 ward loaded ({count_rows(engine)})", flush=True)
    one = measure(engine, api, page, "w001-kh84", period, repeat)
    for number in range(2, wards + 1):
        load_ward(engine, base, number, periods)
    analyze(engine)
    print(
        f"== {name}: {wards} wards loaded ({count_rows(engine)}) in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    many = measure(engine, api, page, "w001-kh84", period, repeat)
    print(
        f"\n{'ward w001, ' + period:<22}{'raw SQL':>10}{'API':>10}{'page':>10}"
        f"{'API/raw':>10}{'page/raw':>10}"
    )
    for label, t in (("1 ward in DB", one), (f"{wards} wards in DB", many)):
        print(
            f"{label:<22}{t['raw']:>8.1f}ms{t['api']:>8.1f}ms{t['page']:>8.1f}ms"
            f"{t['api'] / t['raw']:>9.1f}×{t['page'] / t['raw']:>9.1f}×"
        )
    print(
        f"{wards} wards / 1 ward:  raw {many['raw'] / one['raw']:.2f}×, "
        f"API {many['api'] / one['api']:.2f}×, page {many['page'] / one['page']:.2f}×"
    )
    start = time.perf_counter()
    for number in range(1, wards + 1):
        resp = api.get("/api/v1/scores", params={"plan": f"w{number:03d}-kh84", "period": period})
        assert resp.status_code == 200
    total = time.perf_counter() - start
    print(
        f"every ward's summary, one after another: {total:.1f} s "
        f"({total / wards * 1000:.1f} ms per ward)"
    )
    api.close()
    page.close()
    engine.dispose()


@contextmanager
def postgres_database(server: str) -> Iterator[str]:
    admin_url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"partrack_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wards", type=int, default=168)
    parser.add_argument("--periods", type=int, default=24, help="months of data per ward")
    parser.add_argument("--repeat", type=int, default=15, help="timed runs (the median is shown)")
    parser.add_argument("--postgres", metavar="URL", help="also run on a throwaway PG database")
    args = parser.parse_args()
    if args.wards < 1 or not 1 <= args.periods <= 24:
        parser.error("--wards must be ≥ 1 and --periods between 1 and 24")
    with tempfile.TemporaryDirectory(prefix="partrack-bench-") as folder:
        run("SQLite", f"sqlite:///{folder}/bench.db", args.wards, args.periods, args.repeat)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("PostgreSQL", url, args.wards, args.periods, args.repeat)


if __name__ == "__main__":
    main()
