"""A page's form that carries its CSRF token as a field (no page script, so no X-CSRF-Token
header) is read before the route runs: the read meets the upload limits, 408 for a slow body
and 413 for a large one, and holds no pooled connection meanwhile (issue 17)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user
from tests.uploads.test_upload_limits import BOUNDARY, in_own_loop, readings, slots

pytestmark = [pytest.mark.usefixtures("seeded")]


def _head(csrf: str) -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="kind"\r\n\r\nreadings\r\n'
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="so-lieu.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
        "indicator,unit,period,value\n"
    ).encode()


TAIL = f"plan_targets_completed,vhxh,2025-10,81\n\r\n--{BOUNDARY}--\r\n".encode()


def plain_form_browser(
    app: FastAPI, clean_db: Engine, clock: FixedClock
) -> tuple[httpx.AsyncClient, str]:
    """A logged-in browser without the page's script: the token goes in the form, no header."""
    make_user(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh")
    with TestClient(app) as browser:
        assert login(browser, "dieu.phoi").status_code == 303
        token = hidden(browser.get("/imports").text, "csrf_token")
        cookies = dict(browser.cookies)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=cookies,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=30,
    )
    return client, token


@in_own_loop
async def test_a_plain_form_upload_still_works(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory()
    browser, csrf = plain_form_browser(app, clean_db, clock)

    async def body() -> AsyncIterator[bytes]:
        yield _head(csrf)
        yield TAIL

    async with browser:
        resp = await browser.post("/imports", content=body())
    assert resp.status_code == 200, resp.text
    assert re.search(r'id="count-created">1<', resp.text)


@in_own_loop
async def test_a_stalled_plain_form_gets_408_without_holding_a_connection(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(upload_idle_timeout_seconds=0.5)
    browser, csrf = plain_form_browser(app, clean_db, clock)
    started, never = asyncio.Event(), asyncio.Event()

    async def body() -> AsyncIterator[bytes]:
        yield _head(csrf)
        started.set()
        await never.wait()
        yield TAIL

    async with browser:
        sending = asyncio.create_task(browser.post("/imports", content=body()))
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.05)
        assert clean_db.pool.checkedout() == 0  # the CSRF read holds no pooled connection
        resp = await asyncio.wait_for(sending, 10)
    assert resp.status_code == 408
    assert "quá 0,5 giây không nhận thêm được dữ liệu" in resp.text
    assert readings(clean_db) == 0 and slots(clean_db) == 0


@in_own_loop
async def test_a_trickling_plain_form_gets_408_at_the_deadline(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(upload_idle_timeout_seconds=5, upload_deadline_seconds=0.3)
    browser, csrf = plain_form_browser(app, clean_db, clock)

    async def body() -> AsyncIterator[bytes]:
        yield _head(csrf)
        for byte in TAIL * 20:  # one byte every 20 ms: never idle, never done in time
            await asyncio.sleep(0.02)
            yield bytes([byte])

    async with browser:
        resp = await asyncio.wait_for(browser.post("/imports", content=body()), 10)
    assert resp.status_code == 408
    assert "chưa nhận xong sau 0,3 giây" in resp.text


@in_own_loop
async def test_an_endless_plain_form_is_cut_at_the_upload_limit(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(max_upload_bytes=10_000)
    browser, csrf = plain_form_browser(app, clean_db, clock)
    sent = 0

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        nonlocal sent
        yield _head(csrf)
        for _ in range(10_000):
            sent += 1
            yield TAIL.split(b"\n")[0] + b"\n" * 64

    async with browser:
        resp = await asyncio.wait_for(browser.post("/imports", content=body()), 30)
    assert resp.status_code == 413
    assert "Tệp gửi lên quá lớn" in resp.text
    assert sent < 10_000  # refused while it arrived, not after the whole body
    assert readings(clean_db) == 0


@in_own_loop
async def test_a_declared_oversized_plain_form_gets_413(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(max_upload_bytes=10_000)
    browser, csrf = plain_form_browser(app, clean_db, clock)
    async with browser:
        resp = await browser.post("/imports", content=_head(csrf) + b"x" * 200_000 + TAIL)
    assert resp.status_code == 413
