"""Login, logout, sessions, CSRF and security headers on the HTML side."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from tests.conftest import make_user

PASSWORD = "mat-khau-thu-nghiem"


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden {name} in page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/"):
    page = client.get("/login", params={"next": next_url})
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": hidden(page.text, "next"),
            "csrf_token": hidden(page.text, "csrf_token"),
        },
        follow_redirects=False,
    )


@pytest.fixture
def browser(application: FastAPI, seeded: Session) -> TestClient:
    with TestClient(application) as client:
        yield client


def session_csrf(client: TestClient) -> str:
    return hidden(client.get("/").text, "csrf_token")


def test_login_page_is_vietnamese_and_carries_security_headers(browser: TestClient) -> None:
    resp = browser.get("/login")
    assert resp.status_code == 200
    assert "Tên đăng nhập" in resp.text and "Mật khẩu" in resp.text
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_security_headers_on_api_errors_too(browser: TestClient) -> None:
    resp = browser.get("/api/v1/units")
    assert resp.status_code == 401
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_pages_send_an_anonymous_visitor_to_login_and_back(browser: TestClient) -> None:
    resp = browser.get("/?x=1", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/%3Fx%3D1"


def test_successful_login_sets_a_safe_cookie_and_is_audited(
    browser: TestClient, clean_db: Engine, clock: FixedClock, db_session: Session
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    resp = login(browser, "can.bo", next_url="/?tab=1")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/?tab=1"
    cookie = next(
        c for c in resp.headers.get_list("set-cookie") if c.startswith("partrack_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" not in cookie  # plain http here; https gets Secure (next test)
    assert browser.get("/").status_code == 200
    actions = db_session.exec(select(AuditEvent.action)).all()
    assert actions == ["login"]


def test_cookie_is_secure_over_https(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    with TestClient(application, base_url="https://partrack.test") as client:
        resp = login(client, "can.bo")
    cookie = next(c for c in resp.headers.get_list("set-cookie") if "partrack_session=" in c)
    assert "Secure" in cookie


def test_wrong_password_keeps_the_username_and_is_audited(
    browser: TestClient, clean_db: Engine, clock: FixedClock, db_session: Session
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    resp = login(browser, "can.bo", password="sai-mat-khau-1")
    assert resp.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in resp.text
    assert 'value="can.bo"' in resp.text
    assert db_session.exec(select(AuditEvent.action)).all() == ["login_failed"]


def test_empty_login_form_is_422_and_the_fragment_is_the_form(browser: TestClient) -> None:
    page = browser.get("/login")
    data = {"username": "", "password": "", "csrf_token": hidden(page.text, "csrf_token")}
    full = browser.post("/login", data=data)
    assert full.status_code == 422 and "<html" in full.text
    part = browser.post("/login", data=data, headers={"HX-Request": "true"})
    assert part.status_code == 422
    assert part.text.lstrip().startswith("<form") and "Hãy nhập tên đăng nhập" in part.text


def test_login_without_its_csrf_token_is_refused(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    browser.get("/login")
    resp = browser.post(
        "/login", data={"username": "can.bo", "password": PASSWORD, "csrf_token": "gia-mao"}
    )
    assert resp.status_code == 403
    assert "partrack_session" not in browser.cookies


def test_repeated_failures_lock_the_login_with_429(
    app_factory, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    with TestClient(app_factory(login_max_failures=2)) as client:
        assert login(client, "can.bo", password="sai-1-sai-1").status_code == 401
        assert login(client, "can.bo", password="sai-2-sai-2").status_code == 401
        locked = login(client, "can.bo")
        assert locked.status_code == 429
        assert "thử lại sau" in locked.text


def test_logout_needs_the_csrf_token(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    login(browser, "can.bo")
    csrf = session_csrf(browser)
    refused = browser.post("/logout", follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert browser.get("/plan", follow_redirects=False).status_code == 200
    done = browser.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert browser.get("/plan", follow_redirects=False).status_code == 303


def test_htmx_writes_carry_the_token_in_a_header(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    login(browser, "can.bo")
    csrf = session_csrf(browser)
    assert f'hx-headers:inherited=\'{{"X-CSRF-Token": "{csrf}"}}\'' in browser.get("/").text
    resp = browser.post("/logout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert resp.status_code == 303


def test_a_session_cookie_does_not_let_a_cross_site_api_write_through(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="quan.tri", role="admin")
    login(browser, "quan.tri")
    body = {"code": "to-moi", "name": "Tổ mới", "short_name": "Tổ mới", "kind": "office"}
    refused = browser.post("/api/v1/units", json=body)
    assert refused.status_code == 403
    assert refused.json()["detail"]["code"] == "csrf_failed"
    ok = browser.post("/api/v1/units", json=body, headers={"X-CSRF-Token": session_csrf(browser)})
    assert ok.status_code == 201, ok.text


def test_idle_sessions_expire(browser: TestClient, clean_db: Engine, clock: FixedClock) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    login(browser, "can.bo")
    clock.advance(timedelta(minutes=59))
    assert browser.get("/plan", follow_redirects=False).status_code == 200
    clock.advance(timedelta(minutes=61))
    resp = browser.get("/plan", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/login?next=/plan&expired=1"
    assert "hết hạn" in browser.get(resp.headers["location"]).text


def test_sessions_have_an_absolute_lifetime(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    login(browser, "can.bo")
    for _ in range(14):  # active every 55 minutes: never idle, but 12 hours pass
        clock.advance(timedelta(minutes=55))
        last = browser.get("/plan", follow_redirects=False).status_code
    assert last == 303


def test_an_expired_session_on_an_htmx_request_leaves_the_form_alone(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    login(browser, "can.bo")
    csrf = session_csrf(browser)
    clock.advance(timedelta(hours=2))
    resp = browser.post(
        "/logout",
        headers={"HX-Request": "true", "X-CSRF-Token": csrf, "HX-Current-URL": "http://t/?p=1"},
        follow_redirects=False,
    )
    assert resp.status_code == 401
    assert resp.headers["HX-Retarget"] == "#session-alert"
    assert "Nội dung bạn vừa nhập vẫn còn" in resp.text
    assert "/login?next=/%3Fp%3D1" in resp.text


def test_a_temporary_password_must_be_changed_first(
    browser: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="moi.vao", role="viewer", must_change_password=True)
    resp = login(browser, "moi.vao")
    assert resp.headers["location"] == "/account/password"
    assert browser.get("/plan", follow_redirects=False).headers["location"] == "/account/password"
    form = browser.get("/account/password")
    csrf = hidden(form.text, "csrf_token")
    mismatch = browser.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "mat-khau-moi-2025",
            "confirm_password": "khac-han-2025",
        },
    )
    assert mismatch.status_code == 422
    assert "không khớp" in mismatch.text
    short = browser.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "ngan",
            "confirm_password": "ngan",
        },
    )
    assert short.status_code == 422 and "ít nhất 10 ký tự" in short.text
    done = browser.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "mat-khau-moi-2025",
            "confirm_password": "mat-khau-moi-2025",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert browser.get("/plan", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "\\\\evil"])
def test_next_never_leaves_the_site(
    browser: TestClient, clean_db: Engine, clock: FixedClock, target: str
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    resp = login(browser, "can.bo", next_url=target)
    assert resp.headers["location"] == "/"


def test_docs_are_served_from_our_own_files(browser: TestClient) -> None:
    resp = browser.get("/docs")
    assert resp.status_code == 200
    assert "cdn" not in resp.text.lower()
    assert browser.get("/static/vendor/swagger-ui-5.36.0/swagger-ui-bundle.js").status_code == 200
    assert browser.get("/static/docs-init.js").status_code == 200
    spec = browser.get("/openapi.json").json()
    assert "HTTPBearer" in spec["components"]["securitySchemes"]


def test_the_csrf_token_is_new_with_each_session_and_dies_at_logout(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="coordinator", unit="vhxh")
    with TestClient(application) as first, TestClient(application) as second:
        assert login(first, "can.bo").status_code == 303
        assert login(second, "can.bo").status_code == 303
        one = first.get("/session/csrf").json()["csrf_token"]
        two = second.get("/session/csrf").json()["csrf_token"]
        assert one != two and len(one) >= 32
        assert session_csrf(first) == one  # the page and the endpoint agree
        crossed = first.post("/logout", headers={"X-CSRF-Token": two}, follow_redirects=False)
        assert crossed.status_code == 403
        assert crossed.headers["X-Partrack-Refusal"] == "csrf_failed"
        assert first.post("/logout", headers={"X-CSRF-Token": one}).status_code == 200
        gone = first.get("/session/csrf")
        assert gone.status_code == 401 and gone.json()["detail"]["code"] == "session_expired"
        # Logged in again: a new token; the old one no longer writes.
        assert login(first, "can.bo").status_code == 303
        again = first.get("/session/csrf").json()["csrf_token"]
        assert again not in {one, two}
        body = {"code": "to-moi", "name": "Tổ mới", "short_name": "Tổ mới", "kind": "office"}
        stale = first.post("/api/v1/units", json=body, headers={"X-CSRF-Token": one})
        assert stale.status_code == 403
        assert stale.json()["detail"]["code"] == "csrf_failed"


def test_a_web_429_says_when_to_retry(
    app_factory, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="can.bo", role="viewer")
    with TestClient(app_factory(login_max_failures=1, login_lockout_minutes=7)) as client:
        assert login(client, "can.bo", password="sai-1-sai-1").status_code == 401
        locked = login(client, "can.bo")
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == str(7 * 60)
        assert "thử lại sau 7 phút" in locked.text
