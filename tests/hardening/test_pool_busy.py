"""Every pooled connection busy past the pool's wait: a 503 with Retry-After in our shape, not a
500 (seen under bench/load.py's heaviest mix before this answer existed)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.config import Settings
from app.main import create_app
from tests.conftest import make_token


def test_a_pool_with_no_free_connection_answers_503(
    settings: Settings, database_url: str, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    tiny = create_engine(database_url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app = create_app(settings, engine=tiny, clock=clock)
    try:
        with tiny.connect(), TestClient(app) as client:  # the only connection, held
            busy = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "5"
        assert busy.json()["detail"]["code"] == "server_busy"
        assert "quá tải" in busy.json()["detail"]["message"]
        with TestClient(app) as client:  # free again: served
            ok = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
    finally:
        tiny.dispose()
