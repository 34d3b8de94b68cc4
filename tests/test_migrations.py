"""The migrations build the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import SQLModel

from app import migrate
from app.db import make_engine
from tests.conftest import DEFAULT_PG_URL


@pytest.fixture
def scratch_url(tmp_path: Path) -> Iterator[str]:
    """A brand-new empty database, separate from the one the other tests share."""
    if os.environ.get("PARTRACK_TEST_DB") != "postgresql":
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    server = make_url(os.environ.get("PARTRACK_TEST_PG_URL", DEFAULT_PG_URL)).set(
        drivername="postgresql+psycopg"
    )
    name = f"partrack_scratch_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_upgrade_on_empty_database_creates_every_table(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(SQLModel.metadata.tables) <= tables
        assert "alembic_version" in tables
    finally:
        engine.dispose()


def test_models_and_migrations_agree(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    try:
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(scratch_url: str) -> None:
    migrate.upgrade(scratch_url)
    command.downgrade(migrate.alembic_config(scratch_url), "base")
    engine = make_engine(scratch_url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    try:
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_single_head_and_dated_file_names() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        path = Path(revision.path)
        assert path.name[:10].replace("_", "").isdigit(), path.name


def test_migration_creates_sqlite_database_folder(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "folder" / "partrack.db"
    migrate.upgrade(f"sqlite:///{target}")
    assert target.exists()
