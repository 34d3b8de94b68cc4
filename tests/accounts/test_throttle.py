"""Login throttling: exact under concurrency, fair behind a shared address, blind to forgery."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts import auth, passwords
from app.accounts.auth import LoginPolicy
from app.accounts.models import LoginThrottle
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.errors import AppError
from tests.accounts.test_pages import hidden
from tests.conftest import make_user

API = "/api/v1"
RIGHT = "mat-khau-dung-1"


def _attempt(engine: Engine, clock: FixedClock, policy: LoginPolicy, ip: str, password: str) -> str:
    with Session(engine, expire_on_commit=False) as session:
        try:
            asyncio.run(
                auth.verify_login(
                    db_session=session,
                    clock=clock,
                    policy=policy,
                    username="bi.doan",
                    password=password,
                    ip=ip,
                    via="api",
                )
            )
        except AppError as exc:
            return str(exc.status_code)
        session.commit()
        return "200"


def _at_once(count: int, work: Any) -> Counter[str]:
    """Run ``work(i)`` on ``count`` threads released together; the answers counted."""
    barrier = threading.Barrier(count)
    answers: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        answer = work(i)
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(answers)


def test_forty_simultaneous_wrong_passwords_let_exactly_five_through(
    clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bi.doan", role="viewer", password=RIGHT)
    policy = LoginPolicy(max_failures=5, lockout_minutes=15, max_failures_per_address=1000)
    answers = _at_once(
        40, lambda i: _attempt(clean_db, clock, policy, f"10.0.0.{i}", "sai-mat-khau")
    )
    assert answers == Counter({"401": 5, "429": 35})
    with Session(clean_db) as session:
        failures = session.exec(select(AuditEvent).where(AuditEvent.action == "login_failed"))
        assert len(failures.all()) == 5
        row = session.get(LoginThrottle, "user:bi.doan")
        assert row is not None and row.failures == 5
    # Even the right password waits for the window to end, then works.
    assert _attempt(clean_db, clock, policy, "10.0.1.1", RIGHT) == "429"
    clock.advance(timedelta(minutes=16))
    assert _attempt(clean_db, clock, policy, "10.0.1.1", RIGHT) == "200"


def test_forty_simultaneous_guesses_from_one_address_hit_its_limit_exactly(
    clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bi.doan", role="viewer", password=RIGHT)
    policy = LoginPolicy(max_failures=1000, lockout_minutes=15, max_failures_per_address=7)
    answers = _at_once(40, lambda i: _attempt(clean_db, clock, policy, "10.9.9.9", "sai-mat-khau"))
    assert answers == Counter({"401": 7, "429": 33})
    with Session(clean_db) as session:
        # The refused attempts gave back their charge on the user name.
        row = session.get(LoginThrottle, "user:bi.doan")
        assert row is not None and row.failures == 7


def _login(client: TestClient, username: str, password: str) -> Any:
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": hidden(page.text, "csrf_token"),
        },
        follow_redirects=False,
    )


def test_a_colleagues_typos_behind_the_office_address_do_not_lock_out_the_admin(
    app_factory: Any, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="quan.tri", role="admin", password=RIGHT)
    make_user(clean_db, clock, username="dong.nghiep", role="viewer", password=RIGHT)
    app = app_factory(login_max_failures=5, login_max_failures_per_address=50)
    with TestClient(app, client=("203.0.113.7", 5000)) as office:
        for _ in range(5):
            assert _login(office, "dong.nghiep", "go-nham-mat-khau").status_code == 401
        locked = _login(office, "dong.nghiep", RIGHT)
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) == 15 * 60
        assert "Đăng nhập sai quá 5 lần" in locked.text
        assert _login(office, "quan.tri", RIGHT).status_code == 303


def test_a_correct_password_gives_back_its_charge_on_the_address(
    app_factory: Any, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="quan.tri", role="admin", password=RIGHT)
    app = app_factory(login_max_failures=100, login_max_failures_per_address=3)
    with TestClient(app, client=("198.51.100.4", 5000)) as office:
        url = f"{API}/auth/token"
        for name in ("khong-co-1", "khong-co-2"):
            assert office.post(url, json={"username": name, "password": "x"}).status_code == 401
        for _ in range(3):  # successes leave the address's count at 2
            assert office.post(url, json={"username": "quan.tri", "password": RIGHT}).is_success
        assert office.post(url, json={"username": "khong-3", "password": "x"}).status_code == 401
        refused = office.post(url, json={"username": "khong-4", "password": "x"})
        assert refused.status_code == 429
        assert "địa chỉ mạng này" in refused.json()["detail"]["message"]
        assert int(refused.headers["Retry-After"]) == 15 * 60
    with TestClient(app, client=("198.51.100.5", 5000)) as elsewhere:
        ok = elsewhere.post(f"{API}/auth/token", json={"username": "quan.tri", "password": RIGHT})
        assert ok.status_code == 200


@pytest.mark.parametrize("trusted", [[], ["10.0.0.0/8"]])
def test_forwarded_for_is_believed_only_from_a_trusted_proxy(
    app_factory: Any, clean_db: Engine, clock: FixedClock, trusted: list[str]
) -> None:
    app = app_factory(login_max_failures_per_address=2, trusted_proxies=trusted)
    url = f"{API}/auth/token"
    with TestClient(app, client=("127.0.0.1", 5000)) as direct:
        answers = [
            direct.post(
                url,
                json={"username": f"ten-moi-{i}", "password": "x"},
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
            ).status_code
            for i in range(4)
        ]
        assert answers == [401, 401, 429, 429]  # 127.0.0.1 is no proxy of ours: one address
    with TestClient(app, client=("10.1.2.3", 5000)) as proxy:
        answers = [
            proxy.post(
                url,
                json={"username": f"ten-khac-{i}", "password": "x"},
                headers={"X-Forwarded-For": f"1.2.3.4, 192.0.2.{i}"},
            ).status_code
            for i in range(4)
        ]
    if trusted:  # each forwarded client is its own address; the forged first hop is ignored
        assert answers == [401, 401, 401, 401]
        with Session(clean_db) as session:
            keys = set(session.exec(select(LoginThrottle.key)).all())
            assert {f"ip:192.0.2.{i}" for i in range(4)} <= keys
            assert "ip:1.2.3.4" not in keys
    else:
        assert answers == [401, 401, 429, 429]


def test_a_full_hashing_queue_answers_503_quickly_with_retry_after(
    app_factory: Any, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="quan.tri", role="admin", password=RIGHT)
    app = app_factory(password_hash_workers=1, password_hash_queue=0)
    release = threading.Event()
    with TestClient(app) as client:
        url = f"{API}/auth/token"
        assert client.post(url, json={"username": "quan.tri", "password": RIGHT}).is_success
        blocker = passwords._pool.submit(lambda *_: release.wait(30))
        try:
            busy = client.post(url, json={"username": "quan.tri", "password": RIGHT})
            assert busy.status_code == 503
            assert busy.headers["Retry-After"] == "5"
            assert busy.json()["detail"]["code"] == "login_busy"
            page = _login(client, "quan.tri", RIGHT)
            assert page.status_code == 503 and "quá nhiều lượt đăng nhập" in page.text
        finally:
            release.set()
            blocker.result(timeout=30)
        assert client.post(url, json={"username": "quan.tri", "password": RIGHT}).is_success
