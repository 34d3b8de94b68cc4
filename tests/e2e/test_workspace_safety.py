"""Nothing typed is lost: a flaky network, an expired session, a colleague's save, one bad row."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from tests.conftest import make_user
from tests.e2e.conftest import LiveServer, Shots, login

pytestmark = pytest.mark.e2e

WS = "/units/ttpvhcc/periods/2025-10"
PASSWORD = "mat-khau-thu-nghiem"
ROW = "#task-II-1-1-1"


def _audits(engine: Engine, key: str) -> int:
    with Session(engine) as session:
        return len(session.exec(select(AuditEvent).where(AuditEvent.entity_key == key)).all())


def _result(engine: Engine) -> str:
    from app.progress.models import ProgressUpdate

    with Session(engine) as session:
        rows = session.exec(select(ProgressUpdate)).all()
        return rows[0].result if rows else ""


def _type_row(page: Page, text: str) -> None:
    row = page.locator(ROW)
    row.locator("select[name=status]").select_option("in_progress")
    row.locator("input[name=percent_complete]").fill("40")
    row.locator("textarea[name=result]").fill(text)


def test_offline_while_saving_then_back_online_saves_the_row_once(
    server: LiveServer, page: Page, shot: Shots, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")  # the landing page lists what to do
    _type_row(page, "Đang mất mạng khi lưu")
    expect(page.locator(f"{ROW} .row-state")).to_have_text("Chưa lưu")
    page.context.set_offline(True)
    page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(f"{ROW} .row-state")).to_contain_text("đang chờ mạng")
    shot("waiting-for-network")
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 0
    page.context.set_offline(False)
    expect(page.locator(f"{ROW} .saved")).to_be_visible()
    shot("saved-when-back")
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 1
    assert _result(clean_db) == "Đang mất mạng khi lưu"
    # The draft is gone once saved: a reload shows the stored row, not a restored draft.
    page.reload()
    expect(page.locator(f"{ROW} .row-state")).to_have_text("")


def test_a_save_whose_answer_was_lost_is_not_a_conflict_when_sent_again(
    server: LiveServer, page: Page, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    """The server stored the row but the answer never came back (the network dropped it): the
    row waits and is sent again with the version it had. The stored row is exactly this text,
    so it is saved, not shown as a colleague's conflicting version."""
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")  # the landing page lists what to do
    _type_row(page, "Câu trả lời bị mất trên đường về")
    lost: list[int] = []

    def drop_the_answer(route: Route) -> None:
        if lost:
            route.continue_()
            return
        route.fetch()  # the server stores the row ...
        lost.append(1)
        route.abort("connectionreset")  # ... and the browser never hears of it

    page.route(re.compile(r".*/tasks/II\.1\.1\.1$"), drop_the_answer)
    page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(f"{ROW} .row-state")).to_contain_text("đang chờ mạng")
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 1  # stored the first time
    expect(page.locator(f"{ROW} .row-state")).to_have_text("Đã lưu", timeout=15_000)
    expect(page.locator(f"{ROW} .conflict-panel")).to_have_count(0)
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 1
    assert _result(clean_db) == "Câu trả lời bị mất trên đường về"
    page.reload()
    expect(page.locator(f"{ROW} .row-state")).to_have_text("")  # no draft left behind


def test_a_draft_survives_a_closed_tab(
    server: LiveServer, page: Page, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")  # the landing page lists what to do
    _type_row(page, "Gõ dở rồi đóng thẻ")
    again = page.context.new_page()
    page.close()
    again.goto(f"{server.url}{WS}")
    expect(again.locator(f"{ROW} textarea[name=result]")).to_have_value("Gõ dở rồi đóng thẻ")
    expect(again.locator(f"{ROW} .row-state")).to_contain_text("Đã khôi phục")
    expect(again.locator(ROW)).to_have_class(re.compile("dirty"))


def test_an_expired_session_logs_in_in_a_new_tab_and_the_row_saves_intact(
    server: LiveServer, page: Page, shot: Shots, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")  # the landing page lists what to do
    text = "Nội dung dài gõ trong lúc phiên hết hạn"
    _type_row(page, text)
    page.context.clear_cookies()  # the session is gone (expired, or logged out elsewhere)
    page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    state = page.locator(f"{ROW} .row-state")
    expect(state).to_contain_text("Phiên đăng nhập đã hết hạn")
    shot("session-expired-on-the-row")
    with page.context.expect_page() as opened:
        state.get_by_role("link", name="Đăng nhập lại (thẻ mới)").click()
    tab = opened.value
    tab.get_by_label("Tên đăng nhập").fill("bc.ttpv")
    tab.get_by_label("Mật khẩu").fill(PASSWORD)
    tab.get_by_role("button", name="Đăng nhập").click()
    expect(tab).to_have_url(f"{server.url}{WS}")
    tab.close()
    page.bring_to_front()
    expect(page.locator(f"{ROW} .saved")).to_be_visible()
    expect(page.locator(f"{ROW} textarea[name=result]")).to_have_value(text)
    shot("saved-after-login")
    assert _result(clean_db) == text


def test_a_conflict_is_resolved_by_merging_and_never_overwrites_silently(
    server: LiveServer,
    page: Page,
    browser: Browser,
    shot: Shots,
    clean_db: Engine,
    clock: FixedClock,
    seeded: object,
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    make_user(clean_db, clock, username="bc.ttpv2", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")  # the landing page lists what to do
    other_context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    colleague = other_context.new_page()
    login(colleague, server.url, "bc.ttpv2", PASSWORD)
    colleague.goto(f"{server.url}{WS}")  # the landing page lists what to do
    _type_row(colleague, "Phần của đồng nghiệp")
    colleague.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    expect(colleague.locator(f"{ROW} .saved")).to_be_visible()
    other_context.close()

    _type_row(page, "Phần của tôi")
    page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    panel = page.locator(f"{ROW} .conflict-panel")
    expect(panel).to_contain_text("Người khác vừa lưu dòng này")
    expect(panel).to_contain_text("Phần của đồng nghiệp")
    expect(panel).to_contain_text("Phần của tôi")
    shot("conflict")
    # Saving again without choosing is refused again: the colleague's text is never overwritten.
    with page.expect_response(lambda r: "/tasks/II.1.1.1" in r.url) as second:
        page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    assert second.value.status == 409
    expect(page.locator(f"{ROW} .row-state")).to_contain_text("Chưa lưu được")  # swapped in
    expect(page.locator(f"{ROW} .conflict-panel")).to_be_visible()
    assert _result(clean_db) == "Phần của đồng nghiệp"
    page.locator(ROW).get_by_role("button", name="Gộp hai bản").click()
    merged = page.locator(f"{ROW} textarea[name=result]")
    expect(merged).to_have_value("Phần của đồng nghiệp\nPhần của tôi")
    page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(f"{ROW} .saved")).to_be_visible()
    shot("merged")
    assert _result(clean_db) == "Phần của đồng nghiệp\nPhần của tôi"


def test_save_all_with_one_bad_row_keeps_its_error_on_it_and_saves_the_others(
    server: LiveServer, page: Page, shot: Shots, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")  # the landing page lists what to do
    _type_row(page, "Dòng tốt thứ nhất")
    second = page.locator("#task-II-2-3-1")
    second.locator("select[name=status]").select_option("done")
    page.locator("#kpi-online_dossier input[name=value]").fill("150")
    expect(page.locator("#save-all")).to_have_text("Lưu tất cả (3 dòng)")
    page.locator("#save-all").click()
    expect(page.locator("#ws-bar-status")).to_contain_text("Đã lưu 2 dòng; 1 dòng chưa lưu được")
    expect(page.locator("#kpi-online_dossier .field-error")).to_have_text(
        "Tỷ lệ phải từ 0 đến 100%."
    )
    expect(page.locator("#kpi-online_dossier input[name=value]")).to_have_value("150")
    expect(page.locator(f"{ROW} .saved")).to_be_visible()
    expect(page.locator("#task-II-2-3-1 .saved")).to_be_visible()
    expect(page.locator("#save-all")).to_have_text("Lưu tất cả (1 dòng)")
    shot("save-all-one-bad-row")
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 1
    assert _audits(clean_db, "II.2.3.1/ttpvhcc/2025-10") == 1


def _busy_once(page: Page, pattern: str) -> list[int]:
    """The first request to ``pattern`` is answered as the server answers a save that lost a
    race with another writer (409 ``write_race``, ``Retry-After``, its error page) without
    reaching it; later ones go through."""
    refused: list[int] = []

    def answer(route: Route) -> None:
        if refused:
            route.continue_()
            return
        refused.append(1)
        route.fulfill(
            status=409,
            headers={"Retry-After": "1", "Content-Type": "text/html; charset=utf-8"},
            body="<main><h1>Không lưu được</h1><p>Cùng lúc đó có người khác đang ghi cùng các "
            "số liệu này; không có gì được ghi. Hãy gửi lại sau giây lát.</p></main>",
        )

    page.route(re.compile(pattern), answer)
    return refused


def test_a_row_refused_with_retry_after_waits_and_saves_itself(
    server: LiveServer, page: Page, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    """A 409 ``write_race`` or a 503 answers with the error page, which has no row in it: the
    row used to say "Đang lưu…" for ever. It waits instead, and is sent again by itself."""
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")
    _type_row(page, "Lưu trùng lúc với người khác")
    refused = _busy_once(page, r".*/tasks/II\.1\.1\.1$")
    page.locator(ROW).get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator(f"{ROW} .row-state")).to_contain_text("Máy chủ đang bận")
    assert refused == [1]
    expect(page.locator(f"{ROW} textarea[name=result]")).to_have_value(
        "Lưu trùng lúc với người khác"
    )
    expect(page.locator(f"{ROW} .saved")).to_be_visible(timeout=15_000)
    expect(page.locator(f"{ROW} .row-state")).to_have_text("")
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 1
    assert _result(clean_db) == "Lưu trùng lúc với người khác"


def test_save_all_refused_with_retry_after_keeps_every_row_and_saves_them_later(
    server: LiveServer, page: Page, clean_db: Engine, clock: FixedClock, seeded: object
) -> None:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    login(page, server.url, "bc.ttpv", PASSWORD)
    page.goto(f"{server.url}{WS}")
    _type_row(page, "Dòng thứ nhất")
    page.locator("#task-II-2-3-1 select[name=status]").select_option("done")
    _busy_once(page, r".*/save-all$")
    page.locator("#save-all").click()
    expect(page.locator("#ws-bar-status")).to_contain_text("Máy chủ đang bận")
    expect(page.locator(f"{ROW} .row-state")).to_contain_text("Máy chủ đang bận")
    expect(page.locator(f"{ROW} .saved")).to_be_visible(timeout=15_000)
    expect(page.locator("#task-II-2-3-1 .saved")).to_be_visible(timeout=15_000)
    assert _audits(clean_db, "II.1.1.1/ttpvhcc/2025-10") == 1
    assert _audits(clean_db, "II.2.3.1/ttpvhcc/2025-10") == 1
