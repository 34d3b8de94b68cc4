"""How fast are the scores at city scale, against a bare FastAPI app and the database's floor?

Builds a throwaway database (SQLite; PostgreSQL too with ``--postgres URL``) holding a synthetic
city: ``--wards`` wards (default 168), each a copy of Plan 84 with its 6 units, 70 tasks and 15
indicators, reporting monthly over ``--periods`` months (default 24), with readings (three domains
for the per-domain indicator), progress on every task a unit must report, and report submissions.

In the same run, for one ward and its latest period, first with only that ward loaded, then with
all the wards loaded:
  in process (TestClient, median of ``--repeat``):
    raw    a hand-written SQL aggregate of the same rows: the least any implementation must pay;
    cold   ``GET /api/v1/scores`` and ``GET /scores`` computed (the kept results dropped first):
           what the first read after a write costs;
    warm   the same answers served from the kept results (``app/scores/kept.py``: one query for
           the plan and its versions, then the kept JSON bytes or the kept page content);
  under load (wrk, or keep-alive raw-socket clients in another process when wrk is missing), each
  server ``uvicorn`` with ONE worker and no access log, each of our routes right after its bare
  twin, ``--rounds`` times (the best rate kept, the errors of every round added):
    bare   a FastAPI app, a trivial JSON route and a trivial Jinja page (sync handlers: the
           baseline issue 20 set its goals against; ours are async where they answer from
           memory);
    ours   ``/healthz``, ``GET /api/v1/auth/me`` (bearer token: the authenticated floor),
           ``GET /api/v1/scores`` (bearer token), ``GET /scores`` (a viewer's session cookie);
and prints requests/s, errors, the ratios to the bare routes (goals: API ≥ 0,4× bare JSON,
dashboard ≥ 0,25× bare HTML, no errors), the server's CPU time per request and the same ratios
on CPU time (what a core of its own would give: the wall-clock rates follow whatever else the
shared machine runs), the share of a request spent before any scoring (auth
and middleware, from auth/me against /healthz), the 168-ward database against the 1-ward one
(goal: within 1,1×), and a city ranking (every ward's summary) against one ward's dashboard.

Usage: .venv/bin/python bench/scores.py [--wards 168] [--periods 24] [--repeat 15]
       [--seconds 5] [--connections 16] [--rounds 2]
       [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from fastapi.testclient import TestClient
from sqlalchemy import bindparam, create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

import app.models  # noqa: F401
from app import data_versions, migrate
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
from app.scores import cache, service
from app.seed import service as seed_service
from app.submissions.models import Submission
from app.units.models import Unit
from app.wards.models import Ward

TODAY = date(2026, 1, 20)
SECRET = "bench-secret-key-0123456789abcdefghijklmnop"
PASSWORD = "mat-khau-bench"
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
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
    data["ward"] = {"code": f"w{number:03d}", "name": f"Phường số {number}"}

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
    with Session(engine) as session:  # loaded behind the ORM's back: say so, as imports do
        data_versions.touch(session, plan.id)
        session.commit()
    return {"readings": len(readings), "progress": len(updates), "reports": len(submissions)}


def analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def median_ms(
    action: Callable[[], object], repeat: int, before: Callable[[], object] = list
) -> float:
    before()
    action()  # warm the connection pool (and, unless ``before`` drops them, the kept results)
    times = []
    for _ in range(repeat):
        before()
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def clients(engine: Engine, url: str) -> tuple[TestClient, TestClient, str]:
    """An admin with a bearer token (API) and a viewer logged in with a cookie (page); the
    token is returned too, for the load tool."""
    passwords.use_profile("cheapest")
    clock = FixedClock.on(TODAY)
    settings = Settings(  # type: ignore[call-arg]
        database_url=url,
        environment="test",
        secret_key=SECRET,
        password_hash_profile="cheapest",
        _env_file=None,
    )
    application = create_app(settings, engine=engine, clock=clock)
    with Session(engine) as session:
        users = {}
        # Both work in the first ward, whose figures the bench reads (issue 20: a ward's own).
        ward_id = session.execute(select(Ward.id).where(Ward.code == "w001")).scalar_one()
        for name, role in (("bench.admin", "admin"), ("bench.viewer", "viewer")):
            user = User(
                username=name,
                full_name=name,
                ward_id=ward_id,
                password_hash=passwords.hash_password(PASSWORD),
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
    log_in(page, "bench.viewer")
    return api, page, token


def log_in(client: TestClient | httpx.Client, username: str) -> None:
    form = client.get("/login").text
    fields = dict(re.findall(r'name="(next|csrf_token)" value="([^"]*)"', form))
    resp = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, **fields},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text


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

    drop = cache.RESULTS.clear
    return {
        "raw": median_ms(raw, repeat),
        "api cold": median_ms(get(api, "/api/v1/scores"), repeat, drop),
        "api warm": median_ms(get(api, "/api/v1/scores"), repeat),
        "page cold": median_ms(get(page, "/scores"), repeat, drop),
        "page warm": median_ms(get(page, "/scores"), repeat),
    }


def count_rows(engine: Engine) -> str:
    with Session(engine) as session:
        counts = [
            session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Reading, ProgressUpdate, Submission)
        ]
    readings, progress, reports = (f"{n:,}".replace(",", ".") for n in counts)
    return f"{readings} readings, {progress} progress updates, {reports} reports"


# --- under load ------------------------------------------------------------------------------

BARE_PAGE = (
    '<!doctype html><html lang="vi"><head><title>{{ title }}</title></head><body>'
    "<h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul>"
    "</body></html>"
)


def bare_app() -> FastAPI:
    """The baseline: what FastAPI and Jinja cost with nothing behind them (uvicorn factory)."""
    application = FastAPI()
    env = jinja2.Environment(loader=jinja2.DictLoader({"page.html": BARE_PAGE}), autoescape=True)
    templates = Jinja2Templates(env=env)

    @application.get("/json")
    def json_route() -> dict[str, object]:
        return {"status": "ok", "items": [1, 2, 3]}

    @application.get("/html", response_class=HTMLResponse)
    def html_route(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request, "page.html", {"title": "Xin chào", "items": ["một", "hai", "ba"]}
        )

    return application


@contextmanager
def uvicorn_server(target: str, env: dict[str, str], ready: str) -> Iterator[str]:
    """``uvicorn`` with one worker on a free port; yields its base URL once ``ready`` answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "uvicorn", "--factory", target, "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log", "--app-dir", str(BENCH_DIR)]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    SERVER_PIDS[base] = process.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready, timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{target} did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


#: Base URL → process id of the servers started here, to read the CPU time they spend.
SERVER_PIDS: dict[str, int] = {}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far, all its threads (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    rate: float
    errors: int
    #: CPU time the server spent per request (ms): what the code costs, whatever else the
    #: machine runs meanwhile (wall-clock rates on a shared 2-core machine swing ±50 %).
    cpu_ms: float = float("inf")

    @property
    def ms(self) -> float:
        return 1000 / self.rate if self.rate else float("inf")


def measured_load(
    url: str, headers: dict[str, str], seconds: float, connections: int, pid: int
) -> Load:
    """``load`` with the server's CPU time per request read around it."""
    before = cpu_seconds(pid)
    found, requests = load(url, headers, seconds, connections)
    spent = cpu_seconds(pid) - before
    found.cpu_ms = spent * 1000 / requests if requests else float("inf")
    return found


def load(url: str, headers: dict[str, str], seconds: float, connections: int) -> tuple[Load, int]:
    """Requests/s and errors (socket errors, timeouts, any answer but 200) under ``wrk``, and
    the number of requests answered."""
    if shutil.which("wrk") is None:
        return load_sockets(url, headers, seconds, connections)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{round(seconds)}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(rate, errors + (int(non_2xx.group(1)) if non_2xx else 0)), requests


#: Without wrk: keep-alive connections on raw sockets, the request written once as bytes. The
#: httpx client this replaced topped out near 400 requests/s on these machines, below what a bare
#: FastAPI route answers: every bare route then measured the client, and the ratios meant little.
_SOCKET_CLIENT = """
import asyncio, json, sys, time
from urllib.parse import urlsplit

async def main(url, headers, seconds, connections):
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\\r\\n".join(lines) + "\\r\\n\\r\\n").encode("latin-1")
    done = errors = 0
    end = time.monotonic() + seconds

    async def rest(reader, head):
        fields = {}
        for line in head.decode("latin-1").split("\\r\\n")[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            await reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\\r\\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        return fields.get("connection", "").lower() != "close"

    async def one():
        nonlocal done, errors
        writer = None
        while time.monotonic() < end:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\\r\\n\\r\\n"), 5)
                ok = head[9:12] == b"200"
                if not await rest(reader, head):
                    writer.close()
                    writer = None
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                ok, writer = False, None
            done += 1
            errors += not ok
        if writer is not None:
            writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    print(json.dumps([done, errors]))

asyncio.run(main(sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])))
"""


def load_sockets(
    url: str, headers: dict[str, str], seconds: float, connections: int
) -> tuple[Load, int]:
    """Without wrk: ``connections`` keep-alive clients in another process for ``seconds``."""
    command = [sys.executable, "-c", _SOCKET_CLIENT, url, json.dumps(headers), str(seconds)]
    out = subprocess.run([*command, str(connections)], capture_output=True, text=True, check=True)
    done, errors = json.loads(out.stdout)
    return Load(done / seconds, errors), done


def under_load(
    url: str, token: str, plan: str, period: str, args: argparse.Namespace
) -> dict[str, Load]:
    """Our server and the bare one (one worker each), every route under the load tool, each of
    ours right after its bare twin and the whole round ``--rounds`` times (the best rate of
    each kept, the errors of every round added): the machine's other work then weighs on both
    sides of a ratio alike."""
    env = {
        "PARTRACK_DATABASE_URL": url,
        "PARTRACK_SECRET_KEY": SECRET,
        "PARTRACK_ENVIRONMENT": "test",
        "PARTRACK_PASSWORD_HASH_PROFILE": "cheapest",
        "PARTRACK_TODAY": TODAY.isoformat(),
    }
    query = f"?plan={plan}&period={period}"
    with (
        uvicorn_server("scores:bare_app", {}, "/json") as bare,
        uvicorn_server("app.main:create_app", env, "/healthz") as ours,
    ):
        with httpx.Client(base_url=ours) as browser:
            log_in(browser, "bench.viewer")
            cookie = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
        bearer = {"Authorization": f"Bearer {token}"}
        routes = {
            "bare JSON": (bare + "/json", {}),
            "API": (ours + "/api/v1/scores" + query, bearer),
            "bare HTML": (bare + "/html", {}),
            "page": (ours + "/scores" + query, {"Cookie": cookie}),
            "/healthz": (ours + "/healthz", {}),
            "auth/me": (ours + "/api/v1/auth/me", bearer),
            "session/csrf": (ours + "/session/csrf", {"Cookie": cookie}),
        }
        best: dict[str, Load] = {}
        for _ in range(args.rounds):
            for name, (target, headers) in routes.items():
                assert httpx.get(target, headers=headers).status_code == 200, target  # computed
                pid = SERVER_PIDS[bare if target.startswith(bare) else ours]
                found = measured_load(target, headers, args.seconds, args.connections, pid)
                kept = best.get(name, Load(0, 0))
                best[name] = Load(
                    max(kept.rate, found.rate),
                    kept.errors + found.errors,
                    min(kept.cpu_ms, found.cpu_ms),
                )
    return best


def print_load(title: str, results: dict[str, Load]) -> None:
    print(
        f"\n{title:<32}{'req/s':>10}{'ms/req':>9}{'errors':>8}{'vs bare':>10}{'goal':>9}"
        f"{'CPU/req':>11}{'CPU vs bare':>13}"
    )
    goals = {"API": ("bare JSON", 0.4), "page": ("bare HTML", 0.25)}
    for name, result in results.items():
        ratio = goal = cpu_ratio = ""
        if name in goals:
            against, wanted = goals[name]
            ratio = f"{result.rate / results[against].rate:.2f}×"
            met = result.rate >= wanted * results[against].rate and result.errors == 0
            goal = f"≥{wanted} " + ("✓" if met else "✗")
            cpu_ratio = f"{results[against].cpu_ms / result.cpu_ms:.2f}×"
        print(
            f"{name:<32}{result.rate:>10.0f}{result.ms:>8.2f}ms{result.errors:>8}{ratio:>10}"
            f"{goal:>9}{result.cpu_ms:>9.3f}ms{cpu_ratio:>13}"
        )
    print(
        "  CPU/req: the server's CPU time per request (best round); CPU vs bare: the bare route's "
        "over ours, the ratio on a core of its own (wall-clock rates follow the machine's load)"
    )
    floor = results["/healthz"].ms
    for name, auth, bare in (
        ("API", "auth/me", "bare JSON"),
        ("page", "session/csrf", "bare HTML"),
    ):
        total, before = results[name].ms, results[auth].ms
        alone = total - before + floor
        print(
            f"  {name}: {total:.2f} ms a request = {floor:.2f} ms the server's floor (/healthz) "
            f"+ {before - floor:.2f} ms authentication and middleware ({auth} − /healthz, "
            f"{(before - floor) / total:.0%}) + {total - before:.2f} ms the route itself; with "
            f"authentication as cheap as /healthz: ~{1000 / alone:.0f}/s "
            f"({1000 / alone / results[bare].rate:.2f}× {bare})"
        )


def print_process(wards: int, period: str, one: dict[str, float], many: dict[str, float]) -> None:
    names = list(one)
    print(f"\n{'in process, w001 ' + period:<26}" + "".join(f"{n:>11}" for n in names))
    for label, t in (("1 ward in DB", one), (f"{wards} wards in DB", many)):
        print(f"{label:<26}" + "".join(f"{t[n]:>9.2f}ms" for n in names))
    print(
        f"{wards} wards / 1 ward:".ljust(26) + "".join(f"{many[n] / one[n]:>10.2f}×" for n in names)
    )


def city(engine: Engine, wards: int, period: str) -> tuple[float, float]:
    """Every ward's summary for the period: computed one after another, then as kept (one
    query for all the stamps, then a kept result per ward)."""
    clock = FixedClock.on(TODAY)
    with Session(engine) as session:
        plans = list(session.execute(select(Plan).order_by(Plan.code)).scalars())

        def every() -> None:
            summaries = service.plan_summaries(
                db_session=session, clock=clock, plans=plans, period=period
            )
            assert len(summaries) == wards

        cache.RESULTS.clear()
        start = time.perf_counter()
        every()
        cold = time.perf_counter() - start
        warm = median_ms(every, 5)
    return cold, warm


def run(name: str, url: str, args: argparse.Namespace) -> None:
    wards, periods, repeat = args.wards, args.periods, args.repeat
    migrate.upgrade(url)
    engine = make_engine(url)
    base = seed_service.load_data()
    period = months(periods)[-1][0]
    started = time.perf_counter()
    load_ward(engine, base, 1, periods)
    analyze(engine)
    api, page, token = clients(engine, url)
    print(f"\n== {name}: 1 ward loaded ({count_rows(engine)})", flush=True)
    one = measure(engine, api, page, "w001-kh84", period, repeat)
    load_one = under_load(url, token, "w001-kh84", period, args)
    print_load(f"{name}, 1 ward in DB", load_one)
    for number in range(2, wards + 1):
        load_ward(engine, base, number, periods)
    analyze(engine)
    print(
        f"\n== {name}: {wards} wards loaded ({count_rows(engine)}) in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    many = measure(engine, api, page, "w001-kh84", period, repeat)
    load_many = under_load(url, token, "w001-kh84", period, args)
    print_load(f"{name}, {wards} wards in DB", load_many)
    print(
        f"{wards} wards / 1 ward under load (req/s): "
        + ", ".join(f"{n} {load_one[n].rate / load_many[n].rate:.2f}×" for n in ("API", "page"))
        + " (goal ≤ 1,1×)"
    )
    print_process(wards, period, one, many)
    cold, warm = city(engine, wards, period)
    print(
        f"city ranking, every ward's summary for {period}: computed one after another "
        f"{cold:.1f} s ({cold / wards * 1000:.1f} ms a ward); kept {warm:.1f} ms "
        f"({warm / many['page warm']:.1f}× one ward's dashboard served warm in process)"
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
    parser.add_argument("--seconds", type=float, default=5, help="each route under load")
    parser.add_argument("--connections", type=int, default=16, help="open at once under load")
    parser.add_argument("--rounds", type=int, default=2, help="load rounds (the best is kept)")
    parser.add_argument("--postgres", metavar="URL", help="also run on a throwaway PG database")
    args = parser.parse_args()
    if args.wards < 1 or not 1 <= args.periods <= 24:
        parser.error("--wards must be ≥ 1 and --periods between 1 and 24")
    with tempfile.TemporaryDirectory(prefix="partrack-bench-") as folder:
        run("SQLite", f"sqlite:///{folder}/bench.db", args)
    if args.postgres:
        with postgres_database(args.postgres) as url:
            run("PostgreSQL", url, args)


if __name__ == "__main__":
    main()
