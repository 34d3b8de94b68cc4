"""Kept scores under ``partrack serve --workers 2``: a write through one worker is seen by the next
read through the other (issue 20). Both workers first keep the period's summary; after the write
each must answer with the new figure, which only a version read from the database can tell it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_token
from tests.workers_helpers import Served, Server, serve

MAX_TRIES = 300


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    with serve(database_url, workers=2) as running:
        yield running


def until_both(request: Callable[[], Served], check: Callable[[Served], None]) -> Counter[int]:
    """Repeat ``request`` until both workers answered it, every answer passing ``check``."""
    seen: Counter[int] = Counter()
    for _ in range(MAX_TRIES):
        answer = request()
        check(answer)
        if answer.worker is not None:
            seen[answer.worker] += 1
        if len(seen) >= 2:
            return seen
    raise AssertionError(f"one worker answered everything: {seen}")


def disbursement(answer: Served) -> object:
    assert answer.status == 200, answer.body[:300]
    body = answer.json()
    assert isinstance(body, dict)
    return next(i["value"] for i in body["indicators"] if i["code"] == "disbursement")


def test_a_reading_written_through_one_worker_is_scored_by_both(
    server: Server, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    with server.client(headers={"Authorization": f"Bearer {token}"}) as api:

        def read() -> Served:
            return server.send(api, "GET", "/api/v1/scores", params={"period": "2025-10"})

        def empty(answer: Served) -> None:
            assert disbursement(answer) is None

        until_both(read, empty)  # both workers now keep October without the reading
        until_both(read, empty)  # and answer from what they keep
        written = server.send(
            api,
            "PUT",
            "/api/v1/readings",
            json={"indicator": "disbursement", "unit": "kthtdt", "period": "2025-10", "value": 80},
        )
        assert written.status == 201, written.body

        def scored(answer: Served) -> None:
            assert disbursement(answer) == 80

        until_both(read, scored)
