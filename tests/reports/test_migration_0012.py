"""Migration 0012 renames the doubled indicator wording in existing databases, and only that."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import Session

from app import migrate
from app.clock import FixedClock
from app.db import make_engine
from app.seed import service as seed_service
from tests.conftest import TEST_TODAY
from tests.test_migrations import scratch_url  # noqa: F401 - the fixture

OLD = "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn trong từng lĩnh vực"
NEW = "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"
EDITED = "Tỷ lệ xử lý đơn thư đúng hạn (tên do phường sửa)"


def _names(url: str) -> dict[str, tuple[str, int]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT code, name, version FROM indicator"))
            return {code: (name, version) for code, name, version in rows}
    finally:
        engine.dispose()


def test_0012_renames_only_the_untouched_old_wording(scratch_url: str) -> None:  # noqa: F811
    migrate.upgrade(scratch_url)
    engine = make_engine(scratch_url)
    try:
        with Session(engine) as session:
            seed_service.seed_plan(db_session=session, clock=FixedClock.on(TEST_TODAY))
            session.commit()
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE indicator SET name = :name WHERE code = 'complaint_ontime'"),
                {"name": EDITED},
            )
    finally:
        engine.dispose()
    assert _names(scratch_url)["tthc_ontime"][0] == NEW  # seeded from the fixed data file
    config = migrate.alembic_config(scratch_url)

    command.downgrade(config, "0011")  # back to before 0012: the old wording returns
    before = _names(scratch_url)
    assert before["tthc_ontime"][0] == OLD
    assert before["complaint_ontime"][0] == EDITED
    engine = make_engine(scratch_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("report_snapshot")}
    finally:
        engine.dispose()
    assert "pdf" not in columns

    command.upgrade(config, "head")
    after = _names(scratch_url)
    assert after["tthc_ontime"] == (NEW, before["tthc_ontime"][1] + 1)
    assert after["complaint_ontime"] == before["complaint_ontime"]  # edited: left alone
    untouched = {c: v for c, v in after.items() if c not in {"tthc_ontime"}}
    assert untouched == {c: v for c, v in before.items() if c not in {"tthc_ontime"}}
    engine = make_engine(scratch_url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("report_snapshot")}
    finally:
        engine.dispose()
    assert "pdf" in columns
