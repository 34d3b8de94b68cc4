"""Two copies of a plan to the same new code at once: one is created, the other is told the code
is taken (409) — never a 500 from the unique key that refused it."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.plans.models import Plan
from app.seed import service as seed_service
from tests.conftest import make_token

API = "/api/v1"
NEXT_YEAR = {
    "code": "kh-cchc-2026",
    "number": "12/KH-UBND",
    "issued_date": "2026-01-15",
    "first_year": 2026,
}


def test_two_copies_raced_to_the_same_code_give_one_201_and_one_409(
    application: FastAPI, clean_db: Engine, clock: FixedClock, seeded: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # Both requests must be past the "is the code free?" check before either writes: each waits
    # for the other at the loader's door (a serialising fix that never lets the second reach it
    # breaks the barrier instead, and the second simply goes on).
    door = threading.Barrier(2, timeout=20)
    load = seed_service.seed_plan

    def both_checked(**kwargs: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            door.wait()
        return load(**kwargs)

    monkeypatch.setattr(seed_service, "seed_plan", both_checked)
    token = make_token(clean_db, clock, username="dieu.phoi", role="coordinator")
    answers: list[Any] = []

    def copy() -> None:
        with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as client:
            answers.append(client.post(f"{API}/plans/kh-84-2025/copy", json=NEXT_YEAR))

    threads = [threading.Thread(target=copy) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409).json()["detail"]
    assert refused["code"] == "plan_exists"
    assert refused["errors"][0]["field"] == "code"
    assert "kh-cchc-2026" in refused["message"]
    seeded.expire_all()
    assert seeded.exec(select(func.count()).where(Plan.code == "kh-cchc-2026")).one() == 1
    audited = select(func.count()).where(
        AuditEvent.entity == "plan", AuditEvent.entity_key == "kh-cchc-2026"
    )
    assert seeded.exec(audited).one() == 1  # the refused copy left nothing behind
