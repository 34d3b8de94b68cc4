"""Three wards running the same plan template, two of them marked in every name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts import passwords
from app.accounts.models import User
from app.clock import FixedClock
from app.seed import service as seed_service
from app.units.models import Unit
from app.wards.models import Ward
from tests.conftest import make_token

API = "/api/v1"
PASSWORD = "mat-khau-thu-nghiem"
MARKS = {"binh-dong": "ZZBINHDONGZZ", "chanh-hung": "ZZCHANHHUNGZZ"}
NAMES = {
    "phu-dinh": "Phường Phú Định",
    "binh-dong": "Phường Bình Đông",
    "chanh-hung": "Phường Chánh Hưng",
}


def _ward_data(code: str) -> dict[str, Any]:
    data = seed_service.load_data()
    data["ward"] = {"code": code, "name": NAMES[code]}
    mark = MARKS.get(code)
    if mark:
        for unit in data["units"]:
            unit["name"] = f"{unit['name']} {mark}"
            unit["short_name"] = f"{unit['short_name']} {mark}"
        data["plan"]["title"] = f"{data['plan']['title']} {mark}"
        data["plan"]["signer_name"] = mark
        for task in data["assignments"]:
            task["text"] = f"{task['text']} {mark}"
    return data


def _user(session: Session, clock: FixedClock, *, username: str, role: str, ward: str,
          unit: str | None = None, full_name: str | None = None) -> None:  # fmt: skip
    ward_row = session.exec(select(Ward).where(Ward.code == ward)).one()
    unit_id = None
    if unit is not None:
        unit_id = session.exec(
            select(Unit.id).where(Unit.code == unit, Unit.ward_id == ward_row.id)
        ).one()
    now = clock.now()
    session.add(
        User(
            username=username,
            full_name=full_name or username,
            password_hash=passwords.hash_password(PASSWORD),
            role=role,
            ward_id=None if role.startswith("city_") else ward_row.id,
            unit_id=unit_id,
            password_changed_at=now,
            created_at=now,
            updated_at=now,
        )
    )
    session.commit()


@pytest.fixture
def city(db_session: Session, clock: FixedClock) -> Session:
    for code in NAMES:
        seed_service.seed_plan(db_session=db_session, clock=clock, data=_ward_data(code))
    for code, mark in MARKS.items():
        _user(db_session, clock, username=f"admin.{code}", role="admin", ward=code,
              full_name=f"Quản trị {mark}")  # fmt: skip
        _user(db_session, clock, username=f"vhxh.{code}", role="reporter", ward=code,
              unit="vhxh", full_name=f"Cán bộ {mark}")  # fmt: skip
    _user(db_session, clock, username="so.noi.vu", role="city_viewer", ward="phu-dinh")
    return db_session


def _bearer(application: FastAPI, engine: Engine, clock: FixedClock, username: str,
            role: str, unit: str | None = None, *,
            raise_errors: bool = True) -> TestClient:  # fmt: skip
    token = make_token(engine, clock, username=username, role=role, unit=unit)
    return TestClient(
        application,
        headers={"Authorization": f"Bearer {token}"},
        raise_server_exceptions=raise_errors,
    )


def _browser(application: FastAPI, username: str, *, raise_errors: bool = True) -> TestClient:
    """Signed in through the login form. ``raise_errors=False``: a 500 is an answer to check
    (a walk over every route names each route that fails) rather than an exception."""
    client = TestClient(application, raise_server_exceptions=raise_errors)
    page = client.get("/login")
    hidden = dict(re.findall(r'name="(next|csrf_token)" value="([^"]*)"', page.text))
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, **hidden},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client
