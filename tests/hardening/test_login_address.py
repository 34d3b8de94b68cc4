"""The per-address login limit: an office NAT full of colleagues logging in correctly is never
refused, a flood of wrong logins from one address is, exactly at its limit (issue 17)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts import auth
from app.accounts.auth import LoginPolicy
from app.accounts.dependencies import configure_hashing
from app.accounts.models import LoginThrottle
from app.clock import FixedClock
from app.config import Settings
from app.errors import AppError
from tests.accounts.test_throttle import _at_once
from tests.conftest import make_user

OFFICE = "203.0.113.50"
RIGHT = "mat-khau-dong-nghiep"
#: Above the hashing threads (at most twice the CPUs), as docs/deployment.md asks.
LIMIT = 10


def _login(
    engine: Engine, clock: FixedClock, policy: LoginPolicy, username: str, password: str
) -> tuple[str, str | None]:
    """One login as the page or the token endpoint runs it: the status, and Retry-After."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            asyncio.run(
                auth.verify_login(
                    db_session=session,
                    clock=clock,
                    policy=policy,
                    username=username,
                    password=password,
                    ip=OFFICE,
                    via="web",
                )
            )
        except AppError as exc:
            return str(exc.status_code), exc.headers.get("Retry-After")
        session.commit()
        return "200", None


def test_sixty_colleagues_behind_one_address_log_in_at_once_then_a_wrong_flood_is_cut(
    clean_db: Engine, clock: FixedClock, settings: Settings
) -> None:
    configure_hashing(settings)  # the default pool, whatever an earlier test made of it
    for i in range(60):
        make_user(clean_db, clock, username=f"can.bo{i:02d}", role="viewer", password=RIGHT)
    policy = LoginPolicy(max_failures=5, lockout_minutes=15, max_failures_per_address=LIMIT)

    logins = _at_once(60, lambda i: _login(clean_db, clock, policy, f"can.bo{i:02d}", RIGHT)[0])
    assert logins == Counter({"200": 60})
    with Session(clean_db) as session:
        row = session.get(LoginThrottle, f"ip:{OFFICE}")
        assert row is None or row.failures == 0  # successes leave nothing on the address

    wrong = _at_once(
        40, lambda i: "{}/{}".format(*_login(clean_db, clock, policy, f"ke.la{i}", "doan-bua"))
    )
    assert wrong[f"401/{None}"] == LIMIT
    assert wrong["429/900"] == 40 - LIMIT  # the whole 15-minute window, in seconds
    with Session(clean_db) as session:
        row = session.get(LoginThrottle, f"ip:{OFFICE}")
        assert row is not None and row.failures == LIMIT


def test_past_the_limit_even_a_right_password_from_that_address_waits(
    app_factory: Any, clean_db: Engine, clock: FixedClock
) -> None:
    """The address limit is the brake on guessing many accounts from one place: once wrong
    passwords filled it, nobody there is checked until the window ends (the answer says when)."""
    make_user(clean_db, clock, username="quan.tri", role="admin", password=RIGHT)
    app = app_factory(login_max_failures=100, login_max_failures_per_address=3)
    url = "/api/v1/auth/token"
    with TestClient(app, client=(OFFICE, 5000)) as office:
        for _ in range(4):  # correct logins first: they count for nothing
            assert office.post(url, json={"username": "quan.tri", "password": RIGHT}).is_success
        answers = [
            office.post(url, json={"username": f"doan-{i}", "password": "x"}) for i in range(5)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
        assert all(int(a.headers["Retry-After"]) == 15 * 60 for a in answers[3:])
        refused = office.post(url, json={"username": "quan.tri", "password": RIGHT})
        assert refused.status_code == 429
        assert "địa chỉ mạng này" in refused.json()["detail"]["message"]
