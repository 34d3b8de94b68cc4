"""Bulk import speed: the HTTP endpoints against a raw SQLAlchemy Core insert, in one run.

For each database (SQLite, and PostgreSQL when reachable) this builds two fresh databases with
the same schema and Plan 84 seed: one receives the rows through a running ``partrack serve`` as a
CSV upload, the other through a plain ``executemany`` of the same rows. It prints rows/s of both
and their ratio (goals: readings ≥ 0.5, dossiers with KPI recomputation ≥ 0.3), and the server's
peak memory (VmHWM) during the dossier import (goal < 300 MB). Both sides warm up first (a
dry run of the file's first 1,000 rows; the first raw batch inserted and rolled back) and both
processes collect garbage with the server's thresholds (``app.runtime``). Nothing here is a
test: the numbers are for people and for the README.

    .venv/bin/python bench/bulk.py                      # 100,000 readings, 1,000,000 dossiers
    .venv/bin/python bench/bulk.py --readings 20000 --dossiers 100000 --backends sqlite
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import migrate  # noqa: E402
from app.accounts import service as account_service  # noqa: E402
from app.accounts.models import User  # noqa: E402
from app.clock import VIETNAM_TZ, SystemClock  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.integration.models import Dossier  # noqa: E402
from app.kpis.models import Domain, Indicator, Reading  # noqa: E402
from app.periods import Period  # noqa: E402
from app.plans import service as plan_service  # noqa: E402
from app.plans.models import Plan  # noqa: E402
from app.runtime import tune_gc  # noqa: E402
from app.seed import service as seed_service  # noqa: E402
from app.units.models import Unit  # noqa: E402

PG_SERVER = os.environ.get(
    "PARTRACK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
UNITS = ["vhxh", "vp", "ttpvhcc", "kthtdt", "mttq"]
BATCH = 5000


# --- databases -----------------------------------------------------------------------------------


class Databases:
    """Fresh databases of one kind, dropped at the end."""

    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.created: list[str] = []

    def new(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.workdir / (name + '.db')}"
        server = make_url(PG_SERVER).set(drivername="postgresql+psycopg")
        db = f"partrack_bench_{name}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{db}"'))
        admin.dispose()
        self.created.append(db)
        return server.set(database=db).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created:
            return
        server = make_url(PG_SERVER).set(drivername="postgresql+psycopg")
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for db in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, *, domains: int) -> Engine:
    """Schema, Plan 84, and enough extra TTHC domains to give the readings distinct keys."""
    migrate.upgrade(url)
    engine = make_engine(url)
    clock = SystemClock()
    with Session(engine, expire_on_commit=False) as session:
        seed_service.seed_plan(db_session=session, clock=clock)
        now = clock.now()
        if domains:
            session.execute(
                insert(Domain),
                [
                    {
                        "code": f"bench-{i:05d}",
                        "name": f"Lĩnh vực thử {i}",
                        "position": 100 + i,
                        "active": True,
                        "created_at": now,
                    }
                    for i in range(domains)
                ],
            )
        session.commit()
    return engine


def admin_token(engine: Engine) -> str:
    clock = SystemClock()
    with Session(engine, expire_on_commit=False) as session:
        now = clock.now()
        user = User(
            username="bench",
            full_name="Bench",
            password_hash="!",
            role="admin",
            must_change_password=False,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.commit()
        _, raw = account_service.store_token(
            db_session=session,
            user=user,
            clock=clock,
            name="bench",
            kind="personal",
            lifetime=timedelta(days=1),
            created_by="bench",
        )
        session.commit()
    return raw


# --- data ----------------------------------------------------------------------------------------


def periods(engine: Engine) -> list[str]:
    with Session(engine) as session:
        plan = session.exec(select(Plan)).scalars().first()  # type: ignore[attr-defined]
        calendar = plan_service.calendar_for(plan)
    return [str(p) for p in calendar.periods(until=SystemClock().today())]


def reading_rows(n: int, domain_count: int, period_list: list[str]) -> list[dict[str, object]]:
    """n distinct tthc_ontime keys (unit × period × domain), values between 90 and 100."""
    rng = random.Random(84)
    rows = []
    for i in range(n):
        unit = UNITS[i % len(UNITS)]
        rest = i // len(UNITS)
        period = period_list[rest % len(period_list)]
        domain = f"bench-{rest // len(period_list):05d}"
        assert rest // len(period_list) < domain_count, "not enough bench domains"
        rows.append(
            {
                "indicator": "tthc_ontime",
                "unit": unit,
                "period": period,
                "domain": domain,
                "value": round(90 + rng.random() * 10, 2),
            }
        )
    return rows


def dossier_rows(n: int) -> list[list[str]]:
    """n dossiers over October–November 2025 in the plan's 15 domains, a realistic mix."""
    rng = random.Random(766)
    domains = ["ho-tich", "chung-thuc", "dat-dai", "xay-dung", "ho-kinh-doanh", "bao-tro-xa-hoi"]
    start = datetime(2025, 10, 1, 7, tzinfo=VIETNAM_TZ)
    out = []
    for i in range(n):
        received = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 58))
        due = received + timedelta(days=rng.choice([0, 1, 3, 5, 10]), hours=8)
        done = rng.random() < 0.92
        completed = received + timedelta(hours=rng.randrange(1, 24 * 12)) if done else None
        online = rng.random() < 0.7
        out.append(
            [
                f"BENCH-{i:08d}",
                UNITS[i % len(UNITS)],
                f"1.{i % 300:06d}",
                "Thủ tục thử nghiệm",
                domains[i % len(domains)],
                "online" if online else "direct",
                received.strftime("%Y-%m-%dT%H:%M"),
                due.strftime("%Y-%m-%dT%H:%M"),
                completed.strftime("%Y-%m-%dT%H:%M") if completed else "",
                "",
                "false",
                "true" if online and rng.random() < 0.5 else "false",
                "true" if rng.random() < 0.8 else "false",
                "true" if completed and rng.random() < 0.6 else "false",
                "true" if rng.random() < 0.4 else "false",
                "true" if online else "false",
            ]
        )
    return out


DOSSIER_HEADER = [
    "code",
    "unit",
    "procedure_code",
    "procedure_name",
    "domain",
    "channel",
    "received_at",
    "due_at",
    "completed_at",
    "returned_at",
    "rescheduled",
    "fully_online",
    "digitized",
    "e_result",
    "reused_data",
    "paid_online",
]


# --- the two ways in ---------------------------------------------------------------------------


def raw_readings(engine: Engine, rows: list[dict[str, object]]) -> float:
    """Seconds for a plain executemany of the same readings (ids resolved beforehand)."""
    with Session(engine) as session:
        units = dict(session.execute(select(Unit.code, Unit.id)).all())
        domains = dict(session.execute(select(Domain.code, Domain.id)).all())
        indicator = session.execute(
            select(Indicator.id).where(Indicator.code == "tthc_ontime")
        ).scalar_one()
    now = datetime.now(UTC)
    values = []
    for r in rows:
        p = Period.parse(str(r["period"]))
        values.append(
            {
                "indicator_id": indicator,
                "unit_id": units[r["unit"]],
                "period": str(p),
                "period_start": p.start_date,
                "period_end": p.end_date,
                "domain_id": domains[r["domain"]],
                "value": r["value"],
                "numerator": None,
                "denominator": None,
                "note": "",
                "evidence_url": "",
                "source": "import",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    warm_up_raw(engine, Reading.__table__, values)
    started = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(values), BATCH):
            conn.execute(insert(Reading.__table__), values[i : i + BATCH])  # type: ignore[arg-type]
    return time.perf_counter() - started


def raw_dossiers(engine: Engine, rows: list[list[str]]) -> float:
    with Session(engine) as session:
        units = dict(session.execute(select(Unit.code, Unit.id)).all())
        domains = dict(session.execute(select(Domain.code, Domain.id)).all())
    now = datetime.now(UTC)

    def moment(text_value: str) -> datetime | None:
        return datetime.fromisoformat(text_value).replace(tzinfo=VIETNAM_TZ) if text_value else None

    values = []
    for r in rows:
        received, due, completed = moment(r[6]), moment(r[7]), moment(r[8])
        assert received is not None
        values.append(
            {
                "code": r[0],
                "unit_id": units[r[1]],
                "procedure_code": r[2],
                "procedure_name": r[3],
                "domain_id": domains[r[4]],
                "channel": r[5],
                "received_at": received,
                "due_at": due,
                "completed_at": completed,
                "returned_at": None,
                "rescheduled": r[10] == "true",
                "fully_online": r[11] == "true",
                "digitized": r[12] == "true",
                "e_result": r[13] == "true",
                "reused_data": r[14] == "true",
                "paid_online": r[15] == "true",
                "received_on": received.date(),
                "completed_on": completed.date() if completed else None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
    warm_up_raw(engine, Dossier.__table__, values)
    started = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(values), BATCH):
            conn.execute(insert(Dossier.__table__), values[i : i + BATCH])  # type: ignore[arg-type]
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``partrack serve`` on a free loopback port, for one database."""

    def __init__(self, url: str) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PARTRACK_DATABASE_URL": url,
            "PARTRACK_PORT": str(self.port),
            "PARTRACK_HOST": "127.0.0.1",
            "PARTRACK_MAX_UPLOAD_BYTES": str(2 * 1024**3),
            "PARTRACK_SECRET_KEY": "bench-secret-key-0123456789abcdefghijklmnop",
            "PARTRACK_ENVIRONMENT": "development",
        }
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "partrack"), "serve"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def warm_up(server: Server, token: str, path: str, file: Path) -> None:
    """A dry run of the file's first 1,000 rows: the timed import then meets code paths and
    caches already loaded, as a running server's imports do (the raw side warms up too)."""
    with file.open("rb") as handle:
        head = b"".join(line for _, line in zip(range(1001), handle, strict=False))
    resp = httpx.post(
        f"{server.base}{path}?dry_run=true",
        content=head,
        timeout=600,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    if resp.status_code != 200:
        raise RuntimeError(f"warm-up {path}: HTTP {resp.status_code}: {resp.text[:500]}")


def warm_up_raw(engine: Engine, table: object, values: list[dict[str, object]]) -> None:
    """The first batch inserted and rolled back, before the raw side is timed."""
    with engine.connect() as conn:
        conn.execute(insert(table), values[:1000])  # type: ignore[arg-type]
        conn.rollback()


def upload(
    server: Server,
    token: str,
    path: str,
    file: Path,
    *,
    content_type: str = "text/csv",
    expect: int = 200,
) -> tuple[float, dict[str, object]]:
    def chunks():
        with file.open("rb") as handle:
            while block := handle.read(1024 * 1024):
                yield block

    started = time.perf_counter()
    resp = httpx.post(
        f"{server.base}{path}",
        content=chunks(),
        timeout=3600,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    elapsed = time.perf_counter() - started
    body = resp.json()
    body["_bytes"] = len(resp.content)
    if resp.status_code != expect:
        raise RuntimeError(f"{path}: HTTP {resp.status_code}: {str(body)[:500]}")
    return elapsed, body


# --- the run -------------------------------------------------------------------------------------


def bench_backend(backend: str, n_readings: int, n_dossiers: int) -> list[str]:
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="partrack-bench-") as tmp:
        workdir = Path(tmp)
        dbs = Databases(backend, workdir)
        try:
            if n_readings:
                domain_count = n_readings // (len(UNITS) * 7) + 2
                api_url, raw_url = dbs.new("readings_api"), dbs.new("readings_raw")
                api_engine = prepare(api_url, domains=domain_count)
                raw_engine = prepare(raw_url, domains=domain_count)
                period_list = periods(api_engine)
                rows = reading_rows(n_readings, domain_count, period_list)
                file = workdir / "readings.csv"
                with file.open("w", newline="", encoding="utf-8") as handle:
                    writer = csv.DictWriter(
                        handle, ["indicator", "unit", "period", "domain", "value"]
                    )
                    writer.writeheader()
                    writer.writerows(rows)
                token = admin_token(api_engine)
                raw_seconds = raw_readings(raw_engine, rows)
                server = Server(api_url)
                try:
                    warm_up(server, token, "/api/v1/readings/bulk", file)
                    api_seconds, body = upload(server, token, "/api/v1/readings/bulk", file)
                finally:
                    server.stop()
                assert body["created"] == n_readings, body
                lines.append(
                    f"{backend:10s} readings  {n_readings:>9,d} rows  "
                    f"API {n_readings / api_seconds:>9,.0f} rows/s  "
                    f"raw {n_readings / raw_seconds:>9,.0f} rows/s  "
                    f"ratio {raw_seconds / api_seconds:.2f}  (goal ≥ 0.5)"
                )
                print(lines[-1], flush=True)
                if backend == "postgresql":
                    lines.append(copy_leg(workdir, dbs, rows, domain_count, api_seconds))
                    print(lines[-1], flush=True)
                lines += extra_reading_legs(workdir, dbs, rows, domain_count, backend)
                api_engine.dispose()
                raw_engine.dispose()
            if n_dossiers:
                api_url, raw_url = dbs.new("dossiers_api"), dbs.new("dossiers_raw")
                api_engine = prepare(api_url, domains=0)
                raw_engine = prepare(raw_url, domains=0)
                rows_d = dossier_rows(n_dossiers)
                file = workdir / "dossiers.csv"
                with file.open("w", newline="", encoding="utf-8") as handle:
                    writer2 = csv.writer(handle)
                    writer2.writerow(DOSSIER_HEADER)
                    writer2.writerows(rows_d)
                token = admin_token(api_engine)
                raw_seconds = raw_dossiers(raw_engine, rows_d)
                del rows_d
                server = Server(api_url)
                try:
                    warm_up(server, token, "/api/v1/dossiers/bulk", file)
                    api_seconds, body = upload(server, token, "/api/v1/dossiers/bulk", file)
                    peak = server.peak_rss_mb()
                finally:
                    server.stop()
                assert body["created"] == n_dossiers, body
                with Session(api_engine) as session:
                    computed = session.execute(
                        text("SELECT count(*) FROM kpi_reading WHERE source = 'computed'")
                    ).scalar_one()
                lines.append(
                    f"{backend:10s} dossiers  {n_dossiers:>9,d} rows  "
                    f"API {n_dossiers / api_seconds:>9,.0f} rows/s  "
                    f"raw {n_dossiers / raw_seconds:>9,.0f} rows/s  "
                    f"ratio {raw_seconds / api_seconds:.2f}  (goal ≥ 0.3; {computed} computed "
                    f"readings)  server peak {peak:,.0f} MB (goal < 300)  "
                    f"file {file.stat().st_size / 1024**2:,.0f} MB"
                )
                print(lines[-1], flush=True)
                api_engine.dispose()
                raw_engine.dispose()
        finally:
            dbs.drop_all()
    return lines


READING_HEADER = ["indicator", "unit", "period", "domain", "value"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def copy_leg(
    workdir: Path, dbs: Databases, rows: list[dict[str, object]], domains: int, api_seconds: float
) -> str:
    """PostgreSQL's own ``COPY … FROM STDIN`` of the same readings (ids resolved beforehand,
    as the raw executemany does): the fastest way rows get in, against the API's import."""
    url = dbs.new("readings_copy")
    engine = prepare(url, domains=domains)
    with Session(engine) as session:
        ids = _reading_ids(session)
    now = datetime.now(UTC).isoformat()
    buffer = io.StringIO()
    for r in rows:
        p = Period.parse(str(r["period"]))
        buffer.write(
            f"{ids['indicator']},{ids[str(r['unit'])]},{p},{p.start_date},{p.end_date},"
            f'{ids[str(r["domain"])]},{r["value"]},"","",import,1,{now},{now}\n'
        )
    data = buffer.getvalue()
    columns = (
        "indicator_id, unit_id, period, period_start, period_end, domain_id, value, note, "
        "evidence_url, source, version, created_at, updated_at"
    )
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = raw.cursor()
        with cursor.copy(f"COPY kpi_reading ({columns}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        raw.commit()
        copy_seconds = time.perf_counter() - started
    finally:
        raw.close()
        engine.dispose()
    n = len(rows)
    return (
        f"postgresql readings  {n:>9,d} rows  API {n / api_seconds:>9,.0f} rows/s  "
        f"COPY {n / copy_seconds:>9,.0f} rows/s  ratio {copy_seconds / api_seconds:.2f}  "
        "(goal ≥ 0.3)"
    )


def _reading_ids(session: Session) -> dict[str, int]:
    out: dict[str, int] = {}
    indicator = session.execute(
        select(Indicator.id).where(Indicator.code == "tthc_ontime")
    ).scalar_one()
    out["indicator"] = indicator
    for code, unit_id in session.execute(select(Unit.code, Unit.id)):
        out[code] = unit_id
    for code, domain_id in session.execute(select(Domain.code, Domain.id)):
        out[code] = domain_id
    return out


def extra_reading_legs(
    workdir: Path, dbs: Databases, rows: list[dict[str, object]], domains: int, backend: str
) -> list[str]:
    """The same readings as an .xlsx (against openpyxl reading it alone), and a file where every
    row names one of 7 unknown units (answer size and server memory)."""
    from openpyxl import Workbook, load_workbook

    lines: list[str] = []
    n = len(rows)

    def workbook(path: Path, some: list[dict[str, object]]) -> Path:
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Số liệu")
        sheet.append(READING_HEADER)
        for r in some:
            sheet.append([r[c] for c in READING_HEADER])
        book.save(path)
        return path

    def openpyxl_alone(path: Path) -> float:
        started = time.perf_counter()
        loaded = load_workbook(path, read_only=True, data_only=True)
        for _ in loaded.worksheets[0].iter_rows(values_only=True):
            pass
        loaded.close()
        return time.perf_counter() - started

    xlsx = workbook(workdir / "readings.xlsx", rows)
    head = workbook(workdir / "readings-head.xlsx", rows[:1000])
    # Both sides warm up on the first 1,000 rows, as the CSV leg does.
    openpyxl_alone(head)
    openpyxl_seconds = openpyxl_alone(xlsx)
    url = dbs.new("readings_xlsx")
    engine = prepare(url, domains=domains)
    token = admin_token(engine)
    server = Server(url)
    try:
        upload(server, token, "/api/v1/readings/bulk?dry_run=true", head, content_type=XLSX)
        api_seconds, body = upload(server, token, "/api/v1/readings/bulk", xlsx, content_type=XLSX)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    assert body["created"] == n, body
    lines.append(
        f"{backend:10s} readings  {n:>9,d} rows  .xlsx API {n / api_seconds:>9,.0f} rows/s  "
        f"openpyxl alone {n / openpyxl_seconds:>9,.0f} rows/s  "
        f"ratio {openpyxl_seconds / api_seconds:.2f}  (goal ≥ 0.5)  server peak {peak:,.0f} MB"
    )
    print(lines[-1], flush=True)
    bad = workdir / "readings-bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, READING_HEADER)
        writer.writeheader()
        writer.writerows({**r, "unit": f"khong-co-{i % 7}"} for i, r in enumerate(rows))
    server = Server(url)
    try:
        seconds, body = upload(server, token, "/api/v1/readings/bulk", bad, expect=422)
        peak = server.peak_rss_mb()
    finally:
        server.stop()
        engine.dispose()
    lines.append(
        f"{backend:10s} all-bad   {n:>9,d} rows  7 unknown units  {seconds:.1f} s  "
        f"answer {int(body['_bytes']) / 1024:,.0f} KB  {body['error_groups_total']} groups  "
        f"server peak {peak:,.0f} MB (goal < 300)  file {bad.stat().st_size / 1024**2:,.1f} MB"
    )
    print(lines[-1], flush=True)
    return lines


def pg_reachable() -> bool:
    try:
        engine = create_engine(make_url(PG_SERVER).set(drivername="postgresql+psycopg"))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    # The server tunes its garbage collector (app.runtime); the raw baseline gets the same, so
    # the ratio compares the work done, not the two processes' collectors.
    tune_gc()
    results: list[str] = []
    for backend in args.backends.split(","):
        if backend == "postgresql" and not pg_reachable():
            print(f"postgresql: not reachable at {PG_SERVER}; skipped", flush=True)
            continue
        results += bench_backend(backend, args.readings, args.dossiers)
    print("\nsummary (ratio = API rows/s ÷ raw executemany rows/s, same run, same database kind)")
    for line in results:
        print(line)


if __name__ == "__main__":
    main()
