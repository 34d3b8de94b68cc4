"""`partrack backup` and `partrack restore`: a round trip into a fresh database of the same kind,
checksums, and refusals that leave the target as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from app.cli import app as cli
from app.config import get_settings
from tests.test_migrations import scratch_url  # noqa: F401 - the fixture


@pytest.fixture
def fresh_url(scratch_url: str) -> str:  # noqa: F811 - the imported fixture
    """A new, empty database of the same kind as the test database (the migration tests' own)."""
    return scratch_url


@pytest.fixture
def partrack(monkeypatch: pytest.MonkeyPatch) -> Iterator:
    runner = CliRunner()

    def invoke(database_url: str, *args: str):
        monkeypatch.setenv("PARTRACK_DATABASE_URL", database_url)
        get_settings.cache_clear()
        return runner.invoke(cli, list(args))

    yield invoke
    get_settings.cache_clear()


def _counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            counts = {
                table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for table in SQLModel.metadata.sorted_tables
            }
            counts["alembic_version"] = len(
                conn.execute(text("SELECT version_num FROM alembic_version")).all()
            )
            return counts
    finally:
        engine.dispose()


def _revision(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    finally:
        engine.dispose()


def _backup(partrack, database_url: str, folder: Path) -> Path:
    result = partrack(database_url, "backup", "--output", str(folder))
    assert result.exit_code == 0, result.output
    [backup] = [p for p in folder.iterdir() if not p.name.endswith(".manifest.json")]
    return backup


def test_a_backup_restores_into_a_fresh_database_with_every_row(
    partrack, seeded: Session, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    backup = _backup(partrack, database_url, tmp_path / "backups")
    manifest = json.loads((backup.parent / f"{backup.name}.manifest.json").read_text())
    assert manifest["file"] == backup.name
    assert manifest["size_bytes"] == backup.stat().st_size
    assert manifest["schema_revision"] == _revision(database_url)
    assert len(manifest["sha256"]) == 64

    result = partrack(fresh_url, "restore", str(backup))
    assert result.exit_code == 0, result.output
    source = _counts(database_url)
    assert source["unit"] > 0 and source["assignment"] > 0  # Plan 84 is there to copy
    assert _counts(fresh_url) == source


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    partrack, seeded: Session, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    backup = _backup(partrack, database_url, tmp_path / "backups")
    assert partrack(fresh_url, "restore", str(backup)).exit_code == 0

    refused = partrack(fresh_url, "restore", str(backup))
    assert refused.exit_code == 1
    assert "đang có dữ liệu" in refused.output and "--force" in refused.output

    forced = partrack(fresh_url, "restore", str(backup), "--force")
    assert forced.exit_code == 0, forced.output
    assert _counts(fresh_url) == _counts(database_url)


def test_restore_refuses_a_file_whose_checksum_does_not_match(
    partrack, seeded: Session, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    backup = _backup(partrack, database_url, tmp_path / "backups")
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup.write_bytes(bytes(data))

    result = partrack(fresh_url, "restore", str(backup))
    assert result.exit_code == 1
    assert "không khớp mã kiểm tra SHA-256" in result.output
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            from sqlalchemy import inspect

            assert inspect(conn).get_table_names() == []  # nothing was touched
    finally:
        engine.dispose()


def test_restore_refuses_a_backup_without_its_manifest(
    partrack, seeded: Session, database_url: str, fresh_url: str, tmp_path: Path
) -> None:
    backup = _backup(partrack, database_url, tmp_path / "backups")
    (backup.parent / f"{backup.name}.manifest.json").unlink()
    result = partrack(fresh_url, "restore", str(backup))
    assert result.exit_code == 1
    assert "tệp mô tả" in result.output
