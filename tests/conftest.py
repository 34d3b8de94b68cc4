"""Test fixtures: a real database (SQLite or PostgreSQL), the app, a frozen clock.

``PARTRACK_TEST_DB=postgresql`` runs the suite on a fresh PostgreSQL database created for this run
on ``PARTRACK_TEST_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) and
dropped afterwards; anything else runs on a SQLite file in a temporary folder. The schema is built
by the Alembic migrations, so every test also exercises them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, select

import app.models  # noqa: F401
from app import migrate
from app.accounts import passwords
from app.accounts import service as account_service
from app.accounts.models import User
from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.permissions import CITY_ROLES
from app.seed import service as seed_service
from app.units.models import Unit
from app.wards import header as ward_header
from app.wards.models import Ward

passwords.use_profile("cheapest")

#: Tests live in November 2025: 2025-10 and 2025-11 are open periods, 2025-12 is in the future.
TEST_TODAY = date(2025, 11, 20)

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def make_user(
    engine: Engine,
    clock: FixedClock,
    *,
    username: str,
    role: str,
    unit: str | None = None,
    password: str = "mat-khau-thu-nghiem",
    must_change_password: bool = False,
) -> User:
    """A user stored directly (test set-up writes no audit row, so tests can count theirs)."""
    with Session(engine, expire_on_commit=False) as session:
        unit_id = None
        ward_id = None if role in CITY_ROLES else test_ward(session, clock).id
        if unit is not None:
            found = session.exec(
                select(Unit).where(Unit.code == unit, Unit.ward_id == ward_id)
            ).first()
            assert found is not None, f"unit {unit} not seeded"
            unit_id = found.id
        now = clock.now()
        user = User(
            ward_id=ward_id,
            username=username,
            full_name=f"Người dùng {username}",
            password_hash=passwords.hash_password(password),
            role=role,
            unit_id=unit_id,
            must_change_password=must_change_password,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
        session.add(user)
        session.commit()
        return user


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block: the one listener the query-count
    tests share, so that what they count is counted the same way everywhere."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def in_fresh_interpreter(code: str, tmp_path: Path) -> Any:
    """Run ``code`` in a new Python process with the app's settings for a SQLite file in
    ``tmp_path``, as a server worker starts, and return the JSON its last line prints: what a
    process has imported or holds can only be seen in one this test suite has not loaded."""
    env = {
        **os.environ,
        "PARTRACK_DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
        "PARTRACK_SECRET_KEY": "startup-probe-secret-0123456789abcdefghij",
        "PARTRACK_ENVIRONMENT": "test",
    }
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ward(session: Session, clock: FixedClock, code: str = "phu-dinh") -> Ward:
    """The ward the tests' users work in: the one Plan 84's seed creates (made first when a test
    creates its users before seeding, as the ``client`` fixture does)."""
    ward = session.exec(select(Ward).where(Ward.code == code)).first()
    if ward is None:
        now = clock.now()
        ward = Ward(code=code, name="Phường Phú Định", created_at=now, updated_at=now)
        session.add(ward)
        session.flush()
    return ward


def make_token(
    engine: Engine, clock: FixedClock, *, username: str, role: str, unit: str | None = None
) -> str:
    """A user of that role (created when missing) and a personal token acting as them."""
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = make_user(engine, clock, username=username, role=role, unit=unit)
    with Session(engine, expire_on_commit=False) as session:
        _, raw = account_service.store_token(
            db_session=session,
            user=user,
            clock=clock,
            name="test",
            kind="personal",
            lifetime=timedelta(days=3650),
            created_by="test",
        )
        session.commit()
    return raw


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
    ward_header.forget()  # ids are reused after a delete: no header of the last test's ward


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
def db_session(clean_db: Engine, clock: FixedClock) -> Iterator[Session]:
    """A session on an empty database but for its ward (units and plans belong to one)."""
    with Session(clean_db, expire_on_commit=False) as session:
        test_ward(session, clock)
        session.commit()
        yield session


@pytest.fixture
def seeded(db_session: Session, clock: FixedClock) -> Session:
    """The database holding Plan 84 as ``partrack seed`` loads it."""
    seed_service.seed_plan(db_session=db_session, clock=clock)
    return db_session


TEST_SECRET = "test-secret-key-0123456789abcdefghijklmnop"


@pytest.fixture(scope="session")
def evidence_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the apps of this run keep evidence files (never the checkout's data/)."""
    return tmp_path_factory.mktemp("evidence")


@pytest.fixture
def settings(database_url: str, evidence_dir: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        evidence_dir=evidence_dir,
        database_url=database_url,
        environment="test",
        secret_key=TEST_SECRET,
        password_hash_profile="cheapest",
        _env_file=None,
    )


@pytest.fixture(scope="session")
def shared_app(database_url: str, engine: Engine, evidence_dir: Path) -> FastAPI:
    """One app for the run: building it costs more than most tests; each test sets its clock."""
    app_settings = Settings(  # type: ignore[call-arg]
        evidence_dir=evidence_dir,
        database_url=database_url,
        environment="test",
        secret_key=TEST_SECRET,
        password_hash_profile="cheapest",
        _env_file=None,
    )
    return create_app(app_settings, engine=engine, clock=FixedClock.on(TEST_TODAY))


@pytest.fixture
def application(shared_app: FastAPI, clean_db: Engine, clock: FixedClock) -> FastAPI:
    shared_app.state.clock = clock
    return shared_app


@pytest.fixture
def app_factory(settings: Settings, clean_db: Engine, clock: FixedClock):
    """A fresh app, for tests that need settings of their own (``build(login_max_failures=2)``)."""

    def build(**overrides: object) -> FastAPI:
        return create_app(settings.model_copy(update=overrides), engine=clean_db, clock=clock)

    return build


@pytest.fixture
def anon(application: FastAPI) -> Iterator[TestClient]:
    """A client without credentials."""
    with TestClient(application) as test_client:
        yield test_client


@pytest.fixture
def client(application: FastAPI, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    """A client acting as an administrator through a bearer token (API tests)."""
    token = make_token(clean_db, clock, username="admin", role="admin")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, seeded: Session) -> TestClient:
    """A client on a database holding Plan 84."""
    return client
