"""An evidence upload meets the imports' guards against slow senders: no pooled connection held
while the body arrives, 408 for a body that stalls or trickles past the deadline, and nothing
kept of it (no row, no file in the store).

The page's htmx posts carry their CSRF token in a header, so nothing reads the form before the
route does: the route's own reading (``evidence/upload.py``) must apply the guards."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.progress.evidence.models import EvidenceItem
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_token, make_user
from tests.progress.evidence_helpers import PDF
from tests.uploads.test_upload_limits import client_for, in_own_loop

pytestmark = [pytest.mark.usefixtures("seeded")]

WS = "/units/ttpvhcc/periods/2025-10"
PAGE_URL = f"{WS}/tasks/II.1.6.1/evidence"
URL = f"/api/v1{PAGE_URL}"
BOUNDARY = "----partrack-slow"
HEAD = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename="ke-hoach.pdf"\r\n'
    "Content-Type: application/pdf\r\n\r\n"
).encode()
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


def officer_for(app: FastAPI, clean_db: Engine, clock: FixedClock) -> httpx.AsyncClient:
    """The unit's reporter in the workspace, posting the evidence form as htmx does."""
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    with TestClient(app) as browser:
        assert login(browser, "bc.ttpv").status_code == 303
        token = hidden(browser.get(WS).text, "csrf_token")
        cookies = dict(browser.cookies)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=cookies,
        headers={"HX-Request": "true", "X-CSRF-Token": token, **MULTIPART},
        timeout=30,
    )


def items(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(EvidenceItem)).one()


def stored_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


@in_own_loop
async def test_a_stalled_evidence_upload_holds_no_connection_and_gets_408(
    app_factory, clean_db: Engine, clock: FixedClock, evidence_dir: Path
) -> None:
    app = app_factory(upload_idle_timeout_seconds=0.5)
    before = stored_files(evidence_dir)
    started = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield HEAD + PDF[:20]
        started.set()
        await asyncio.sleep(30)  # never sends the rest
        yield PDF[20:] + TAIL

    async with officer_for(app, clean_db, clock) as officer:
        sending = asyncio.create_task(officer.post(PAGE_URL, content=stalls()))
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.1)
        assert clean_db.pool.checkedout() == 0  # signed in, body half read
        resp = await asyncio.wait_for(sending, 10)
    assert resp.status_code == 408, resp.text
    # the task's evidence part comes back with the reason, as after any refused attachment
    assert 'id="ev-task-II-1-6-1"' in resp.text
    assert "quá 0,5 giây không nhận thêm được dữ liệu" in resp.text
    assert items(clean_db) == 0
    assert stored_files(evidence_dir) == before


@in_own_loop
async def test_an_evidence_upload_trickling_past_the_deadline_gets_408(
    app_factory, clean_db: Engine, clock: FixedClock, evidence_dir: Path
) -> None:
    app = app_factory(upload_idle_timeout_seconds=5, upload_deadline_seconds=0.3)
    before = stored_files(evidence_dir)

    async def trickle() -> AsyncIterator[bytes]:
        yield HEAD
        for byte in PDF:  # one byte every 20 ms: never idle, never done in time
            await asyncio.sleep(0.02)
            yield bytes([byte])
        yield TAIL

    async with officer_for(app, clean_db, clock) as officer:
        resp = await asyncio.wait_for(officer.post(PAGE_URL, content=trickle()), 10)
    assert resp.status_code == 408, resp.text
    assert "chưa nhận xong sau 0,3 giây" in resp.text
    assert items(clean_db) == 0
    assert stored_files(evidence_dir) == before


@in_own_loop
async def test_the_same_upload_sent_at_once_is_stored(
    app_factory, clean_db: Engine, clock: FixedClock, evidence_dir: Path
) -> None:
    """The guards refuse only the slow: the same body, sent whole, is attached."""
    token = make_token(clean_db, clock, username="admin", role="admin")
    app = app_factory(upload_idle_timeout_seconds=0.5, upload_deadline_seconds=5)
    async with client_for(app, token) as http:
        resp = await http.post(URL, content=HEAD + PDF + TAIL, headers=MULTIPART)
    assert resp.status_code == 201, resp.text
    assert resp.json()["filename"] == "ke-hoach.pdf"
    assert items(clean_db) == 1
