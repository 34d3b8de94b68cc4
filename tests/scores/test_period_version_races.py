"""Writers racing over the same periods (issue #17's attacker probe for the period versions).

Every data write also bumps its plan's version and the version of each period it touched, in
the writer's own transaction. Two imports at once that name the same periods in opposite
orders must both commit (no deadlock on the version rows, no 500), and afterwards the kept
scores of every period must be the ones computed afresh: a bump lost in the race would leave
a dashboard stale for good.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import data_versions
from app.clock import FixedClock
from app.kpis.models import Reading
from app.scores import cache
from tests.conftest import make_token
from tests.scores.test_period_versions import answers
from tests.uploads.conftest import send_csv

#: Two keys in two periods each; half the writers send them in the opposite order.
ROWS = [
    "disbursement,kthtdt,2025-10,{v}",
    "plan_targets_completed,vhxh,2025-10,{v}",
    "disbursement,kthtdt,2025-11,{v}",
    "plan_targets_completed,vhxh,2025-11,{v}",
]
WRITERS = 8


def _periods(engine: Engine) -> dict[Any, int]:
    with Session(engine) as session:
        found = data_versions.read(session).periods
    return {start: version for periods in found.values() for start, version in periods}


def test_imports_of_the_same_periods_in_opposite_orders_all_commit_and_no_score_stays_stale(
    api: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    # The keys exist: each writer updates them, locking its rows in its file's order. (Writers
    # that all create the same new keys are another race: one commits, the others are told to
    # send the file again, 409 - tests/uploads.)
    first = "indicator,unit,period,value\n" + "".join(r.format(v=1) + "\n" for r in ROWS)
    assert send_csv(api, "/api/v1/readings/bulk", first).status_code == 200
    cache.RESULTS.clear()
    answers(api)  # every period's scores kept before the race
    before = _periods(clean_db)
    # One account per writer: one account's imports are capped at one at a time (429).
    tokens = [
        make_token(clean_db, clock, username=f"he.thong.{i}", role="admin") for i in range(WRITERS)
    ]
    door = threading.Barrier(WRITERS, timeout=30)
    statuses: dict[int, tuple[int, str]] = {}

    def write(i: int) -> None:
        order = ROWS if i % 2 == 0 else ROWS[::-1]
        body = "indicator,unit,period,value\n" + "".join(r.format(v=10 + i) + "\n" for r in order)
        with TestClient(application, headers={"Authorization": f"Bearer {tokens[i]}"}) as client:
            door.wait()
            resp = send_csv(client, "/api/v1/readings/bulk", body)
            statuses[i] = (resp.status_code, resp.text[:300])

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {i: s for i, (s, _) in statuses.items()} == dict.fromkeys(range(WRITERS), 200), statuses

    # Each key holds one writer's whole value: no half of an import, nothing left out.
    with Session(clean_db) as session:
        values = sorted(r.value for r in session.exec(select(Reading)) if r.value is not None)
    assert len(values) == len(ROWS)
    assert set(values) <= {float(10 + i) for i in range(WRITERS)}

    after = _periods(clean_db)
    for start in {p for p in after if str(p) in ("2025-10-01", "2025-11-01")}:
        assert after[start] != before.get(start), f"the race left {start}'s version as it was"
    assert len([p for p in after if str(p) in ("2025-10-01", "2025-11-01")]) == 2
    served = answers(api)  # kept where the keys say nothing changed since
    cache.RESULTS.clear()
    assert served == answers(api)
