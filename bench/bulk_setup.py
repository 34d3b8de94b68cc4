"""What bench/bulk.py measures with: fresh databases, the rows, a running server, an upload.

Kept apart from the legs themselves so each file reads as one thing; nothing here is timed.
"""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
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
from app.kpis.models import Domain  # noqa: E402
from app.plans import service as plan_service  # noqa: E402
from app.plans.models import Plan  # noqa: E402
from app.seed import service as seed_service  # noqa: E402
from bench.bench_ward import bench_ward_id  # noqa: E402

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
            ward_id=bench_ward_id(session),
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
        # A shared machine can take minutes to import the app; a server that never answers is
        # stopped, not left running after the bench.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.3)
        self.stop()
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


READING_HEADER = ["indicator", "unit", "period", "domain", "value"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pg_reachable() -> bool:
    try:
        engine = create_engine(make_url(PG_SERVER).set(drivername="postgresql+psycopg"))
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False
