"""The upload routes added after issue 17 meet its guards too: the PAR criteria, framework and
appraisal imports (API and pages), a PAR criterion's evidence (API and page) and the registers'
bulk imports. A body that stalls gets 408, holds no pooled connection while it waits, leaves no
import slot and writes nothing; an import route refuses a user whose import slots are all taken
(429, in Vietnamese), because it is received by the one shared path (``app/uploads/receive.py``;
evidence by ``app/progress/evidence/upload.py``).

``tests/uploads/test_upload_limits.py`` holds the same checks for the readings' bulk route and
the upload page; its helpers are used here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.registers.specs import REGISTERS
from app.uploads.limits import ImportSlot
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_token, make_user
from tests.progress.evidence_helpers import PDF
from tests.uploads.test_upload_limits import client_for, in_own_loop, slots

pytestmark = [pytest.mark.usefixtures("seeded")]

YEAR = 2025
TABLE = "chi-so-cchc-phuong-2025"
BOUNDARY = "ranh-gioi-cham"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
CSV_HEAD = "Mã tiêu chí,Nội dung tiêu chí,Điểm tối đa\n".encode()


@dataclass(frozen=True)
class Route:
    """A route that receives a file: where, how its body starts, and whether it is an import
    (which takes one of the user's import slots; evidence does not)."""

    path: str
    head: bytes
    content_type: str
    page: bool = False
    imports: bool = True

    def __str__(self) -> str:
        return self.path


def _part(fields: dict[str, str], filename: str, file_type: str, start: bytes) -> bytes:
    """A multipart body up to the middle of its file part."""
    out = b""
    for name, value in fields.items():
        out += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: {file_type}\r\n\r\n'
    ).encode()
    return out + start


def _csv_part(**fields: str) -> bytes:
    return _part(fields, "bang.csv", "text/csv", CSV_HEAD)


ROUTES = [
    Route(f"/api/v1/par-frameworks/{TABLE}/criteria/import?year={YEAR}", CSV_HEAD, "text/csv"),
    Route(f"/api/v1/par-assessments/{YEAR}/appraisal/import", CSV_HEAD, "text/csv"),
    # every register's bulk import, the monitoring registers' too (inspections, their findings,
    # the socio-economic targets, the investment): taken from the registers' list, none missed
    *(Route(f"/api/v1{spec.api}/bulk", b"code,title\n", "text/csv") for spec in REGISTERS),
    Route(
        f"/api/v1/par-assessments/{YEAR}/items/3.5/evidence",
        _part({"note": "Quyết định"}, "qd.pdf", "application/pdf", PDF[:20]),
        MULTIPART,
        imports=False,
    ),
    Route("/chi-so-cchc/khung/moi", _csv_part(code="hcm-2026", year="2026"), MULTIPART, page=True),
    Route(f"/chi-so-cchc/khung/{TABLE}/nhap", _csv_part(), MULTIPART, page=True),
    Route(f"/chi-so-cchc/{YEAR}/tham-dinh", _csv_part(), MULTIPART, page=True),
    Route(
        f"/chi-so-cchc/{YEAR}/tieu-chi/3.5/minh-chung",
        _part({}, "qd.pdf", "application/pdf", PDF[:20]),
        MULTIPART,
        page=True,
        imports=False,
    ),
]


def _audit_rows(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _client(app: FastAPI, clean_db: Engine, clock: FixedClock, route: Route) -> httpx.AsyncClient:
    """The ward's administrator: a bearer token for the API, a signed-in browser (cookie and
    CSRF header, as htmx posts) for a page. The PAR year is opened first."""
    token = make_token(clean_db, clock, username="qt.cham", role="admin")
    with TestClient(app) as setup:
        opened = setup.post(
            "/api/v1/par-assessments",
            json={"year": YEAR},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert opened.status_code == 201, opened.text
    if not route.page:
        return client_for(app, token)
    make_user(clean_db, clock, username="qt.trang", role="admin")
    with TestClient(app) as browser:
        assert login(browser, "qt.trang").status_code == 303
        csrf = hidden(browser.get("/chi-so-cchc").text, "csrf_token")
        cookies = dict(browser.cookies)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=cookies,
        headers={"HX-Request": "true", "X-CSRF-Token": csrf},
        timeout=30,
    )


def _message(resp: httpx.Response) -> str:
    return (
        resp.text
        if "html" in resp.headers.get("content-type", "")
        else resp.json()["detail"]["message"]
    )


@pytest.mark.parametrize("route", ROUTES, ids=str)
@in_own_loop
async def test_a_stalled_body_holds_no_connection_and_gets_408(
    route: Route, app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(upload_idle_timeout_seconds=0.5)
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield route.head
        started.set()
        await asyncio.sleep(30)  # never sends the rest
        yield b"\r\n--" + BOUNDARY.encode() + b"--\r\n"

    async with _client(app, clean_db, clock, route) as http:
        before = _audit_rows(clean_db)
        sending = asyncio.create_task(
            http.post(route.path, content=stalls(), headers={"Content-Type": route.content_type})
        )
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.1)
        assert clean_db.pool.checkedout() == 0  # signed in, body half read: nothing held
        assert slots(clean_db) == (1 if route.imports else 0)
        resp = await asyncio.wait_for(sending, 10)
    assert resp.status_code == 408, resp.text
    assert "quá 0,5 giây không nhận thêm được dữ liệu" in _message(resp)
    assert slots(clean_db) == 0
    assert _audit_rows(clean_db) == before  # nothing written


@pytest.mark.parametrize("route", [r for r in ROUTES if r.imports], ids=str)
@in_own_loop
async def test_an_import_past_the_user_s_slots_is_refused_with_429(
    route: Route, app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(max_imports_per_user=2)
    async with _client(app, clean_db, clock, route) as http:
        username = "qt.trang" if route.page else "qt.cham"
        with Session(clean_db) as session:  # two imports of this user are running
            for slot in (0, 1):
                session.add(ImportSlot(username=username, slot=slot, started_at=clock.now()))
            session.commit()
        body = route.head + (b"\r\n--" + BOUNDARY.encode() + b"--\r\n" if route.page else b"")
        resp = await http.post(
            route.path, content=body, headers={"Content-Type": route.content_type}
        )
    assert resp.status_code == 429, resp.text
    assert "tối đa 2 lượt cùng lúc cho mỗi người dùng" in _message(resp)
    assert slots(clean_db) == 2  # the running ones, untouched
