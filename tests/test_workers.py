"""``partrack serve --workers 2``: any worker answers any request correctly (issue 17).

A real server in two processes on this run's database (SQLite file or PostgreSQL). Every request
opens its own connection, so the kernel spreads them over both workers; the helper reads which
worker answered from /proc. Each test insists that both workers answered its requests, so
none of them passes by landing on one process only.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.scoring.config import load_default_config
from tests.conftest import make_token, make_user
from tests.workers_helpers import Served, Server, serve, wait_ready

PASSWORD = "mat-khau-thu-nghiem"
#: Enough answers to see both workers (the kernel may hand dozens in a row to one), few enough
#: to stay quick.
MAX_TRIES = 300


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[Server]:
    with serve(database_url, workers=2, login_max_failures_per_address="30") as running:
        yield running


def until_both(
    server: Server, request: Callable[[], Served], check: Callable[[Served], None]
) -> Counter[int | None]:
    """Repeat ``request`` until both workers answered it (every answer passing ``check``)."""
    seen: Counter[int | None] = Counter()
    for _ in range(MAX_TRIES):
        answer = request()
        check(answer)
        seen[answer.worker] += 1
        if len({w for w in seen if w is not None}) >= 2 and len(seen) >= 2:
            return seen
    raise AssertionError(f"one worker answered everything: {seen}, workers {server.workers()}")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name}"
    return found.group(1)


def test_a_session_opened_on_one_worker_is_known_to_both(
    server: Server, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh")
    with server.client() as browser:
        page = server.send(browser, "GET", "/login")
        logged = browser.post(
            "/login",
            data={
                "username": "dieu.phoi",
                "password": PASSWORD,
                "next": "/",
                "csrf_token": hidden(page.body.decode(), "csrf_token"),
            },
        )
        assert logged.status_code == 303, logged.text
        token = browser.get("/session/csrf").json()["csrf_token"]

        def check(answer: Served) -> None:
            assert answer.status == 200, answer.body[:300]

        pages = until_both(server, lambda: server.send(browser, "GET", "/notifications"), check)
        assert sum(pages.values()) >= 2

        def write(answer: Served) -> None:  # a CSRF-checked write, then its redirect
            assert answer.status == 303 and answer.headers["location"] == "/notifications"

        until_both(
            server,
            lambda: server.send(
                browser, "POST", "/notifications/read-all", headers={"X-CSRF-Token": token}
            ),
            write,
        )
        refused = server.send(
            browser, "POST", "/notifications/read-all", headers={"X-CSRF-Token": "gia-mao"}
        )
        assert refused.status == 403
        assert server.send(browser, "POST", "/logout", headers={"X-CSRF-Token": token}).status in (
            200,
            303,
        )

        def gone(answer: Served) -> None:  # logged out on one worker: out on both
            assert answer.status in (302, 303, 401), answer.status
            assert "/login" in answer.headers.get("location", "/login")

        until_both(server, lambda: server.send(browser, "GET", "/notifications"), gone)


def test_a_scoring_change_made_through_one_worker_is_seen_by_both(
    server: Server, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    auth = {"Authorization": f"Bearer {token}"}
    new = load_default_config().model_dump(mode="json")
    new.update(version="2025.9-workers", late_credit=0.25)
    with server.client(headers=auth) as api:
        before = server.send(api, "GET", "/api/v1/scores/config").json()
        assert before["config"]["version"] == "2026.0"  # type: ignore[index]
        changed = server.send(
            api, "PUT", "/api/v1/scores/config", json={"config": new, "base_version": "2026.0"}
        )
        assert changed.status == 200, changed.body

        def sees_it(answer: Served) -> None:
            body = answer.json()
            assert body["config"]["version"] == "2025.9-workers"  # type: ignore[index]
            assert body["config"]["late_credit"] == 0.25  # type: ignore[index]

        until_both(server, lambda: server.send(api, "GET", "/api/v1/scores/config"), sees_it)

        def scored_with_it(answer: Served) -> None:
            assert answer.json()["config_version"] == "2025.9-workers"  # type: ignore[index]

        until_both(
            server,
            lambda: server.send(api, "GET", "/api/v1/scores", params={"period": "2025-10"}),
            scored_with_it,
        )


def _at_once(server: Server, count: int, body: Callable[[int], dict[str, str]]) -> list[Served]:
    barrier = threading.Barrier(count)

    def one(i: int) -> Served:
        with server.client() as client:
            barrier.wait()
            return server.send(client, "POST", "/api/v1/auth/token", json=body(i))

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def test_login_throttles_are_exact_across_workers(
    server: Server, clean_db: Engine, clock: FixedClock
) -> None:
    workers: set[int | None] = set()
    for round_ in range(5):  # a round where both workers took part proves it (5 × 5 < the 30)
        name = f"bi.doan{round_}"
        make_user(clean_db, clock, username=name, role="viewer")
        answers = _at_once(server, 20, lambda _i, name=name: {"username": name, "password": "sai"})
        assert Counter(a.status for a in answers) == Counter({401: 5, 429: 15})
        assert all(int(a.headers["Retry-After"]) > 0 for a in answers if a.status == 429)
        workers = {a.worker for a in answers if a.status == 401}
        if len(workers - {None}) == 2:
            break
    assert len(workers - {None}) == 2, "the five wrong passwords were all checked by one worker"
    # the server's address limit is 30: 15 wrong passwords above, then exactly 15 more
    flood = _at_once(server, 40, lambda i: {"username": f"ten-doan-{i}", "password": "sai"})
    used = 5 * (round_ + 1)
    assert Counter(a.status for a in flood) == Counter({401: 30 - used, 429: 10 + used})
    # a correct login from that address now waits too, whichever worker answers
    make_user(clean_db, clock, username="dung.mat.khau", role="viewer")
    with server.client() as client:
        late = server.send(
            client,
            "POST",
            "/api/v1/auth/token",
            json={"username": "dung.mat.khau", "password": PASSWORD},
        )
    assert late.status == 429 and "địa chỉ mạng này" in late.body.decode()


def test_an_import_report_made_on_one_worker_downloads_from_both(
    server: Server, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    rows = "".join(f"tthc_ontime,khong-co-{i},2025-10,ho-tich,98.5,,,\n" for i in range(3))
    csv = "indicator,unit,period,domain,value,numerator,denominator,note\n" + rows
    with server.client(headers={"Authorization": f"Bearer {token}"}) as api:
        sent = server.send(
            api,
            "POST",
            "/api/v1/readings/bulk",
            content=csv.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert sent.status == 422, sent.body
        link = sent.json()["errors_report"]  # type: ignore[index]

        def complete(answer: Served) -> None:
            assert answer.status == 200
            lines = answer.body.decode("utf-8-sig").splitlines()
            assert len(lines) == 4 and "khong-co-2" in lines[3]

        until_both(server, lambda: server.send(api, "GET", str(link)), complete)


def test_a_killed_worker_is_replaced_while_the_other_serves(server: Server) -> None:
    """Last in the module: the server it leaves has two healthy workers again."""
    first = server.workers()
    assert len(first) == 2
    answers: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with server.client() as client:
            while not stop.is_set():
                try:
                    answers.append(client.get("/healthz").status_code)
                except httpx.HTTPError:
                    answers.append(0)

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        time.sleep(0.3)
        os.kill(first[0], signal.SIGKILL)
        killed_at = len(answers)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = server.workers()
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.1)
        replaced = server.workers()
        time.sleep(0.3)
    finally:
        stop.set()
        asker.join()
    assert len(replaced) == 2 and first[0] not in replaced and first[1] in replaced
    after = answers[killed_at:]
    # while the supervisor replaced it, the other worker answered; at most the one request the
    # killed worker held was lost
    assert after.count(200) >= 10 and after.count(0) <= 1, Counter(after)
    wait_ready(server, 2)  # and the new worker answers too
    assert set(server.workers()) == set(replaced)
