"""Logged-in browser sessions (no JavaScript) for the admin page tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _session(application: FastAPI, username: str, landing: str) -> Iterator[TestClient]:
    with TestClient(application) as client:
        assert login(client, username).status_code == 303
        client.csrf = hidden(client.get(landing).text, "csrf_token")  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def admin_web(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="qt.admin", role="admin")
    yield from _session(application, "qt.admin", "/admin")


@pytest.fixture
def coordinator_web(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    yield from _session(application, "dp.vhxh", "/admin")


def post(client: TestClient, url: str, *, htmx: bool = False, **fields: object):
    """A form post as the browser sends it: with the CSRF field, without following redirects."""
    data = {"csrf_token": client.csrf, **fields}  # type: ignore[attr-defined]
    return client.post(url, data=data, headers=HX if htmx else {}, follow_redirects=False)
