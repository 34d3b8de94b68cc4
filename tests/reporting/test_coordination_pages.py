"""Coordination in the browser without a browser: the coordinating unit answers from its
workspace (htmx fragment, plain form, 422 and 409 with the comment kept), the lead's rows and the
review page show who confirmed, who disagreed and who has not answered."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.reporting.coordination_models import CoordinationReply
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user
from tests.reporting.coordination_setup import KTHTDT, PERIOD, add_coordinators, lead_update, reply

WS = f"/units/vhxh/periods/{PERIOD}"
ANSWER = f"{WS}/coordinating/II.2.3.4"
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


def _client(
    application: FastAPI,
    clean_db: Engine,
    clock: FixedClock,
    username: str,
    role: str,
    unit: str,
    page: str,
) -> Iterator[TestClient]:
    make_user(clean_db, clock, username=username, role=role, unit=unit)
    with TestClient(application) as client:
        assert login(client, username).status_code == 303
        client.csrf = hidden(client.get(page).text, "csrf_token")  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def coordinating(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    """A reporter of Phòng Văn hóa - Xã hội, the unit coordinating II.2.3.4; the lead updated it."""
    lead_update(seeded, clock)
    yield from _client(application, clean_db, clock, "bc.vhxh", "reporter", "vhxh", WS)


def post(client: TestClient, headers: dict | None = None, url: str = ANSWER, **fields: str):
    data = {"csrf_token": client.csrf, "version": "0", **fields}  # type: ignore[attr-defined]
    return client.post(url, data=data, headers=headers or {}, follow_redirects=False)


def test_the_coordinating_unit_sees_the_leads_update_and_can_answer(
    coordinating: TestClient,
) -> None:
    page = coordinating.get(WS).text
    assert "Việc phối hợp (1)" in page
    section = page[page.index('id="coord-II-2-3-4"') :]
    assert "Chủ trì: Trung tâm Phục vụ hành chính công" in section
    assert "Đang thực hiện · 60%" in section and "Đã kiểm tra 12 hồ sơ trễ hạn" in section
    assert "… chưa trả lời" in section
    assert 'value="confirmed"' in section and "Góp ý / Không đồng ý" in section
    # The task's own row (the unit coordinates it) points to where it answers.
    assert 'href="#coord-II-2-3-4"' in page


def test_confirming_swaps_the_tasks_block(coordinating: TestClient, db_session: Session) -> None:
    resp = post(coordinating, HX, answer="confirmed")
    assert resp.status_code == 200, resp.text
    assert resp.text.lstrip().startswith('<article id="coord-II-2-3-4"')
    assert "✓ đã xác nhận" in resp.text and "Người dùng bc.vhxh" in resp.text
    assert 'name="version" value="1"' in resp.text
    row = db_session.exec(select(CoordinationReply)).one()
    assert (row.answer, row.answered_by, row.version) == ("confirmed", "bc.vhxh", 1)


def test_disagreeing_without_a_comment_is_422_next_to_the_field(
    coordinating: TestClient, db_session: Session
) -> None:
    resp = post(coordinating, HX, answer="disagreed", comment="  ")
    assert resp.status_code == 422
    assert resp.text.lstrip().startswith('<article id="coord-II-2-3-4"')
    assert re.search(r'aria-invalid="true"[^>]*>\s*</textarea>', resp.text)
    assert 'class="field-error" id="coord-II-2-3-4-comment-error">Khi không đồng ý' in resp.text
    assert db_session.exec(select(CoordinationReply)).first() is None


def test_a_stale_answer_is_409_with_the_comment_kept(
    coordinating: TestClient, seeded: Session, clock: FixedClock, db_session: Session
) -> None:
    from tests.reporting.coordination_setup import VHXH

    reply(seeded, clock, VHXH, "confirmed")  # a colleague answered meanwhile
    resp = post(coordinating, HX, answer="disagreed", comment="Chưa nhận được danh sách hồ sơ.")
    assert resp.status_code == 409
    assert "vừa được người khác cập nhật" in resp.text
    assert "Chưa nhận được danh sách hồ sơ.</textarea>" in resp.text
    assert 'name="version" value="0"' in resp.text  # kept stale: a second click cannot overwrite
    assert db_session.exec(select(CoordinationReply)).one().answer == "confirmed"


def test_without_javascript_the_form_posts_and_redirects(
    coordinating: TestClient, db_session: Session
) -> None:
    bad = post(coordinating, answer="disagreed")
    assert bad.status_code == 422
    assert "<html" in bad.text and "Khi không đồng ý, hãy ghi rõ góp ý" in bad.text
    ok = post(coordinating, answer="disagreed", comment="Số hồ sơ là 15, không phải 12.")
    assert ok.status_code == 303 and ok.headers["location"] == f"{WS}#coord-II-2-3-4"
    page = coordinating.get(WS).text
    assert "✗ không đồng ý" in page and "“Số hồ sơ là 15, không phải 12.”" in page


def test_an_answer_without_the_csrf_token_is_refused(
    coordinating: TestClient, db_session: Session
) -> None:
    resp = coordinating.post(
        ANSWER, data={"answer": "confirmed", "version": "0"}, follow_redirects=False
    )
    assert resp.status_code == 403
    assert db_session.exec(select(CoordinationReply)).first() is None


def test_the_lead_cannot_answer_from_the_page(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock, db_session: Session
) -> None:
    lead_update(seeded, clock)
    for client in _client(
        application,
        clean_db,
        clock,
        "bc.ttpv",
        "reporter",
        "ttpvhcc",
        "/units/ttpvhcc/periods/2025-10",
    ):
        resp = post(client, HX, answer="confirmed")
        assert resp.status_code == 403
        own = post(client, HX, url=ANSWER.replace("vhxh", "ttpvhcc"), answer="confirmed")
        assert own.status_code == 403
        assert "đơn vị chủ trì không trả lời thay" in own.text
    assert db_session.exec(select(CoordinationReply)).first() is None


def _three_states(seeded: Session, clock: FixedClock) -> None:
    from tests.reporting.coordination_setup import VHXH

    add_coordinators(seeded)
    lead_update(seeded, clock)
    reply(seeded, clock, VHXH, "confirmed")
    reply(seeded, clock, KTHTDT, "disagreed", comment="Phòng chưa nhận được kế hoạch kiểm tra.")


def test_the_leads_row_lists_its_coordinating_units_answers(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    _three_states(seeded, clock)
    page = "/units/ttpvhcc/periods/2025-10"
    for client in _client(application, clean_db, clock, "bc.ttpv", "reporter", "ttpvhcc", page):
        html = client.get(page).text
        row = html[html.index('id="task-II-2-3-4"') :]
        row = row[: row.index("</form>")]
        assert "Đơn vị phối hợp:" in row
        assert re.search(r"Phòng Văn hóa - Xã hội</span>: <span[^>]*>✓ đã xác nhận", row)
        assert re.search(r"Phòng Kinh tế, Hạ tầng và Đô thị</span>: <span[^>]*>✗ không đồng ý", row)
        assert "“Phòng chưa nhận được kế hoạch kiểm tra.”" in row
        assert re.search(
            r"Ủy ban Mặt trận Tổ quốc Việt Nam phường</span>: <span[^>]*>… chưa trả lời", row
        )


def test_the_review_shows_the_three_states_and_a_count(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    _three_states(seeded, clock)
    for client in _client(
        application, clean_db, clock, "dp.vhxh", "coordinator", "vhxh", "/review"
    ):
        html = client.get("/review/ttpvhcc/2025-10").text
        summary = html[html.index('id="coord-summary"') :]
        summary = summary[: summary.index("</p>")]
        assert "1 đã xác nhận" in summary
        assert "1 không đồng ý" in summary
        assert "1 chưa trả lời" in summary
        cell = html[html.index('id="coord-answers-II-2-3-4"') :]
        assert "✓ đã xác nhận" in cell and "✗ không đồng ý" in cell and "… chưa trả lời" in cell
        assert "“Phòng chưa nhận được kế hoạch kiểm tra.”" in cell
