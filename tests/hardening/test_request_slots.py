"""No more request sessions at once than the pool lends connections (issue #17, bench/load.py).

Under 200 people every worker thread waited in the pool for a connection while every connection
belonged to a request waiting for a thread (its next dependency, its handler, its session's
close): nothing moved until the pool's timeout, then 503s. Requests now take a slot on the event
loop before their session; here many page requests at once, on a small pool that gives up after
a second, must all be answered, and never more connections be lent than there are slots.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.config import Settings
from app.db import SPARE_CONNECTIONS
from app.main import create_app
from tests.accounts.test_pages import login
from tests.conftest import make_user

POOL = 5
REQUESTS = 40


class Lent:
    """How many of the engine's connections are lent at once, at most."""

    def __init__(self, engine: Engine) -> None:
        self.now = 0
        self.most = 0
        self._lock = threading.Lock()
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, *_: Any) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def _in(self, *_: Any) -> None:
        with self._lock:
            self.now -= 1


@pytest.fixture
def small_pool(database_url: str, clean_db: Engine) -> Iterator[Engine]:
    engine = create_engine(database_url, pool_size=POOL, max_overflow=0, pool_timeout=1)
    yield engine
    engine.dispose()


def test_many_pages_at_once_on_a_small_pool_are_all_answered(
    settings: Settings, small_pool: Engine, clean_db: Engine, clock: FixedClock, seeded: Session
) -> None:
    make_user(clean_db, clock, username="xem.nhieu", role="viewer")
    app: FastAPI = create_app(settings, engine=small_pool, clock=clock)
    with TestClient(app) as client:
        assert login(client, "xem.nhieu", "mat-khau-thu-nghiem").status_code == 303
        lent = Lent(small_pool)
        with ThreadPoolExecutor(REQUESTS) as senders:
            statuses = list(senders.map(lambda _: client.get("/").status_code, range(REQUESTS)))
    assert statuses == [200] * REQUESTS, sorted(set(statuses))
    assert lent.most <= POOL - SPARE_CONNECTIONS
