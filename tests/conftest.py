"""Test fixtures: a real database (SQLite or PostgreSQL), the app, a frozen clock.

``PARTRACK_TEST_DB=postgresql`` runs the suite on a fresh PostgreSQL database created for this run
on ``PARTRACK_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) and
dropped afterwards; anything else runs on a SQLite file in a temporary folder. The schema is built
by the Alembic migrations, so every test also exercises them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401
from app import migrate
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.seed import service as seed_service

#: Tests live in November 2025: 2025-10 and 2025-11 are open periods, 2025-12 is in the future.
TEST_TODAY = date(2025, 11, 20)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _backend() -> str:
    return "postgresql" if os.environ.get("PARTRACK_TEST_DB") == "postgresql" else "sqlite"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of this run's own, migrated to head; dropped at the end on PostgreSQL."""
    if _backend() == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "partrack-test.db"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        yield url
        return
    server_url = make_url(os.environ.get("PARTRACK_TEST_PG_URL", DEFAULT_PG_URL)).set(
        drivername="postgresql+psycopg"
    )
    name = f"partrack_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0"))
    except Exception as exc:
        pytest.exit(f"PostgreSQL is not reachable at {server_url}: {exc}", returncode=3)
    url = server_url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(SQLModel.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def clean_db(engine: Engine) -> Iterator[Engine]:
    """An empty database for this test, emptied again afterwards whatever happened."""
    _clear(engine)
    yield engine
    _clear(engine)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(TEST_TODAY)


@pytest.fixture
def db_session(clean_db: Engine) -> Iterator[Session]:
    with Session(clean_db, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def seeded(db_session: Session, clock: FixedClock) -> Session:
    """The database holding Plan 84 as ``partrack seed`` loads it."""
    seed_service.seed_plan(db_session=db_session, clock=clock)
    return db_session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, environment="test", _env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def client(settings: Settings, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    application = create_app(settings, engine=clean_db, clock=clock)
    with TestClient(application) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, seeded: Session) -> TestClient:
    """A client on a database holding Plan 84."""
    return client
