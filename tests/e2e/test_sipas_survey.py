"""A citizen on a phone follows the QR link of a receipt to the thank-you page; a kiosk resets."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.auth import Actor
from app.clock import FixedClock
from app.sipas import kiosks
from app.sipas.models import Rating, Response
from app.sipas.survey_screen_pages import KIOSK_COOKIE
from tests.conftest import TEST_SECRET, make_token, make_user
from tests.e2e.conftest import LiveServer, Shots, login
from tests.sipas.conftest import HAND_FIXTURE, add_answer

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_from_qr_link_to_thank_you_on_a_phone(
    server: LiveServer,
    phone: Page,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    request: pytest.FixtureRequest,
) -> None:
    shot = Shots(phone, request.node.name)
    token = make_token(clean_db, clock, username="tt.he-thong", role="reporter", unit="ttpvhcc")
    issued = httpx.post(
        f"{server.url}/api/v1/sipas/codes",
        params={"qr": "svg"},
        headers={"Authorization": f"Bearer {token}"},
        json={
            "dossiers": [
                {
                    "dossier_code": "H29.99-251120-0007",
                    "domain": "ho-tich",
                    "procedure_name": "Đăng ký khai sinh",
                    "channel": "counter",
                }
            ]
        },
    ).json()["items"][0]
    assert issued["qr_svg"].startswith("<svg")
    phone.goto(issued["url"])  # what scanning the receipt's QR code opens
    expect(phone.get_by_text("Bước 1/7")).to_be_visible()
    assert phone.url == f"{server.url}/khao-sat"  # the code left the address bar at once
    expect(phone.get_by_text("Đăng ký khai sinh")).to_be_visible()
    assert _fits_the_screen(phone)
    shot("service")

    phone.get_by_role("button", name="Tiếp tục").click()
    expect(phone.get_by_role("heading", name="Tiếp cận dịch vụ")).to_be_visible()
    # The pre-selected "Bỏ qua" is grey, not the red of an error (border or background).
    skipped = phone.locator("#q-r-tc3 label.skip span")
    expect(phone.locator("#q-r-tc3 label.skip input")).to_be_checked()
    look = skipped.evaluate(
        "e => [getComputedStyle(e).borderColor, getComputedStyle(e).backgroundColor]"
    )
    assert look == ["rgb(154, 165, 177)", "rgb(238, 241, 245)"], look
    choice = phone.locator("#q-r-tc1 label.level-5")
    assert choice.bounding_box()["height"] >= 44  # a thumb-sized target
    choice.click()
    phone.locator("#q-r-tc2 label.level-4").click()
    expect(phone.locator("#q-r-tc1 input[value='5']")).to_be_checked()
    assert _fits_the_screen(phone)
    shot("access")

    phone.get_by_role("button", name="Tiếp tục").click()
    expect(phone.get_by_text("Bước 3/7")).to_be_visible()
    # The phone's Back gesture: a GET page with the answers, never "Confirm Form Resubmission".
    phone.go_back()
    expect(phone.get_by_text("Bước 2/7")).to_be_visible()
    assert phone.url == f"{server.url}/khao-sat/phieu?buoc=2"
    expect(phone.locator("#q-r-tc1 input[value='5']")).to_be_checked()
    phone.go_back()
    expect(phone.get_by_text("Bước 1/7")).to_be_visible()
    expect(phone.get_by_text("Đăng ký khai sinh")).to_be_visible()
    shot("back-gesture")
    phone.go_forward()
    expect(phone.get_by_text("Bước 2/7")).to_be_visible()
    phone.get_by_role("button", name="Tiếp tục").click()
    expect(phone.get_by_text("Bước 3/7")).to_be_visible()
    phone.get_by_role("button", name="Quay lại").click()  # back keeps what was chosen
    expect(phone.locator("#q-r-tc1 input[value='5']")).to_be_checked()
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.locator("#q-r-tt4 label.level-3").click()
    for screen in ("Bước 4/7", "Bước 5/7", "Bước 6/7", "Bước 7/7"):
        phone.get_by_role("button", name="Tiếp tục").click()
        expect(phone.get_by_text(screen)).to_be_visible()
    phone.locator("#q-e-mm4 label.level-4").click()
    phone.get_by_label("Góp ý thêm của bạn (không bắt buộc)").fill("Cán bộ hướng dẫn rất tận tình.")
    shot("expectations")

    send = phone.get_by_role("button", name="Gửi phiếu", exact=True)
    send.dblclick()  # an impatient double click stores one answer and still thanks
    expect(phone.get_by_role("heading", name="Cảm ơn bạn đã góp ý!")).to_be_visible()
    shot("thanks")
    with Session(clean_db) as session:
        answer = session.exec(select(Response)).one()
        ratings = {r.item: r.value for r in session.exec(select(Rating)).all()}
    assert (answer.source, answer.procedure_name) == ("code", "Đăng ký khai sinh")
    assert ratings == {"tc1": 5, "tc2": 4, "tt4": 3, "mm4": 4}

    phone.go_back()  # the Back gesture after sending: a new start, not the answers
    expect(phone.get_by_text("Bước 1/7")).to_be_visible()
    expect(phone.get_by_text("Cán bộ hướng dẫn rất tận tình.")).to_have_count(0)
    phone.goto(issued["url"])  # the receipt scanned a second time
    expect(phone.get_by_role("alert")).to_contain_text("Mã khảo sát này đã được dùng")
    shot("spent")


@pytest.fixture
def tune_min_sample(application: FastAPI) -> Iterator[None]:
    before = application.state.settings
    application.state.settings = before.model_copy(update={"sipas_min_sample": 3})
    yield
    application.state.settings = before


@pytest.fixture
def quick_kiosk(application: FastAPI) -> Iterator[None]:
    """Kiosk idle time of 2 s for this test (model_copy skips the 5 s floor of the setting)."""
    before = application.state.settings
    application.state.settings = before.model_copy(update={"sipas_kiosk_idle_seconds": 2})
    yield
    application.state.settings = before


def test_kiosk_returns_to_the_start_when_left_alone(
    server: LiveServer,
    phone: Page,
    seeded: Session,
    clock: FixedClock,
    quick_kiosk: None,
    request: pytest.FixtureRequest,
) -> None:
    shot = Shots(phone, request.node.name)
    officer = Actor(username="tt.quay", role="reporter", unit_code="ttpvhcc")
    kiosk = kiosks.enrol_kiosk(
        db_session=seeded, actor=officer, clock=clock, name="Quầy 2", centre="ttpvhcc"
    )
    phone.context.add_cookies(
        [
            {
                "name": KIOSK_COOKIE,
                "value": kiosks.kiosk_serializer(TEST_SECRET).dumps(kiosk.code),
                "url": f"{server.url}/khao-sat",
            }
        ]
    )
    phone.goto(f"{server.url}/khao-sat/kiosk")
    phone.get_by_role("button", name="Tiếp tục").click()
    phone.locator("#q-r-tc1 label.level-1").click()
    expect(phone.locator("#q-r-tc1 input[value='1']")).to_be_checked()
    shot("half-done")
    # Nobody touches the screen: it goes back to the first step, the answer gone.
    expect(phone).to_have_url(f"{server.url}/khao-sat/kiosk")
    expect(phone.get_by_text("Bước 1/7")).to_be_visible()
    expect(phone.locator("input[name='r-tc1']")).to_have_count(0)
    shot("reset")


def test_coordinator_reads_the_index_with_its_charts(
    server: LiveServer,
    page: Page,
    shot: Shots,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
    tune_min_sample: None,
) -> None:
    for ratings in HAND_FIXTURE:
        add_answer(seeded, clock, ratings=ratings, domain="ho-tich", channel="counter")
    make_user(
        clean_db,
        clock,
        username="vhxh.dp",
        role="coordinator",
        unit="vhxh",
        password="mat-khau-dung-1",
    )
    login(page, server.url, "vhxh.dp", "mat-khau-dung-1")
    page.goto(f"{server.url}/sipas?period=2025-11")
    expect(page.locator("#sipas-index")).to_have_text("54,2%")
    expect(page.get_by_role("img", name="Tỷ lệ hài lòng theo nhóm tiêu chí")).to_be_visible()
    shot("index")
    page.get_by_role(
        "button", name="Ghi chỉ số kỳ này vào chỉ tiêu “Chỉ số hài lòng của người dân (SIPAS)"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Đã ghi chỉ số 54,17% vào chỉ tiêu")
    page.locator("select[name=period]").select_option("2025-10")  # htmx swaps the report
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#sample-warning")).to_have_text(
        "Chưa có phiếu khảo sát nào trong phạm vi này."
    )
    shot("october")
