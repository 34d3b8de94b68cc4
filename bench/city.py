"""The city view against one ward's dashboard, and one ward's figures in a city-sized database.

Builds two throwaway databases with ``partrack demo`` (the realistic demo city: Plan 84 per ward,
its accounts, readings, progress and reports up to today): one holding 1 ward, one holding
``--wards`` (default 168). In the same run it times, median of ``--repeat`` warm requests through
the whole stack (token, SQL, rules, JSON):

  ward    ``GET /api/v1/scores?ward=phu-dinh`` — one ward's dashboard figures
  city    ``GET /api/v1/city/ranking`` — every ward's figures, ranked

and prints the two ratios issue #20 sets goals for: the city ranking against one ward's dashboard
(goal ≤ 2×), and one ward's figures in the city database against the 1-ward database (≤ 1.1×).

Usage: .venv/bin/python bench/city.py [--wards 168] [--repeat 7]
       [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]   (default: SQLite)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

import app.models  # noqa: F401
from app import migrate
from app.accounts import passwords
from app.accounts import service as account_service
from app.accounts.models import User
from app.clock import SystemClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.seed import demo


@contextmanager
def database(postgres: str | None, label: str) -> Iterator[str]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/{label}.db"
        return
    server = make_url(postgres).set(drivername="postgresql+psycopg")
    name = f"partrack_bench_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def median_ms(action: Callable[[], object], repeat: int) -> float:
    action()  # warm: connection pool, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(url: str, wards: int, repeat: int) -> tuple[float, float]:
    migrate.upgrade(url)
    engine = make_engine(url)
    clock = SystemClock()
    passwords.use_profile("cheapest")
    with Session(engine) as session:
        demo.build_city(db_session=session, clock=clock, wards=wards, password="bench-2026")
        viewer = session.exec(select(User).where(User.username == "so-noi-vu")).one()
        _, token = account_service.store_token(
            db_session=session, user=viewer, clock=clock, name="bench", kind="personal",
            lifetime=timedelta(days=1), created_by="bench",
        )  # fmt: skip
        session.commit()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    settings = Settings(  # type: ignore[call-arg]
        database_url=url, environment="test", secret_key="bench-" + "k" * 40,
        password_hash_profile="cheapest", _env_file=None,
    )  # fmt: skip
    client = TestClient(
        create_app(settings, engine=engine, clock=clock),
        headers={"Authorization": f"Bearer {token}"},
    )

    def ward() -> None:
        response = client.get("/api/v1/scores", params={"ward": "phu-dinh"})
        assert response.status_code == 200, response.text

    def city() -> None:
        response = client.get("/api/v1/city/ranking")
        assert response.status_code == 200, response.text
        assert len(response.json()["wards"]) == wards

    result = median_ms(ward, repeat), median_ms(city, max(3, repeat // 2))
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wards", type=int, default=168)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    engine_name = "PostgreSQL" if args.postgres else "SQLite"
    with database(args.postgres, "one") as one_url:
        one_ward, _ = measure(one_url, 1, args.repeat)
    with database(args.postgres, "city") as city_url:
        city_ward, city_all = measure(city_url, args.wards, args.repeat)
    print(f"bench/city.py on {engine_name}, {args.wards} wards (median of {args.repeat})")
    print(f"  one ward's scores, 1-ward database:          {one_ward:8.1f} ms")
    print(f"  one ward's scores, {args.wards}-ward database: {city_ward:8.1f} ms")
    print(f"  city ranking of {args.wards} wards:            {city_all:8.1f} ms")
    print(f"  ratio city ranking / one ward's dashboard: {city_all / city_ward:6.2f}  (goal ≤ 2)")
    ratio = city_ward / one_ward
    print(f"  ratio {args.wards}-ward / 1-ward database:     {ratio:6.2f}  (goal ≤ 1.1)")


if __name__ == "__main__":
    main()
