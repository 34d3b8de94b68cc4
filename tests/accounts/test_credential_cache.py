"""Verified credentials kept in the process (issue #20): a request they answer runs no SQL at
all, and every change that must end or alter a credential holds on the very next request of
the process that made it, even when the credential was answered from the cache just before.
A change the process did not make (another worker's) holds once the entry runs out."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.accounts import credential_cache, credential_events
from app.accounts.credential_cache import CredentialCache
from app.accounts.models import ApiToken
from app.clock import FixedClock
from app.db import table_of
from tests.conftest import make_token, make_user, statements

API = "/api/v1"
PASSWORD = "mat-khau-thu-nghiem"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def kept(client: TestClient, url: str, headers: dict[str, str] | None = None) -> None:
    """Use a credential until the cache holds it: the first use may write its "last used"."""
    for _ in range(2):
        assert client.get(url, headers=headers, follow_redirects=False).status_code == 200


def log_in(client: TestClient, username: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert csrf is not None
    done = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text


@pytest.fixture
def browser(application: FastAPI, seeded: Session) -> Iterator[TestClient]:
    with TestClient(application) as client:
        yield client


def test_a_kept_token_answers_auth_me_without_any_sql(
    anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="xem.so", role="viewer")
    kept(anon, f"{API}/auth/me", bearer(token))
    with statements(clean_db) as seen:
        resp = anon.get(f"{API}/auth/me", headers=bearer(token))
    assert resp.status_code == 200
    assert resp.json()["username"] == "xem.so" and resp.json()["role"] == "viewer"
    assert seen == []


def test_a_kept_session_serves_a_page_without_any_sql(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    log_in(browser, "can.bo")
    kept(browser, "/account/password")
    with statements(clean_db) as seen:
        resp = browser.get("/account/password", follow_redirects=False)
    assert resp.status_code == 200 and "Người dùng can.bo" in resp.text
    assert seen == []


def test_a_revoked_token_is_refused_on_the_next_request(
    api: TestClient, anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="he.thong", role="reporter", unit="ttpvhcc")
    issued = api.post(f"{API}/tokens", json={"username": "he.thong", "name": "Một cửa"}).json()
    kept(anon, f"{API}/auth/me", bearer(issued["token"]))
    assert api.delete(f"{API}/tokens/{issued['id']}").status_code == 200
    refused = anon.get(f"{API}/auth/me", headers=bearer(issued["token"]))
    assert refused.status_code == 401
    assert refused.json()["detail"]["code"] == "token_revoked"


def test_deactivation_and_a_role_change_hold_on_the_next_request(
    api: TestClient, anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="doi.vai", role="viewer")
    kept(anon, f"{API}/auth/me", bearer(token))
    version = api.get(f"{API}/users/doi.vai").json()["version"]
    changed = api.patch(
        f"{API}/users/doi.vai", json={"role": "coordinator", "unit": "vhxh", "version": version}
    )
    assert changed.status_code == 200, changed.text
    me = anon.get(f"{API}/auth/me", headers=bearer(token)).json()
    assert (me["role"], me["unit"]) == ("coordinator", "vhxh")

    kept(anon, f"{API}/auth/me", bearer(token))
    assert api.patch(f"{API}/users/doi.vai", json={"active": False}).status_code == 200
    refused = anon.get(f"{API}/auth/me", headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json()["detail"]["code"] == "user_inactive"


def test_logout_and_a_password_reset_end_kept_sessions_at_once(
    application: FastAPI, api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    with TestClient(application) as first, TestClient(application) as second:
        log_in(first, "can.bo")
        log_in(second, "can.bo")
        kept(first, "/account/password")
        kept(second, "/account/password")
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', first.get("/").text)
        assert csrf is not None
        done = first.post("/logout", data={"csrf_token": csrf.group(1)}, follow_redirects=False)
        assert done.status_code == 303
        assert first.get("/account/password", follow_redirects=False).status_code == 303

        reset = api.post(
            f"{API}/users/can.bo/password",
            json={"password": "mat-khau-moi-2025", "must_change_password": True},
        )
        assert reset.status_code == 200, reset.text
        assert second.get("/account/password", follow_redirects=False).status_code == 303


def test_a_change_made_elsewhere_holds_once_the_entry_runs_out(
    application: FastAPI, anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """A write this process does not see (a Core UPDATE, no notification: SQLite, or another
    worker while this one's listener is down) holds once the entry has run out."""
    ticks = [0.0]
    previous = getattr(application.state, "credentials", None)
    application.state.credentials = CredentialCache(ttl_seconds=5, monotonic=lambda: ticks[0])
    try:
        token = make_token(clean_db, clock, username="xa.xa", role="viewer")
        kept(anon, f"{API}/auth/me", bearer(token))
        with clean_db.begin() as conn:
            conn.execute(update(table_of(ApiToken)).values(revoked_at=clock.now()))
        ticks[0] = 5.0  # (before: the documented window, unless PostgreSQL's listener heard)
        refused = anon.get(f"{API}/auth/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["detail"]["code"] == "token_revoked"
    finally:
        application.state.credentials = previous


def test_an_answer_read_while_a_write_evicted_is_not_kept() -> None:
    cache = CredentialCache()
    generation = cache.generation
    cache.evict({7})  # a write committed while the answer was being read
    when = FixedClock.on(date(2025, 11, 20)).now()
    cache.put("d", generation=generation, user_id=7, expires_at=when, touched_at=when, value=1)
    assert cache.get("d") is None
    cache.put(
        "d", generation=cache.generation, user_id=7, expires_at=when, touched_at=when, value=1
    )
    assert cache.get("d") is not None


def test_a_unit_members_page_shows_the_unit_without_reading_the_unit_table(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """The top bar's unit name comes with the session's lookup, not from a query per page."""
    make_user(clean_db, clock, username="bao.cao", role="reporter", unit="ttpvhcc")
    log_in(browser, "bao.cao")
    kept(browser, "/account/password")
    with statements(clean_db) as seen:
        resp = browser.get("/account/password", follow_redirects=False)
    assert resp.status_code == 200
    assert "Người dùng bao.cao · TTPVHCC" in resp.text
    assert seen == []


def test_on_postgresql_another_workers_change_is_heard_at_once(
    application: FastAPI, anon: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """Another worker's revocation, a Core UPDATE with the notification its ORM write would
    send, evicts here through the listener well before the entry would run out."""
    if clean_db.dialect.name != "postgresql":
        pytest.skip("LISTEN/NOTIFY is PostgreSQL's; on SQLite the window is the entry's life")
    listener = credential_events.listen(clean_db)
    assert listener is not None and listener.listening.wait(30)
    previous = getattr(application.state, "credentials", None)
    cache = application.state.credentials = CredentialCache(ttl_seconds=5, monotonic=lambda: 0.0)
    try:
        token = make_token(clean_db, clock, username="xa.xa", role="viewer")
        kept(anon, f"{API}/auth/me", bearer(token))
        generation = cache.generation
        with clean_db.begin() as conn:
            conn.execute(update(table_of(ApiToken)).values(revoked_at=clock.now()))
            credential_cache.notify(conn, None)
        for _ in range(300):  # the notification crosses a socket and a thread
            if cache.generation != generation:
                break
            time.sleep(0.01)
        refused = anon.get(f"{API}/auth/me", headers=bearer(token))
        assert refused.status_code == 401
        assert refused.json()["detail"]["code"] == "token_revoked"
    finally:
        application.state.credentials = previous
