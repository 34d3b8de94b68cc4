"""Answers kept whole (``app/scores/kept.py``): served without the request's database session,
never after a write made through another engine (another worker's pool), and with an ETag.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from app.config import Settings
from app.db import make_engine
from app.main import create_app
from app.scores import cache, kept
from tests.conftest import make_token, statements
from tests.scores.conftest import browser_for

URL = "/api/v1/scores"
OCTOBER = {"period": "2025-10"}
READING = {"indicator": "disbursement", "unit": "kthtdt", "period": "2025-10", "value": 80}


def disbursement(client: TestClient) -> object:
    resp = client.get(URL, params=OCTOBER)
    assert resp.status_code == 200, resp.text
    return next(i["value"] for i in resp.json()["indicators"] if i["code"] == "disbursement")


@pytest.fixture
def other_worker(
    settings: Settings, database_url: str, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    """The same database through an app with an engine (a pool, connections) of its own, as a
    second worker process has."""
    engine = make_engine(database_url)
    token = make_token(clean_db, clock, username="admin2", role="admin")
    application = create_app(settings, engine=engine, clock=clock)
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
    engine.dispose()


def test_a_write_through_another_engine_is_seen_by_the_next_kept_read(
    api: TestClient, other_worker: TestClient
) -> None:
    """``api`` and ``other_worker`` share this process's kept results but not a connection:
    only the version in the database tells the first that the second wrote."""
    cache.RESULTS.clear()
    assert disbursement(api) is None
    computed = cache.RESULTS.computed
    assert disbursement(api) is None
    assert cache.RESULTS.computed == computed  # the second answer was the kept one
    written = other_worker.put("/api/v1/readings", json=READING)
    assert written.status_code == 201, written.text
    assert disbursement(api) == 80
    assert cache.RESULTS.computed > computed


def test_a_kept_answer_uses_no_connection_of_the_request(
    ward: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    """Once kept, neither the API nor the dashboard runs a statement on the app's pool: the
    version check has a connection of its own, so a request holds no worker thread for it."""
    browser = browser_for(application, clean_db, clock, username="lanh.dao", role="viewer")
    for _ in range(2):
        assert ward.get(URL, params=OCTOBER).status_code == 200
        assert browser.get("/scores", params=OCTOBER).status_code == 200
    with statements(clean_db) as seen:
        assert ward.get(URL, params=OCTOBER).status_code == 200
        assert browser.get("/scores", params=OCTOBER).status_code == 200
    assert seen == []
    browser.close()


def test_the_etag_answers_304_until_the_data_changes(api: TestClient) -> None:
    first = api.get(URL, params=OCTOBER)
    etag = first.headers["ETag"]
    again = api.get(URL, params=OCTOBER, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = api.get(URL, params=OCTOBER | {"basis": "approved"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["ETag"] != etag
    assert api.put("/api/v1/readings", json=READING).status_code == 201
    changed = api.get(URL, params=OCTOBER, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_a_plan_not_found_still_says_so(ward: TestClient) -> None:
    """What the kept path cannot decide goes the full way, with its error."""
    resp = ward.get(URL, params={"plan": "khong-co"})
    assert resp.status_code == 404 and resp.json()["detail"]["code"] == "plan_not_found"


def test_a_lost_connection_of_the_version_check_is_replaced(
    api: TestClient, clean_db: Engine
) -> None:
    """The server closed the check's connection (a restart): that request goes the full way,
    the connection is dropped, and the next one is answered from memory again."""
    assert disbursement(api) is None
    raw = kept._reader(clean_db).raw_connection()
    raw.driver_connection.close()  # type: ignore[union-attr]
    raw.close()
    assert disbursement(api) is None
    with statements(clean_db) as seen:
        assert disbursement(api) is None
    assert seen == []
