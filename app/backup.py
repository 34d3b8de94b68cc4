"""Backups that can be restored: SQLite's online backup, PostgreSQL's ``pg_dump`` custom format.

Each backup file gets a manifest beside it (``<file>.manifest.json``) with its SHA-256 and the
schema revision it holds. A restore checks the checksum before touching anything and refuses to
overwrite a database that holds data unless told to (``force``): a backup restored over the live
database by mistake loses everything entered since.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from app.errors import AppError

Kind = Literal["sqlite", "postgresql"]
_SUFFIX: dict[Kind, str] = {"sqlite": ".sqlite3", "postgresql": ".dump"}
_CHUNK = 1 << 20


class BackupError(AppError):
    """A backup or restore that cannot be done; nothing was overwritten."""

    def __init__(self, message: str, code: str = "backup_failed") -> None:
        super().__init__(message=message, code=code, status_code=422)


@dataclass(frozen=True)
class Manifest:
    kind: Kind
    file: str
    sha256: str
    size_bytes: int
    schema_revision: str | None
    created_at: str
    tool: str

    @classmethod
    def read(cls, backup_file: Path) -> Manifest:
        path = manifest_path(backup_file)
        if not path.exists():
            raise BackupError(
                f"Không thấy tệp mô tả {path.name} đi kèm bản sao lưu.", "no_manifest"
            )
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError) as exc:
            raise BackupError(f"Tệp mô tả {path.name} không đọc được.", "bad_manifest") from exc


def manifest_path(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + ".manifest.json")


def kind_of(database_url: str) -> Kind:
    name = make_url(database_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"Không hỗ trợ sao lưu cơ sở dữ liệu loại {name}.", "unsupported")
    return "sqlite" if name == "sqlite" else "postgresql"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def backup(*, database_url: str, directory: Path, now: datetime) -> tuple[Path, Manifest]:
    """Write a consistent copy of the database into ``directory`` while the service runs."""
    kind = kind_of(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"partrack-{now:%Y%m%d-%H%M%S}{_SUFFIX[kind]}"
    if target.exists():
        raise BackupError(f"Tệp {target} đã có; không ghi đè bản sao lưu.", "exists")
    partial = target.with_name(target.name + ".partial")
    try:
        if kind == "sqlite":
            with (
                closing(_sqlite(database_url)) as source,
                closing(sqlite3.connect(partial)) as copy,
            ):
                source.backup(copy)  # page by page, readers and writers go on meanwhile
            tool = f"sqlite3 {sqlite3.sqlite_version} online backup"
        else:
            _run([_tool("pg_dump"), "--format=custom", f"--file={partial}", _libpq(database_url)])
            tool = _version("pg_dump")
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        kind=kind,
        file=target.name,
        sha256=sha256_of(target),
        size_bytes=target.stat().st_size,
        schema_revision=_revision_of_file(target, kind),
        created_at=now.isoformat(timespec="seconds"),
        tool=tool,
    )
    manifest_path(target).write_text(json.dumps(asdict(manifest), indent=2) + "\n", "utf-8")
    return target, manifest


def verify(backup_file: Path) -> Manifest:
    """The manifest of an intact backup; a changed or truncated file is refused."""
    if not backup_file.is_file():
        raise BackupError(f"Không thấy tệp sao lưu {backup_file}.", "not_found")
    manifest = Manifest.read(backup_file)
    if sha256_of(backup_file) != manifest.sha256:
        raise BackupError(
            f"Tệp {backup_file.name} không khớp mã kiểm tra SHA-256 trong tệp mô tả: tệp đã bị "
            "sửa hoặc hỏng; không khôi phục.",
            "checksum_mismatch",
        )
    return manifest


def restore(*, database_url: str, backup_file: Path, force: bool = False) -> Manifest:
    """Replace the database's contents with the backup's, after checking the backup."""
    manifest = verify(backup_file)
    kind = kind_of(database_url)
    if manifest.kind != kind:
        raise BackupError(
            f"Bản sao lưu của {manifest.kind} không khôi phục được vào {kind}.", "wrong_kind"
        )
    if not force and holds_data(database_url):
        raise BackupError(
            "Cơ sở dữ liệu đích đang có dữ liệu; dùng --force nếu thật sự muốn ghi đè.",
            "not_empty",
        )
    if kind == "sqlite":
        with closing(sqlite3.connect(backup_file)) as source, closing(_sqlite(database_url)) as db:
            source.backup(db)
        return manifest
    engine = create_engine(_sqlalchemy_url(database_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:  # a restore replaces everything, tables of later
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))  # versions included
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_libpq(database_url)}",
            str(backup_file),
        ]
    )
    return manifest


def holds_data(database_url: str) -> bool:
    """Any row in any table but Alembic's: a freshly migrated database counts as empty."""
    engine = create_engine(_sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                if table == "alembic_version":
                    continue
                quoted = conn.dialect.identifier_preparer.quote(table)
                if conn.execute(text(f"SELECT 1 FROM {quoted} LIMIT 1")).first() is not None:
                    return True
    finally:
        engine.dispose()
    return False


def _revision_of_file(backup_file: Path, kind: Kind) -> str | None:
    """The Alembic revision inside the backup itself, not the live database's, which may have
    moved on while the copy was taken."""
    if kind == "sqlite":
        with closing(sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)) as conn:
            try:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                row = None
        return row[0] if row else None
    listing = _run(
        [_tool("pg_restore"), "--data-only", "--table=alembic_version", "-f", "-", str(backup_file)]
    )
    lines = iter(listing.splitlines())
    for line in lines:  # the row follows "COPY public.alembic_version … FROM stdin;"
        if line.startswith("COPY ") and "alembic_version" in line:
            row = next(lines, "\\.")
            return None if row == "\\." else row.strip()
    return None


def _sqlite(database_url: str) -> sqlite3.Connection:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        raise BackupError("Cơ sở dữ liệu SQLite trong bộ nhớ không sao lưu được.", "unsupported")
    return sqlite3.connect(path, timeout=30)


def _sqlalchemy_url(database_url: str) -> URL:
    url = make_url(database_url)
    return (
        url.set(drivername="postgresql+psycopg") if url.get_backend_name() == "postgresql" else url
    )


def _libpq(database_url: str) -> str:
    """The URL as libpq reads it (no ``+psycopg``), password included for the client tools."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"Không tìm thấy lệnh {name}; hãy cài gói postgresql-client cùng phiên bản máy chủ.",
            "no_client_tools",
        )
    return found


def _version(name: str) -> str:
    return _run([_tool(name), "--version"]).strip()


def _run(command: list[str]) -> str:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    if result.returncode != 0:
        tool = Path(command[0]).name
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{tool} thất bại: {detail[-1] if detail else result.returncode}")
    return result.stdout
