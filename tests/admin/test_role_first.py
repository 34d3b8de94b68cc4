"""Admin form posts check the role before the form: a wrong role gets 403, never a 422 that
tells what the form would have accepted."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.accounts.test_authorization_holes import web
from tests.conftest import make_user


@pytest.mark.parametrize(
    ("role", "unit", "path", "message"),
    [
        ("coordinator", "vhxh", "/admin/units", "Chỉ quản trị hệ thống được thay đổi"),
        ("reporter", "vp", "/admin/targets/tthc_ontime", "Chỉ bộ phận điều phối"),
        ("viewer", None, "/admin/plan/new", "Chỉ bộ phận điều phối"),
        ("coordinator", "vhxh", "/admin/people", "Chỉ quản trị hệ thống được quản lý"),
    ],
)
def test_an_empty_form_from_the_wrong_role_is_403(
    application: FastAPI,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    role: str,
    unit: str | None,
    path: str,
    message: str,
) -> None:
    make_user(clean_db, clock, username="nguoi.thu", role=role, unit=unit)
    client, csrf = web(application, "nguoi.thu")
    with client:
        resp = client.post(path, data={"csrf_token": csrf})
        assert resp.status_code == 403, resp.text
        assert message in resp.text
