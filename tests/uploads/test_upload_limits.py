"""Issue 17, availability: a slow uploader holds no pooled connection, a stalled body times out,
and one user runs at most ``max_imports_per_user`` imports at once, across server processes.

The requests go through the ASGI app with httpx's ASGITransport, whose request body is an async
generator the test controls: it can stall in the middle of a body while the test looks at the
pool and sends other requests.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.kpis.models import Reading
from app.uploads.limits import ImportSlot
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_token, make_user

URL = "/api/v1/readings/bulk"
HEADER = b"indicator,unit,period,domain,value,numerator,denominator,note\n"
ROW = "tthc_ontime,ttpvhcc,2025-10,ho-tich,98.5,,,Từ hệ thống một cửa\n".encode()
CSV = {"Content-Type": "text/csv"}

#: The held imports of one row are dry runs: two real ones of the same row would conflict (409).
DRY = {"headers": CSV, "params": {"dry_run": True}}

pytestmark = [pytest.mark.usefixtures("seeded")]


def in_own_loop(test: Callable[..., Awaitable[None]]) -> Callable[..., None]:
    """Run an async test in a fresh event loop on its own thread: after the browser tests,
    Playwright's loop is still marked as running on the main thread, and a loop started there
    (pytest's anyio plugin) fails with "Cannot run the event loop while another loop is
    running" when the whole suite runs in one process."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        outcome: dict[str, BaseException] = {}

        def target() -> None:
            try:
                asyncio.run(test(*args, **kwargs))
            except BaseException as exc:  # re-raised in the test's own thread
                outcome["error"] = exc

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]

    return run


class HeldBody:
    """A CSV body that sends its header row, then waits until the test lets it finish."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.finish = asyncio.Event()

    async def chunks(self) -> AsyncIterator[bytes]:
        yield HEADER
        self.started.set()  # the app asked for more: it has read the header row
        await self.finish.wait()
        yield ROW


def client_for(app: FastAPI, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def slots(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(ImportSlot)).one()


def readings(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Reading)).one()


@in_own_loop
async def test_no_pooled_connection_is_held_while_a_body_arrives(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    app = app_factory()
    body = HeldBody()
    async with client_for(app, token) as http:
        # the token's last use is now recent, so authentication below reads and does not commit:
        # its transaction stays open unless the upload ends it
        assert (await http.get("/api/v1/units")).status_code == 200
        sending = asyncio.create_task(http.post(URL, content=body.chunks(), headers=CSV))
        await asyncio.wait_for(body.started.wait(), 10)
        await asyncio.sleep(0.05)
        # authenticated, slot taken, body half read: nothing checked out of the pool
        assert clean_db.pool.checkedout() == 0
        assert slots(clean_db) == 1
        body.finish.set()
        resp = await sending
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 1
    assert slots(clean_db) == 0


@in_own_loop
async def test_a_stalled_body_gets_408_and_nothing_is_written(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    app = app_factory(upload_idle_timeout_seconds=0.2)
    body = HeldBody()  # never told to finish
    async with client_for(app, token) as http:
        resp = await asyncio.wait_for(http.post(URL, content=body.chunks(), headers=CSV), 10)
    assert resp.status_code == 408
    detail = resp.json()["detail"]
    assert detail["code"] == "upload_timeout"
    assert "quá 0,2 giây không nhận thêm được dữ liệu" in detail["message"]
    assert readings(clean_db) == 0
    assert slots(clean_db) == 0  # the slot is given back too


@in_own_loop
async def test_a_body_that_trickles_past_the_deadline_gets_408(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    app = app_factory(upload_idle_timeout_seconds=5, upload_deadline_seconds=0.3)

    async def trickle() -> AsyncIterator[bytes]:
        yield HEADER
        for byte in ROW * 20:  # one byte every 20 ms: never idle, never done in time
            await asyncio.sleep(0.02)
            yield bytes([byte])

    async with client_for(app, token) as http:
        resp = await asyncio.wait_for(http.post(URL, content=trickle(), headers=CSV), 10)
    assert resp.status_code == 408
    assert "chưa nhận xong sau 0,3 giây" in resp.json()["detail"]["message"]
    assert readings(clean_db) == 0


@in_own_loop
async def test_a_third_concurrent_import_is_refused_across_two_processes(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    """Two apps on one database stand for two server processes: the cap is the user's, not the
    process's."""
    token = make_token(clean_db, clock, username="admin", role="admin")
    other = make_token(clean_db, clock, username="quan.tri.2", role="admin")
    first_worker, second_worker = app_factory(), app_factory()
    bodies = [HeldBody(), HeldBody()]
    async with (
        client_for(first_worker, token) as one,
        client_for(second_worker, token) as two,
        client_for(first_worker, other) as someone_else,
    ):
        running = [
            asyncio.create_task(one.post(URL, content=bodies[0].chunks(), **DRY)),
            asyncio.create_task(two.post(URL, content=bodies[1].chunks(), **DRY)),
        ]
        for body in bodies:
            await asyncio.wait_for(body.started.wait(), 10)

        refused = await two.post(URL, content=HEADER + ROW, headers=CSV)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "30"
        assert refused.json()["detail"]["code"] == "too_many_imports"
        assert "tối đa 2 lượt cùng lúc cho mỗi người dùng" in refused.json()["detail"]["message"]

        # another user is not affected, and nor are plain reads
        assert (await someone_else.get("/api/v1/units")).status_code == 200
        theirs = await someone_else.post(
            URL, content=HEADER + ROW, headers=CSV, params={"dry_run": True}
        )
        assert theirs.status_code == 200, theirs.text

        for body in bodies:
            body.finish.set()
        assert [(await task).status_code for task in running] == [200, 200]
        # both slots given back: the next import runs
        again = await one.post(URL, content=HEADER + ROW, headers=CSV)
        assert again.status_code == 200, again.text
    assert slots(clean_db) == 0


@in_own_loop
async def test_a_crashed_process_s_slots_expire(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    app = app_factory(max_imports_per_user=2, import_slot_stale_seconds=3600)
    with Session(clean_db) as session:
        session.add(ImportSlot(username="admin", slot=0, started_at=clock.now()))
        session.add(
            ImportSlot(username="admin", slot=1, started_at=clock.now() - timedelta(hours=2))
        )
        session.commit()
    async with client_for(app, token) as http:
        resp = await http.post(URL, content=HEADER + ROW, headers=CSV)
        assert resp.status_code == 200, resp.text  # slot 1 was stale and is taken again
        with Session(clean_db) as session:
            session.add(ImportSlot(username="admin", slot=1, started_at=clock.now()))
            session.commit()
        full = await http.post(URL, content=HEADER + ROW, headers=CSV)
    assert full.status_code == 429  # two fresh marks: the cap holds


# --- the upload page ---------------------------------------------------------------------------


BOUNDARY = "ranh-gioi-thu-nghiem"


class HeldForm(HeldBody):
    """The upload page's multipart form, held after the file's header row."""

    async def chunks(self) -> AsyncIterator[bytes]:
        yield (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="kind"\r\n\r\nreadings\r\n'
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="so-lieu.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
            "indicator,unit,period,value\n"
        ).encode()
        self.started.set()
        await self.finish.wait()
        yield f"plan_targets_completed,vhxh,2025-10,81\n\r\n--{BOUNDARY}--\r\n".encode()


def browser_for(app: FastAPI, clean_db: Engine, clock: FixedClock) -> httpx.AsyncClient:
    """A coordinator's logged-in browser (cookie and CSRF header), as htmx sends the form."""
    make_user(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh")
    with TestClient(app) as browser:
        assert login(browser, "dieu.phoi").status_code == 303
        token = hidden(browser.get("/imports").text, "csrf_token")
        cookies = dict(browser.cookies)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        cookies=cookies,
        headers={
            "HX-Request": "true",
            "X-CSRF-Token": token,
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        },
        timeout=30,
    )


@in_own_loop
async def test_the_upload_page_holds_no_connection_and_has_the_same_cap(
    app_factory, clean_db: Engine, clock: FixedClock
) -> None:
    app = app_factory(max_imports_per_user=1)
    body = HeldForm()
    async with browser_for(app, clean_db, clock) as browser:
        assert (await browser.get("/imports")).status_code == 200  # a fresh session: no commit
        sending = asyncio.create_task(browser.post("/imports", content=body.chunks()))
        await asyncio.wait_for(body.started.wait(), 10)
        await asyncio.sleep(0.05)
        assert clean_db.pool.checkedout() == 0

        second = await browser.post("/imports", content=HeldForm().chunks())
        assert second.status_code == 429
        assert "tối đa 1 lượt cùng lúc cho mỗi người dùng" in second.text

        body.finish.set()
        resp = await sending
    assert resp.status_code == 200, resp.text
    assert re.search(r'id="count-created">1<', resp.text)
    assert slots(clean_db) == 0
