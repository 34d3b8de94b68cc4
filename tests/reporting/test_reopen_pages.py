"""Reopen requests in the browser (without one): the unit's box on the workspace, the queue's
list and the decision on the review page; full page, htmx block and the refused cases."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.reporting import reopen_reads, transitions
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user

WS = "/units/ttpvhcc/periods/2025-10"
REVIEW = "/review/ttpvhcc/2025-10"
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}
REASON = "Bổ sung 2 hồ sơ hộ tịch trả kết quả đúng hạn còn thiếu."


def signed_in(application: FastAPI, username: str, first_page: str) -> TestClient:
    client = TestClient(application)
    client.__enter__()
    assert login(client, username).status_code == 303
    client.csrf = hidden(client.get(first_page).text, "csrf_token")  # type: ignore[attr-defined]
    return client


@pytest.fixture
def approved(seeded: Session, clock: FixedClock) -> Session:
    for unit in ("ttpvhcc", "vhxh"):
        transitions.submit(
            db_session=seeded, actor=SYSTEM, clock=clock, unit=unit, period="2025-10"
        )
        transitions.approve(
            db_session=seeded, actor=SYSTEM, clock=clock, unit=unit, period="2025-10"
        )
    return seeded


@pytest.fixture
def reporter(application: FastAPI, approved: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    client = signed_in(application, "bc.ttpv", WS)
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def coordinator(application: FastAPI, approved: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    client = signed_in(application, "dp.vhxh", "/review")
    yield client
    client.__exit__(None, None, None)


def ask(client: TestClient, reason: str, headers: dict | None = None, url: str = WS):
    return client.post(
        f"{url}/reopen-requests",
        data={"csrf_token": client.csrf, "reason": reason},  # type: ignore[attr-defined]
        headers=headers or {},
        follow_redirects=False,
    )


def test_an_approved_workspace_offers_the_request_and_shows_it_pending(
    reporter: TestClient,
) -> None:
    page = reporter.get(WS)
    assert page.status_code == 200
    assert 'id="reopen-box"' in page.text and "Lý do cần mở lại (bắt buộc)" in page.text
    assert f'action="{WS}/reopen-requests"' in page.text

    made = ask(reporter, REASON, HX)
    assert made.status_code == 200
    assert made.text.lstrip().startswith('<section id="reopen-box"')
    assert "Đang chờ bộ phận điều phối quyết định" in made.text and REASON in made.text
    assert "Rút đề nghị" in made.text and "Lý do cần mở lại" not in made.text  # no second form
    # The history, on the workspace too: sent, approved, asked.
    assert "Lịch sử gửi và duyệt (3 bước)" in made.text
    assert "Đơn vị đề nghị mở lại báo cáo" in made.text


def test_a_request_without_a_reason_is_refused_next_to_the_field(reporter: TestClient) -> None:
    blank = ask(reporter, "   ", HX)
    assert blank.status_code == 422
    assert blank.text.lstrip().startswith('<section id="reopen-box"')
    assert 'id="reopen-reason-error"' in blank.text
    assert "Hãy ghi lý do cần mở lại báo cáo đã duyệt." in blank.text
    typed = "Sai số liệu " * 200  # past the cap: refused, and what was typed stays
    long = ask(reporter, typed, HX)
    assert long.status_code == 422 and "Quá dài (tối đa 2000 ký tự)." in long.text
    assert typed.strip() in long.text
    # Without JavaScript: the whole workspace, with the same message.
    plain = ask(reporter, "")
    assert plain.status_code == 422 and "<html" in plain.text.lower()
    assert "Hãy ghi lý do cần mở lại báo cáo đã duyệt." in plain.text


def test_without_javascript_the_request_posts_and_redirects(reporter: TestClient) -> None:
    made = ask(reporter, REASON)
    assert made.status_code == 303 and made.headers["location"] == f"{WS}#reopen-box"
    twice = ask(reporter, "Lần hai.")
    assert twice.status_code == 409 and "đang chờ bộ phận điều phối quyết định" in twice.text


def test_a_form_without_its_csrf_token_is_refused(reporter: TestClient) -> None:
    resp = reporter.post(f"{WS}/reopen-requests", data={"reason": REASON}, follow_redirects=False)
    assert resp.status_code == 403


def test_the_unit_withdraws_its_request(reporter: TestClient) -> None:
    assert ask(reporter, REASON).status_code == 303
    page = reporter.get(WS).text
    url = f"{WS}/reopen-requests/1/withdraw"
    assert f'action="{url}"' in page
    data = {"csrf_token": reporter.csrf, "version": "1"}  # type: ignore[attr-defined]
    done = reporter.post(url, data=data, headers=HX)
    assert done.status_code == 200
    assert "Đang chờ" not in done.text and "Lý do cần mở lại (bắt buộc)" in done.text
    assert "Đơn vị rút đề nghị mở lại" in done.text
    again = reporter.post(url, data=data, headers=HX)  # stale now
    assert again.status_code == 409 and "hãy tải lại trang" in again.text


def test_the_coordinator_sees_the_request_and_refuses_it_with_a_comment(
    reporter: TestClient, coordinator: TestClient
) -> None:
    assert ask(reporter, REASON).status_code == 303
    queue = coordinator.get("/review").text
    assert "Đề nghị mở lại báo cáo đã duyệt (1)" in queue
    assert f'href="{REVIEW}#reopen-decision"' in queue and REASON in queue
    page = coordinator.get(REVIEW).text
    assert 'id="reopen-decision"' in page and REASON in page
    assert "Đồng ý mở lại" in page and "Từ chối" in page

    url = f"{REVIEW}/reopen-requests/1"
    csrf = coordinator.csrf  # type: ignore[attr-defined]
    empty = coordinator.post(
        f"{url}/refuse", data={"csrf_token": csrf, "comment": "", "version": "1"}, headers=HX
    )
    assert empty.status_code == 422
    assert empty.text.lstrip().startswith('<section id="reopen-decision"')
    assert "Hãy ghi lý do từ chối để đơn vị biết vì sao." in empty.text
    comment = "Số liệu đã chốt trong báo cáo quý gửi UBND quận."
    refused = coordinator.post(
        f"{url}/refuse",
        data={"csrf_token": csrf, "comment": comment, "version": "1"},
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert refused.headers["location"] == f"{REVIEW}?de_nghi=refused#review-history"
    after = coordinator.get(refused.headers["location"]).text
    assert "Đã từ chối đề nghị mở lại; đơn vị đã được thông báo kèm ý kiến." in after
    assert 'id="reopen-decision"' not in after  # nothing left to decide
    assert "Từ chối đề nghị mở lại" in after and comment in after  # in the history
    unit_page = reporter.get(WS).text
    assert "bị từ chối" in unit_page and comment in unit_page
    assert "Đã duyệt" in unit_page  # still approved


def test_a_grant_reopens_the_workspace_for_editing(
    reporter: TestClient, coordinator: TestClient
) -> None:
    assert ask(reporter, REASON).status_code == 303
    csrf = coordinator.csrf  # type: ignore[attr-defined]
    granted = coordinator.post(
        f"{REVIEW}/reopen-requests/1/grant",
        data={"csrf_token": csrf, "comment": "", "version": "1"},
        headers=HX,
    )
    assert granted.status_code == 200
    assert granted.headers["HX-Redirect"] == f"{REVIEW}?de_nghi=granted#review-history"
    page = reporter.get(WS).text
    assert "<fieldset disabled>" not in page  # the rows can be edited again
    assert "Đồng ý đề nghị mở lại" in page and "Mở lại báo cáo đã duyệt" in page
    bell = reporter.get("/notifications").text
    assert "Đề nghị mở lại báo cáo Tháng 10/2025 của TTPVHCC được đồng ý" in bell


def test_a_coordinator_does_not_decide_its_own_units_request(
    coordinator: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bc.vhxh", role="reporter", unit="vhxh")
    own_ws = "/units/vhxh/periods/2025-10"
    unit_client = signed_in(application, "bc.vhxh", own_ws)
    try:
        assert ask(unit_client, REASON, url=own_ws).status_code == 303
    finally:
        unit_client.__exit__(None, None, None)
    page = coordinator.get("/review/vhxh/2025-10").text
    assert REASON in page and "Đồng ý mở lại" not in page
    assert "do cán bộ điều phối của đơn vị khác" in page
    refused = coordinator.post(
        "/review/vhxh/2025-10/reopen-requests/1/grant",
        data={"csrf_token": coordinator.csrf, "version": "1"},  # type: ignore[attr-defined]
        headers=HX,
    )
    assert refused.status_code == 403 and "chính đơn vị mình" in refused.text


def test_an_unknown_decision_is_404(
    coordinator: TestClient, approved: Session, clock: FixedClock
) -> None:
    assert (
        reopen_reads.list_for_period(
            db_session=approved, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
        )
        == []
    )
    resp = coordinator.post(
        f"{REVIEW}/reopen-requests/1/approve",
        data={"csrf_token": coordinator.csrf},  # type: ignore[attr-defined]
    )
    assert resp.status_code == 404
