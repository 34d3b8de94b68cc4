"""A PostgreSQL restart under load: connections the server dropped are replaced by the pool's
pre-ping before the next request, and a connection lost inside a request answers 503 with
``Retry-After`` in our JSON or page shape, never a plain-text 500. PostgreSQL only: SQLite has
no server to lose."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session


@pytest.fixture
def postgres(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("a lost server connection is a PostgreSQL matter; SQLite is a local file")
    killer = create_engine(database_url, isolation_level="AUTOCOMMIT")
    yield killer
    killer.dispose()


def _terminate(killer: Engine, pid: int | None = None) -> int:
    """Kill the test database's other backends (or one), and wait until they are gone."""
    where = "pid = :pid" if pid is not None else "pid <> pg_backend_pid()"
    query = (
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = current_database() AND {where}"
    )
    with killer.connect() as conn:
        killed = len(conn.execute(text(query), {"pid": pid}).all())
        for _ in range(100):
            left = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    f"WHERE datname = current_database() AND {where}"
                ),
                {"pid": pid},
            ).scalar_one()
            if left == 0:
                break
            time.sleep(0.05)
    return killed


def test_the_next_request_after_a_restart_succeeds(
    api: TestClient, postgres: Engine, seeded: Session
) -> None:
    assert api.get("/api/v1/units").status_code == 200
    seeded.close()
    assert _terminate(postgres) >= 1  # the app's pooled connections, among others
    for _ in range(3):
        response = api.get("/api/v1/units")
        assert response.status_code == 200, response.text
        assert response.json()["total"] > 0


@contextmanager
def _killed_during(engine: Engine, killer: Engine, marker: str) -> Iterator[list[int]]:
    """The first statement containing ``marker`` finds its connection killed under it, as when
    the server restarts in the middle of a request."""
    killed: list[int] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if marker in statement and not killed:
            pid = conn.connection.dbapi_connection.info.backend_pid
            killed.append(pid)
            _terminate(killer, pid)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield killed
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_a_connection_lost_inside_a_request_is_a_503_in_our_shape(
    api: TestClient, postgres: Engine, clean_db: Engine
) -> None:
    with _killed_during(clean_db, postgres, "FROM unit") as killed:
        response = api.get("/api/v1/units")
    assert killed
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    detail = response.json()["detail"]
    assert detail["code"] == "database_unavailable"
    assert "thử lại" in detail["message"]
    assert api.get("/api/v1/units").status_code == 200  # recovered without a restart


def test_a_page_whose_connection_is_lost_is_a_503_page(
    anon: TestClient, postgres: Engine, clean_db: Engine, seeded: Session
) -> None:
    with _killed_during(clean_db, postgres, "SELECT") as killed:
        response = anon.get("/public/progress")
    assert killed
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["content-type"].startswith("text/html")
    assert "thử lại" in response.text
    assert anon.get("/public/progress").status_code == 200
