"""After a review: the unit hears of a return (bell, e-mail, landing page), a submitted report is
locked until review, the review page shows the history, and the reviewer sees a confirmation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.reminders.models import Notification, Reminder, ReminderDelivery
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_token, make_user
from tests.reminders.helpers import (
    PLAIN_AUTH_WARNING,
    SMTP_PASSWORD,
    SMTP_USER,
    free_port,
    smtp_server,
)

API = "/api/v1"
URL = f"{API}/submissions/ttpvhcc/2025-10"
COMMENT = "Bổ sung minh chứng cho nhiệm vụ II.1.1.1."


@pytest.fixture
def tokens(seeded: Session, clean_db: Engine, clock: FixedClock) -> dict[str, dict[str, str]]:
    made = {
        "reporter": make_token(
            clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc"
        ),
        "other": make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp"),
        "coordinator": make_token(
            clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
        ),
    }
    return {k: {"Authorization": f"Bearer {v}"} for k, v in made.items()}


def act(client: TestClient, who: dict, action: str, comment: str = "") -> Any:
    return client.post(f"{URL}/{action}", headers=who, json={"comment": comment})


def reading(client: TestClient, who: dict, value: float) -> Any:
    body = {"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10", "value": value}
    return client.put(f"{API}/readings", headers=who, json=body)


def progress(client: TestClient, who: dict) -> Any:
    body = {"assignment": "II.1.1.1", "unit": "ttpvhcc", "period": "2025-10", "status": "done"}
    return client.put(f"{API}/progress", headers=who, json=body)


def test_a_submitted_report_is_locked_until_review(anon: TestClient, tokens: dict) -> None:
    assert reading(anon, tokens["reporter"], 81).status_code == 201
    assert act(anon, tokens["reporter"], "submit").status_code == 200

    for refused in (reading(anon, tokens["reporter"], 82), progress(anon, tokens["reporter"])):
        assert refused.status_code == 409, refused.text
        detail = refused.json()["detail"]
        assert detail["code"] == "period_locked"
        assert "đang chờ duyệt nên tạm khóa" in detail["message"]
        assert "trả lại báo cáo" in detail["message"]  # says how to get it back
    read = anon.get(f"{API}/readings?unit=ttpvhcc&period=2025-10", headers=tokens["reporter"])
    assert [r["value"] for r in read.json()["items"]] == [81]  # nothing changed underneath

    assert act(anon, tokens["coordinator"], "return", COMMENT).status_code == 200
    assert reading(anon, tokens["reporter"], 82).status_code == 200  # open again
    assert progress(anon, tokens["reporter"]).status_code == 201


def test_a_return_notifies_the_units_reporters_only(
    anon: TestClient, tokens: dict, db_session: Session
) -> None:
    assert act(anon, tokens["reporter"], "submit").status_code == 200
    assert act(anon, tokens["coordinator"], "return", COMMENT).status_code == 200

    notes = db_session.exec(select(Notification)).all()
    assert len(notes) == 1  # bc.ttpv only: not bc.vp, not the coordinator
    note = notes[0]
    assert note.title == "Báo cáo Tháng 10/2025 của TTPVHCC bị trả lại"
    assert f"Nhận xét: “{COMMENT}”" in note.body
    assert note.link == "/units/ttpvhcc/periods/2025-10"
    reminder = db_session.exec(select(Reminder)).one()
    assert reminder.kind == "returned-2"  # the report's version after the return

    bell = anon.get(f"{API}/notifications", headers=tokens["reporter"]).json()
    assert [n["title"] for n in bell["items"]] == [note.title]
    assert anon.get(f"{API}/notifications", headers=tokens["other"]).json()["total"] == 0

    # A second return of the same report is its own message, not swallowed by the first.
    assert act(anon, tokens["reporter"], "submit").status_code == 200
    assert act(anon, tokens["coordinator"], "return", "Lần hai.").status_code == 200
    kinds = sorted(r.kind for r in db_session.exec(select(Reminder)))
    assert kinds == ["returned-2", "returned-4"]


def test_the_log_names_a_return_for_coordinators(
    application: Any, tokens: dict, clean_db: Engine, clock: FixedClock
) -> None:
    with TestClient(application) as client:
        assert act(client, tokens["reporter"], "submit").status_code == 200
        assert act(client, tokens["coordinator"], "return", COMMENT).status_code == 200
        make_user(clean_db, clock, username="dp2", role="coordinator", unit="vhxh")
        assert login(client, "dp2").status_code == 303
        log = client.get("/reminders").text
    assert "Báo cáo bị trả lại" in log and "Tháng 10/2025" in log


@pytest.mark.filterwarnings(PLAIN_AUTH_WARNING)
def test_a_return_is_e_mailed_when_mail_is_configured(
    app_factory: Any, tokens: dict, clean_db: Engine, db_session: Session
) -> None:
    with Session(clean_db) as session:
        from app.accounts.models import User

        user = session.exec(select(User).where(User.username == "bc.ttpv")).one()
        user.email = "bc.ttpv@phudinh.example.vn"
        session.add(user)
        session.commit()
    port = free_port()
    application = app_factory(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_username=SMTP_USER,
        smtp_password=SecretStr(SMTP_PASSWORD),
        smtp_from="nhacviec@phudinh.example.vn",
        smtp_starttls=False,
        reminder_base_url="https://partrack.phudinh.example.vn",
    )
    with smtp_server(port) as inbox, TestClient(application) as client:
        assert act(client, tokens["reporter"], "submit").status_code == 200
        assert act(client, tokens["coordinator"], "return", COMMENT).status_code == 200
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "bc.ttpv <bc.ttpv@phudinh.example.vn>" or "bc.ttpv@" in message["To"]
    assert message["Subject"] == "[partrack] Báo cáo Tháng 10/2025 của TTPVHCC bị trả lại"
    body = message.get_content()
    assert COMMENT in body
    assert "Sửa và gửi lại báo cáo tại: https://partrack.phudinh.example.vn/units/ttpvhcc" in body
    email = db_session.exec(
        select(ReminderDelivery).where(ReminderDelivery.channel == "email")
    ).one()
    assert email.status == "sent"


@pytest.fixture
def coordinator(application: Any, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    with TestClient(application) as client:
        assert login(client, "dp.vhxh").status_code == 303
        client.csrf = hidden(client.get("/review").text, "csrf_token")  # type: ignore[attr-defined]
        yield client


def review(client: TestClient, action: str, comment: str = "") -> Any:
    data = {"csrf_token": client.csrf, "comment": comment}  # type: ignore[attr-defined]
    return client.post(f"/review/ttpvhcc/2025-10/{action}", data=data, follow_redirects=False)


def test_review_history_and_confirmations(
    coordinator: TestClient, tokens: dict, clock: FixedClock
) -> None:
    assert act(coordinator, tokens["reporter"], "submit").status_code == 200
    returned = review(coordinator, "return", COMMENT)
    assert returned.status_code == 303
    after = coordinator.get(returned.headers["location"]).text
    assert (
        "✓ Đã trả lại báo cáo Tháng 10/2025 của Trung tâm Phục vụ hành chính công; "
        "đơn vị đã được thông báo kèm nhận xét." in after
    )
    clock.advance(timedelta(minutes=30))
    assert act(coordinator, tokens["reporter"], "submit").status_code == 200
    approved = review(coordinator, "approve")
    assert approved.status_code == 303, approved.text
    after = coordinator.get(approved.headers["location"]).text
    assert "✓ Đã duyệt báo cáo Tháng 10/2025 của Trung tâm Phục vụ hành chính công." in after

    page = coordinator.get("/review/ttpvhcc/2025-10").text
    history = page[page.index('id="review-history"') : page.index('id="review-actions"')]
    steps = [
        "Gửi báo cáo",
        "Trả lại để bổ sung",
        COMMENT,
        "Gửi lại sau khi bị trả lại",
        "Duyệt",
    ]
    positions = [history.index(s) for s in steps]
    assert positions == sorted(positions)
    assert "Người dùng bc.ttpv" in history and "Người dùng dp.vhxh" in history  # names


def test_a_confirmation_is_never_shown_for_what_did_not_happen(
    coordinator: TestClient, tokens: dict
) -> None:
    assert act(coordinator, tokens["reporter"], "submit").status_code == 200
    page = coordinator.get("/review?xong=approve&don_vi=ttpvhcc&ky=2025-10").text
    assert "Đã duyệt" not in page  # still waiting: an edited address confirms nothing
    page = coordinator.get("/review?xong=approve&don_vi=khong-co&ky=2025-10")
    assert page.status_code == 200


def test_the_landing_page_puts_the_returned_report_first(
    application: Any, tokens: dict, clean_db: Engine, clock: FixedClock
) -> None:
    with TestClient(application) as client:
        assert act(client, tokens["reporter"], "submit").status_code == 200
        assert act(client, tokens["coordinator"], "return", COMMENT).status_code == 200
        make_user(clean_db, clock, username="bc2.ttpv", role="reporter", unit="ttpvhcc")
        assert login(client, "bc2.ttpv").status_code == 303
        page = client.get("/").text
    todo = page[page.index('id="home-todo"') :]
    first = todo.index("Tháng 10/2025</strong>: bị trả lại, cần sửa và gửi lại")
    assert first < todo.index("Tháng 11/2025</strong>: sắp đến hạn")
    assert f'<blockquote class="review-comment">{COMMENT}</blockquote>' in todo
    assert "Trả lại bởi Người dùng dp.vhxh" in todo  # the reviewer's name, not the username
    assert 'href="/units/ttpvhcc/periods/2025-10"' in todo


def test_a_coordinator_sees_the_review_queue_first(coordinator: TestClient, tokens: dict) -> None:
    assert act(coordinator, tokens["reporter"], "submit").status_code == 200
    page = coordinator.get("/").text
    queue = page.index('id="home-queue"')
    assert queue < page.index('id="home-todo"')
    assert 'href="/review/ttpvhcc/2025-10"' in page
    assert "Trung tâm Phục vụ hành chính công" in page


def test_the_workspace_says_a_submitted_report_is_locked(
    application: Any, tokens: dict, clean_db: Engine, clock: FixedClock
) -> None:
    with TestClient(application) as client:
        assert login(client, "bc.ttpv").status_code == 303
        assert 'id="submitted-notice"' not in client.get("/units/ttpvhcc/periods/2025-10").text
        assert act(client, tokens["reporter"], "submit").status_code == 200
        page = client.get("/units/ttpvhcc/periods/2025-10").text
    assert 'id="submitted-notice"' in page
    assert "đề nghị Phòng Văn hóa - Xã hội trả lại báo cáo" in page
