"""The public survey: screens without JavaScript, sending, refusals, rate limits, kiosks."""

from __future__ import annotations

import time

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.sipas import collect, kiosks
from app.sipas.models import Rating, Response
from app.sipas.survey_screen_pages import KIOSK_COOKIE
from tests.conftest import TEST_SECRET, make_user
from tests.sipas.conftest import hidden, hidden_fields


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _send(client: TestClient, page_html: str, go: str = "send", **answers: str):
    """Post a screen; a move to another screen is a 303 to its GET page (followed here)."""
    data = hidden_fields(page_html) | answers | {"go": go}
    resp = client.post("/khao-sat", data=data, follow_redirects=False)
    if resp.status_code == 303 and resp.headers["location"].startswith("/khao-sat/phieu"):
        return client.get(resp.headers["location"], follow_redirects=False)
    return resp


def test_each_screen_is_post_redirect_get(public: TestClient, clean_db: Engine) -> None:
    """The phone's Back gesture walks GET pages: no "Confirm Form Resubmission", answers kept."""
    page = public.get("/khao-sat")
    data = hidden_fields(page.text) | {"go": "next", "domain": "ho-tich", "channel": "counter"}
    moved = public.post("/khao-sat", data=data, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/khao-sat/phieu?buoc=2"
    cookie = moved.headers["set-cookie"]
    assert "partrack_sipas_draft=" in cookie and "HttpOnly" in cookie and "Path=/khao-sat" in cookie
    second = public.get("/khao-sat/phieu?buoc=2")
    assert "Bước 2/7" in second.text and second.headers["cache-control"] == "no-store"
    data = hidden_fields(second.text) | {"go": "next", "r-tc1": "5"}
    assert public.post("/khao-sat", data=data, follow_redirects=False).status_code == 303
    # Back twice, as the gesture would: each earlier page is drawn with every answer so far.
    back = public.get("/khao-sat/phieu?buoc=2").text
    assert "Bước 2/7" in back and 'name="r-tc1" value="5" checked' in back
    first = public.get("/khao-sat/phieu?buoc=1").text
    assert "Bước 1/7" in first and 'value="ho-tich" selected' in first
    assert 'name="r-tc1" value="5"' in first  # carried on, not lost
    start = public.get("/khao-sat").text  # Back to the very first page: resumed, not restarted
    assert 'value="ho-tich" selected' in start and 'name="r-tc1" value="5"' in start
    assert _count(clean_db, Response) == 0  # nothing stored before "Gửi phiếu"
    sent = _send(public, first, go="send")
    assert sent.status_code == 303 and sent.headers["location"] == "/khao-sat/cam-on"
    assert 'partrack_sipas_draft=""' in sent.headers["set-cookie"]  # the answers leave the browser
    # The Back gesture after sending: a fresh start, never the previous answers.
    again = public.get("/khao-sat/phieu?buoc=2", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/khao-sat"
    assert _count(clean_db, Response) == 1


def test_a_forged_draft_starts_over(public: TestClient) -> None:
    public.cookies.set("partrack_sipas_draft", "gia-mao", path="/khao-sat")
    resp = public.get("/khao-sat/phieu?buoc=3", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/khao-sat"


def test_walk_every_screen_and_send(public: TestClient, clean_db: Engine) -> None:
    page = public.get("/khao-sat")
    assert page.status_code == 200
    assert "Bước 1/7" in page.text and "Dịch vụ bạn đã sử dụng" in page.text
    assert 'name="website"' in page.text  # the honeypot
    html = _send(public, page.text, go="next", domain="ho-tich", channel="counter").text
    assert "Bước 2/7" in html and "Tiếp cận dịch vụ" in html
    html = _send(public, html, go="next", **{"r-tc1": "5", "r-tc2": "4", "r-tc3": "0"}).text
    assert "Bước 3/7" in html and 'name="r-tc1" value="5"' in html  # carried, not lost
    back = _send(public, html, go="back").text
    assert "Bước 2/7" in back and 'value="5" checked' in back  # going back keeps the answer
    for _ in range(4):
        html = _send(public, html, go="next").text
    assert "Bước 7/7" in html and "Mong muốn và góp ý" in html
    sent = _send(public, html, **{"e-mm4": "4", "comment": "Cán bộ nhiệt tình."})
    assert sent.status_code == 303 and sent.headers["location"] == "/khao-sat/cam-on"
    assert "Cảm ơn bạn đã góp ý!" in public.get("/khao-sat/cam-on").text
    with Session(clean_db) as session:
        response = session.exec(select(Response)).one()
        assert (response.month, response.channel, response.source) == ("2025-11", "counter", "open")
        assert response.comment == "Cán bộ nhiệt tình."
        items = {r.item: r.value for r in session.exec(select(Rating)).all()}
    assert items == {"tc1": 5, "tc2": 4, "mm4": 4}
    # The same form sent again (double click, back button) stores nothing more.
    again = _send(public, html, **{"e-mm4": "4"})
    assert again.status_code == 303 and _count(clean_db, Response) == 1


def test_any_subset_can_be_sent_from_the_first_screen(public: TestClient, clean_db: Engine):
    page = public.get("/khao-sat").text
    assert _send(public, page, channel="online").status_code == 303
    assert _count(clean_db, Response) == 1


def test_an_empty_form_is_refused_politely_and_nothing_is_stored(
    public: TestClient, clean_db: Engine
) -> None:
    page = public.get("/khao-sat").text
    refused = _send(public, page)
    assert refused.status_code == 422
    assert "Phiếu chưa có câu trả lời nào" in refused.text
    assert _count(clean_db, Response) == 0


def test_an_invalid_level_is_shown_next_to_its_question(public: TestClient) -> None:
    page = public.get("/khao-sat").text
    refused = _send(public, page, go="next", **{"r-tt2": "9"})
    assert refused.status_code == 422
    assert "Bước 3/7" in refused.text  # the screen holding the faulty question
    assert 'id="r-tt2-error"' in refused.text and "từ 1 đến 5" in refused.text


def test_a_too_long_comment_keeps_the_text(public: TestClient) -> None:
    page = public.get("/khao-sat").text
    refused = _send(public, page, comment="x" * 2001, **{"r-tc1": "4"})
    assert refused.status_code == 422
    assert "dài quá 2000 ký tự" in refused.text and "x" * 2001 in refused.text


def test_honeypot_pretends_success_but_stores_nothing(public: TestClient, clean_db: Engine):
    page = public.get("/khao-sat").text
    sent = _send(public, page, website="http://spam.example", **{"r-tc1": "5"})
    assert sent.status_code == 303
    assert _count(clean_db, Response) == 0


def test_a_forged_form_token_is_refused_in_vietnamese(public: TestClient) -> None:
    refused = public.post("/khao-sat", data={"token": "gia-mao", "go": "send", "r-tc1": "5"})
    assert refused.status_code == 400
    assert "Phiếu khảo sát không hợp lệ hoặc đã bị thay đổi" in refused.text


def test_an_old_form_is_renewed_without_losing_answers(
    public: TestClient, clean_db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = public.get("/khao-sat").text
    html = _send(public, page, go="next", channel="online").text
    token, _ = collect.read_token(TEST_SECRET, hidden(html, "token"))
    with monkeypatch.context() as patch:  # itsdangerous reads the real time: sign in the past
        now = time.time()
        patch.setattr(time, "time", lambda: now - 4 * 3600)
        stale = collect.renew(TEST_SECRET, token)
    data = hidden_fields(html) | {"token": stale, "go": "send", "r-tc1": "4"}
    renewed = public.post("/khao-sat", data=data, follow_redirects=False)
    assert renewed.status_code == 200 and "làm mới phiếu" in renewed.text
    assert hidden(renewed.text, "token") != stale
    assert 'name="channel" value="online"' in renewed.text
    assert _count(clean_db, Response) == 0


def test_rate_limit_per_address(tune, seeded: Session, clean_db: Engine) -> None:
    app = tune(sipas_answers_per_address_hour=2)
    with TestClient(app) as client:
        for _ in range(2):
            assert _send(client, client.get("/khao-sat").text, channel="counter").status_code == 303
        page = client.get("/khao-sat").text
        refused = _send(client, page, comment="Góp ý thứ ba", channel="counter")
    assert refused.status_code == 429
    assert "vui lòng gửi lại sau khoảng" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert "Góp ý thứ ba" in refused.text  # nothing lost: the answer is still on the page
    assert _count(clean_db, Response) == 2


def _kiosk_client(app: FastAPI, engine: Engine, clock: FixedClock) -> TestClient:
    officer = make_user(engine, clock, username="tt.quay1", role="reporter", unit="ttpvhcc")
    with Session(engine) as session:
        from app.accounts.auth import Actor

        actor = Actor(username=officer.username, role="reporter", unit_code="ttpvhcc")
        kiosk = kiosks.enrol_kiosk(
            db_session=session, actor=actor, clock=clock, name="Quầy 1", centre="ttpvhcc"
        )
        code = kiosk.code
    client = TestClient(app)
    client.cookies.set(
        KIOSK_COOKIE, kiosks.kiosk_serializer(TEST_SECRET).dumps(code), path="/khao-sat"
    )
    return client


def test_kiosk_resets_and_never_shows_the_previous_answers(
    public: TestClient, small_app: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    assert public.get("/khao-sat/kiosk").status_code == 403  # not an enrolled device
    with _kiosk_client(small_app, clean_db, clock) as kiosk:
        start = kiosk.get("/khao-sat/kiosk")
        assert start.status_code == 200
        assert 'data-kiosk-idle="90"' in start.text and "sipas.js" in start.text
        assert '<meta http-equiv="refresh" content="180;url=/khao-sat/kiosk">' in start.text
        html = _send(kiosk, start.text, go="next", channel="counter").text
        html = _send(kiosk, html, go="next", **{"r-tc1": "1"}).text
        sent = _send(kiosk, html, comment="Bí mật của người trước")
        assert sent.headers["location"] == "/khao-sat/cam-on?may=1"
        thanks = kiosk.get(sent.headers["location"])
        assert 'content="8;url=/khao-sat/kiosk"' in thanks.text
        # The back button re-posts an earlier screen: it gets the start page, not the answers.
        replay = _send(kiosk, html, go="back")
        assert replay.status_code == 303 and replay.headers["location"] == "/khao-sat/kiosk"
        fresh = kiosk.get("/khao-sat/kiosk").text
        assert "Bí mật" not in fresh and 'name="r-tc1"' not in fresh
    with Session(clean_db) as session:
        assert session.exec(select(Response.source)).one() == "kiosk"


def test_rate_limit_per_kiosk(tune, seeded: Session, clean_db: Engine, clock) -> None:
    app = tune(sipas_answers_per_kiosk_hour=1, sipas_answers_per_address_hour=100)
    with _kiosk_client(app, clean_db, clock) as kiosk:
        assert _send(kiosk, kiosk.get("/khao-sat/kiosk").text, channel="both").status_code == 303
        refused = _send(kiosk, kiosk.get("/khao-sat/kiosk").text, channel="both")
    assert refused.status_code == 429 and "máy khảo sát này" in refused.text


def test_code_only_survey(tune, seeded: Session, clean_db: Engine) -> None:
    with TestClient(tune(sipas_open_survey=False)) as client:
        start = client.get("/khao-sat")
        assert start.status_code == 200 and 'name="ma"' in start.text
        assert 'name="token"' not in start.text  # no form without a code
    with TestClient(tune(sipas_open_survey=True)) as client:
        page = client.get("/khao-sat").text
    with TestClient(tune(sipas_open_survey=False)) as client:
        refused = _send(client, page, **{"r-tc1": "5"})
    assert refused.status_code == 400
    assert "chỉ nhận phiếu có mã khảo sát" in refused.text
    assert _count(clean_db, Response) == 0


def test_a_kiosk_form_is_refused_elsewhere(
    public: TestClient, small_app: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    with _kiosk_client(small_app, clean_db, clock) as kiosk:
        page = kiosk.get("/khao-sat/kiosk").text
    refused = _send(public, page, **{"r-tc1": "5"})  # the same form, from a phone
    assert refused.status_code == 403 and "chỉ gửi được từ máy khảo sát" in refused.text
    assert _count(clean_db, Response) == 0
