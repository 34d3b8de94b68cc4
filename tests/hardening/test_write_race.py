"""A request that loses a deadlock is told so (issue #17's attacker probe).

psycopg reports a deadlock as an ``OperationalError``, the class of a lost connection, so it
was answered 503 "cannot reach the database": wrong, and it sent people to the administrator.
Nothing was written and sending again goes through: a 409 ``write_race`` with ``Retry-After``.
The deadlock here is a real one, made by two PostgreSQL connections that lock two rows in
opposite orders; the imports that used to cause it (same keys, opposite orders) are
``tests/scores/test_period_version_races.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.errors import is_connection_lost, is_write_race


def _deadlock(engine: Engine) -> DBAPIError:
    """Two transactions lock two units in opposite orders; the one PostgreSQL aborts."""
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(text("SELECT id FROM unit ORDER BY id LIMIT 2"))]
    both_hold_one = threading.Barrier(2, timeout=30)
    lost: list[DBAPIError] = []

    def lock(first: int, second: int) -> None:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT id FROM unit WHERE id = :i FOR UPDATE"), {"i": first})
            both_hold_one.wait()
            try:
                conn.execute(text("SELECT id FROM unit WHERE id = :i FOR UPDATE"), {"i": second})
            except DBAPIError as exc:
                lost.append(exc)

    threads = [
        threading.Thread(target=lock, args=(ids[0], ids[1])),
        threading.Thread(target=lock, args=(ids[1], ids[0])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(lost) == 1, "PostgreSQL aborts exactly one of the two"
    return lost[0]


def test_a_deadlock_is_a_409_to_send_again_not_a_lost_database(
    clean_db: Engine, seeded: Session, app_factory: Callable[..., FastAPI]
) -> None:
    if clean_db.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: it has no deadlocks")
    exc = _deadlock(clean_db)
    assert is_write_race(exc) and is_connection_lost(exc), "psycopg's class for both"

    app = app_factory()  # the real app's handlers and error page, two routes more

    @app.post("/api/v1/raced")
    def raced() -> None:
        raise exc

    @app.post("/raced-page")
    def raced_page() -> None:
        raise exc

    with TestClient(app, raise_server_exceptions=False) as client:
        api = client.post("/api/v1/raced")
        page = client.post("/raced-page")
    assert api.status_code == 409 and api.headers["Retry-After"] == "1"
    detail = api.json()["detail"]
    assert detail["code"] == "write_race"
    assert "không có gì được ghi" in detail["message"] and "gửi lại" in detail["message"]
    assert page.status_code == 409 and "gửi lại" in page.text
    assert "không kết nối được" not in api.text + page.text
