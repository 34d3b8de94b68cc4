"""The city view against one ward's dashboard, and one ward's figures in a city-sized database.

Builds two throwaway databases with ``partrack demo`` (the realistic demo city: Plan 84 per ward,
its accounts, readings, progress and reports up to today): one holding 1 ward, one holding
``--wards`` (default 168). In the same run it times, median of ``--repeat`` warm requests through
the whole stack (token, SQL, rules, JSON):

  ward    ``GET /api/v1/scores?ward=phu-dinh`` — one ward's dashboard figures
  city    ``GET /api/v1/city/ranking`` — every ward's figures, ranked
  and the same two as pages: ``/scores?ward=phu-dinh`` and ``/thanh-pho``

and prints the two ratios issue #20 sets goals for: the city ranking against one ward's dashboard
(goal ≤ 2×, page against page and JSON against JSON), and one ward's figures in the city database
against the 1-ward database (≤ 1.1×). Warm means kept: a ward's answer costs one query for its
plans and versions (``app/scores/kept.py``), the city's one for every ward's plans and versions
and one for the SIPAS answers (``app/city/service.py``), then the kept bytes.

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


def measure(url: str, wards: int, repeat: int) -> dict[str, float]:
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

    # What is checked of the answers is checked once, here, not in the timed requests: decoding
    # the ranking's JSON (every ward's figures) in the client cost more than serving it kept,
    # and the ward's requests below decode nothing either.
    ranked = client.get("/api/v1/city/ranking")
    assert ranked.status_code == 200 and len(ranked.json()["wards"]) == wards, ranked.text

    def city() -> None:
        response = client.get("/api/v1/city/ranking")
        assert response.status_code == 200, response.text

    browser = TestClient(client.app)
    login = browser.get("/login").text
    csrf = login.split('name="csrf_token" value="')[1].split('"')[0]
    browser.post(
        "/login",
        data={"username": "so-noi-vu", "password": "bench-2026", "csrf_token": csrf, "next": "/"},
    )

    def ward_page() -> None:
        response = browser.get("/scores", params={"ward": "phu-dinh"})
        assert response.status_code == 200, response.text

    shown = browser.get("/thanh-pho")
    assert shown.status_code == 200 and shown.text.count("<tr>") > wards

    def city_page() -> None:
        response = browser.get("/thanh-pho")
        assert response.status_code == 200, response.text

    result = {
        "ward": median_ms(ward, repeat),
        "city": median_ms(city, max(3, repeat // 2)),
        "ward_page": median_ms(ward_page, repeat),
        "city_page": median_ms(city_page, max(3, repeat // 2)),
    }
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
        one = measure(one_url, 1, args.repeat)
    with database(args.postgres, "city") as city_url:
        many = measure(city_url, args.wards, args.repeat)
    n = args.wards
    lines = [
        f"bench/city.py on {engine_name}, {n} wards (median of {args.repeat}), ms",
        f"  one ward's scores (JSON), 1-ward / {n}-ward database: "
        f"{one['ward']:.1f} / {many['ward']:.1f}",
        f"  one ward's dashboard page, 1-ward / {n}-ward database: "
        f"{one['ward_page']:.1f} / {many['ward_page']:.1f}",
        f"  city ranking of {n} wards, JSON / page: {many['city']:.1f} / {many['city_page']:.1f}",
        f"  ratio city page / one ward's dashboard page: "
        f"{many['city_page'] / many['ward_page']:.2f}  (goal <= 2)",
        f"  ratio city JSON / one ward's scores JSON: {many['city'] / many['ward']:.2f}"
        "  (goal <= 2)",
        f"  ratio {n}-ward / 1-ward database, dashboard: "
        f"{many['ward_page'] / one['ward_page']:.2f}  (goal <= 1.1)",
        f"  ratio {n}-ward / 1-ward database, JSON: "
        f"{many['ward'] / one['ward']:.2f}  (goal <= 1.1)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
