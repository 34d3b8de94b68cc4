"""Partrack issue 17: no answer can be traced to its code, and a double click ends on the thanks.

The joins an insider would try are tried here on the real tables: on PostgreSQL's transaction id
(``xmin``), on equal timestamps, and on the order of the answers against the order the codes were
spent in. The code must leave the URL at once and never reach the access log.
"""

from __future__ import annotations

import logging
import logging.config
import threading

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from uvicorn.logging import AccessFormatter

from app.sipas import codes
from app.sipas.access_log import uvicorn_log_config
from app.sipas.models import Response, SurveyCode
from app.sipas.survey_start_pages import CODE_COOKIE
from tests.sipas.conftest import hidden_fields
from tests.sipas.test_codes import DOSSIER, _issue


def _dossier(n: int) -> dict[str, str]:
    return DOSSIER | {"dossier_code": f"H29.99-251120-{n:04d}"}


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_the_qr_link_trades_its_code_for_a_cookie_and_a_clean_address(
    admin_api: TestClient, public: TestClient, clean_db: Engine
) -> None:
    code = _issue(admin_api, DOSSIER).json()["items"][0]["code"]
    first = public.get("/khao-sat", params={"ma": code}, follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/khao-sat"  # no ?ma= left to log, share or bookmark
    cookie = first.headers["set-cookie"]
    assert (
        cookie.startswith(f"{CODE_COOKIE}=") and "HttpOnly" in cookie and "Path=/khao-sat" in cookie
    )
    assert codes.normalise(code) not in cookie and code not in cookie
    page = public.get("/khao-sat")
    assert page.status_code == 200 and "Đăng ký khai sinh" in page.text  # the code's details
    data = hidden_fields(page.text) | {"go": "send", "r-tc1": "5"}
    sent = public.post("/khao-sat", data=data, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/khao-sat/cam-on"
    assert f'{CODE_COOKIE}=""' in sent.headers["set-cookie"]  # forgotten once used
    public.cookies.clear()
    with Session(clean_db) as session:
        assert session.exec(select(Response.source)).one() == "code"
        assert session.exec(select(SurveyCode.spent)).one() is True
    # A reload after sending is the open survey again, not an error about a spent code.
    assert public.get("/khao-sat").status_code == 200


def test_a_forged_code_cookie_is_ignored(public: TestClient, clean_db: Engine) -> None:
    public.cookies.set(CODE_COOKIE, "K7QM3XTP9A.forged.signature", path="/khao-sat")
    page = public.get("/khao-sat")
    assert page.status_code == 200 and "Bước 1/7" in page.text
    assert 'role="alert"' not in page.text and 'name="token"' in page.text  # the open survey


def test_the_access_log_keeps_neither_the_code_nor_the_address() -> None:
    """The configuration ``partrack serve`` gives uvicorn, fed records as uvicorn writes them."""
    logging.config.dictConfig(uvicorn_log_config())
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    access = logging.getLogger("uvicorn.access")
    keep = Keep()
    access.addHandler(keep)
    try:
        line = '%s - "%s %s HTTP/%s" %d'
        access.info(line, "203.113.7.9:51234", "GET", "/khao-sat?ma=K7QM3XTP9A", "1.1", 303)
        access.info(line, "203.113.7.9:51234", "GET", "/khao-sat/kiosk?ma=K7QM3XTP9A", "1.1", 303)
        access.info(line, "10.0.0.5:40000", "GET", "/api/v1/sipas?period=2025-11", "1.1", 200)
    finally:
        access.removeHandler(keep)
    written = [AccessFormatter(fmt="%(client_addr)s %(request_line)s").format(r) for r in seen]
    assert written[0] == "- GET /khao-sat HTTP/1.1"
    assert written[1] == "- GET /khao-sat/kiosk HTTP/1.1"
    assert "K7QM3XTP9A" not in " ".join(written) and "203.113.7.9" not in " ".join(written)
    assert written[2] == "10.0.0.5:40000 GET /api/v1/sipas?period=2025-11 HTTP/1.1"  # untouched


def _answer_with(client: TestClient, code: str, comment: str) -> None:
    page = client.get("/khao-sat", params={"ma": code})
    data = hidden_fields(page.text) | {"go": "send", "r-tc1": "4", "comment": comment}
    sent = client.post("/khao-sat", data=data, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    client.cookies.clear()


def test_no_join_ties_an_answer_to_its_code(
    admin_api: TestClient, public: TestClient, clean_db: Engine
) -> None:
    if clean_db.dialect.name != "postgresql":
        pytest.skip("xmin (the writing transaction's id) exists only on PostgreSQL")
    issued = _issue(admin_api, *(_dossier(n) for n in range(8))).json()["items"]
    order = [f"phiếu {n}" for n in range(8)]
    for item, comment in zip(issued, order, strict=True):
        _answer_with(public, item["code"], comment)
    with clean_db.connect() as conn:
        # The join the issue found: an answer and its spent code written by one transaction.
        # (The spent form token is written with the code, on purpose: it names no answer.)
        for table in ("sipas_response", "sipas_rating", "sipas_throttle"):
            shared = conn.execute(
                text(f"SELECT count(*) FROM {table} a JOIN sipas_code c ON a.xmin = c.xmin")
            ).scalar_one()
            assert shared == 0, table
        for table in ("sipas_rating", "sipas_throttle", "sipas_spent_form"):
            shared = conn.execute(
                text(f"SELECT count(*) FROM {table} t JOIN sipas_response a ON a.xmin = t.xmin")
            ).scalar_one()
            if table == "sipas_rating":
                assert shared > 0  # an answer and its own ratings: that is the same answer
            else:
                assert shared == 0, table
        # No moment on an answer to match against anything: dates at most, and only the month.
        kinds = {
            (t, c["name"]): str(c["type"]).lower()
            for t in ("sipas_response", "sipas_rating")
            for c in inspect(clean_db).get_columns(t)
        }
        assert not [k for k, kind in kinds.items() if "time" in kind], kinds
        starts = conn.execute(text("SELECT DISTINCT period_start FROM sipas_response")).all()
        assert [s[0].day for s in starts] == [1]
        minutes = conn.execute(
            text("SELECT DISTINCT extract(minute FROM expires_at) FROM sipas_spent_form")
        ).all()
        assert [float(m[0]) for m in minutes] == [0.0]  # whole hours only
        # The answers' own order (their id) says nothing about the order codes were spent in.
        by_id = [r[0] for r in conn.execute(text("SELECT comment FROM sipas_response ORDER BY id"))]
    assert sorted(by_id) == sorted(order) and by_id != order and by_id != order[::-1]


def _post_together(app: FastAPI, data: dict[str, str], times: int) -> list[tuple[int, str]]:
    """The same form sent ``times`` times at once from separate connections (a frantic click)."""
    start = threading.Barrier(times)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def send() -> None:
        with TestClient(app) as client:
            start.wait()
            got = client.post("/khao-sat", data=data, follow_redirects=False)
        with lock:
            results.append((got.status_code, got.headers.get("location", "")))

    threads = [threading.Thread(target=send) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_fifteen_sends_of_one_form_store_one_answer_and_all_thank(
    public: TestClient, small_app: FastAPI, clean_db: Engine
) -> None:
    page = public.get("/khao-sat")
    data = hidden_fields(page.text) | {"go": "send", "r-tc1": "5", "comment": "Một lần thôi."}
    results = _post_together(small_app, data, 15)
    assert len(results) == 15
    assert results == [(303, "/khao-sat/cam-on")] * 15, results
    assert _count(clean_db, Response) == 1


def test_fifteen_sends_of_a_coded_form_spend_the_code_once(
    admin_api: TestClient, public: TestClient, small_app: FastAPI, clean_db: Engine
) -> None:
    code = _issue(admin_api, DOSSIER).json()["items"][0]["code"]
    page = public.get("/khao-sat", params={"ma": code})
    data = hidden_fields(page.text) | {"go": "send", "r-tc1": "2"}
    results = _post_together(small_app, data, 15)
    assert results == [(303, "/khao-sat/cam-on")] * 15, results
    with Session(clean_db) as session:
        assert session.exec(select(Response.source)).all() == ["code"]
        assert session.exec(select(SurveyCode.spent)).one() is True


def test_our_error_log_writes_survey_urls_without_their_code(
    public: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """``app.errors`` logs a failed request's URL; for the survey it must not carry a code."""
    with caplog.at_level(logging.WARNING, logger="app.errors"):
        logging.getLogger("app.errors").error(
            "unhandled error on %s %s", "GET", "http://testserver/khao-sat?ma=K7QM3XTP9A"
        )
        logging.getLogger("app.errors").error(
            "unhandled error on %s %s", "GET", "http://testserver/api/v1/sipas?period=2025-11"
        )
    assert caplog.messages == [
        "unhandled error on GET http://testserver/khao-sat",
        "unhandled error on GET http://testserver/api/v1/sipas?period=2025-11",
    ]
