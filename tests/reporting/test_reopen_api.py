"""The reopen-request API: the unit asks, the coordinator decides, everyone reads the same rows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.clock import FixedClock
from app.reminders.models import ReminderDelivery
from tests.conftest import make_token
from tests.reminders.helpers import (
    PLAIN_AUTH_WARNING,
    SMTP_PASSWORD,
    SMTP_USER,
    free_port,
    smtp_server,
)

API = "/api/v1"
PERIOD_URL = f"{API}/units/ttpvhcc/periods/2025-10/reopen-requests"
REQUEST_URL = f"{API}/reopen-requests/ttpvhcc/2025-10/1"
REASON = "Nhập nhầm số hồ sơ đúng hạn lĩnh vực đất đai (92 thay vì 29)."


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


def approved(client: TestClient, tokens: dict) -> None:
    base = f"{API}/submissions/ttpvhcc/2025-10"
    assert client.post(f"{base}/submit", headers=tokens["reporter"]).status_code == 200
    assert client.post(f"{base}/approve", headers=tokens["coordinator"]).status_code == 200


def ask(client: TestClient, who: dict, reason: str = REASON) -> Any:
    return client.post(PERIOD_URL, headers=who, json={"reason": reason})


def decide(client: TestClient, who: dict, decision: str, **body: Any) -> Any:
    return client.post(f"{REQUEST_URL}/{decision}", headers=who, json=body)


def test_ask_list_and_grant(anon: TestClient, tokens: dict) -> None:
    approved(anon, tokens)
    made = ask(anon, tokens["reporter"])
    assert made.status_code == 201, made.text
    body = made.json()
    assert {k: body[k] for k in ("unit", "period", "number", "status", "reason", "version")} == {
        "unit": "ttpvhcc",
        "period": "2025-10",
        "number": 1,
        "status": "pending",
        "reason": REASON,
        "version": 1,
    }
    assert "id" not in body  # the public key is (unit, period, number)

    queue = anon.get(f"{API}/reopen-requests?status=pending", headers=tokens["coordinator"])
    assert queue.status_code == 200
    assert [(i["unit"], i["number"]) for i in queue.json()["items"]] == [("ttpvhcc", 1)]
    assert anon.get(PERIOD_URL, headers=tokens["reporter"]).json()[0]["status"] == "pending"
    # Another unit's reporter sees neither the period's requests nor them in the list.
    assert anon.get(PERIOD_URL, headers=tokens["other"]).status_code == 403
    mine = anon.get(f"{API}/reopen-requests", headers=tokens["other"]).json()
    assert mine["total"] == 0

    stale = decide(anon, tokens["coordinator"], "grant", version=0)
    assert stale.status_code == 409 and stale.json()["detail"]["code"] == "stale_version"
    granted = decide(anon, tokens["coordinator"], "grant", version=1, comment="Đồng ý.")
    assert granted.status_code == 200, granted.text
    assert granted.json()["status"] == "granted" and granted.json()["version"] == 2
    report = anon.get(f"{API}/submissions/ttpvhcc/2025-10", headers=tokens["reporter"]).json()
    assert report["status"] == "returned" and report["reopen_reason"] == REASON
    assert (
        anon.get(f"{API}/reopen-requests?status=pending", headers=tokens["coordinator"]).json()[
            "total"
        ]
        == 0
    )
    bell = anon.get(f"{API}/notifications", headers=tokens["reporter"]).json()
    assert [n["title"] for n in bell["items"]] == [
        "Đề nghị mở lại báo cáo Tháng 10/2025 của TTPVHCC được đồng ý"
    ]


def test_the_errors_say_what_is_wrong(anon: TestClient, tokens: dict) -> None:
    not_yet = ask(anon, tokens["reporter"])
    assert not_yet.status_code == 409 and not_yet.json()["detail"]["code"] == "not_approved"
    approved(anon, tokens)
    blank = ask(anon, tokens["reporter"], reason="  ")
    assert blank.status_code == 422
    assert blank.json()["detail"]["errors"][0]["field"] == "reason"
    too_long = ask(anon, tokens["reporter"], reason="a" * 2001)
    assert too_long.status_code == 422
    assert ask(anon, tokens["other"]).status_code == 403
    assert ask(anon, tokens["reporter"]).status_code == 201
    twice = ask(anon, tokens["reporter"])
    assert twice.status_code == 409 and twice.json()["detail"]["code"] == "reopen_pending"

    refuse = decide(anon, tokens["coordinator"], "refuse", comment="")
    assert refuse.status_code == 422
    assert refuse.json()["detail"]["errors"][0]["field"] == "comment"
    assert decide(anon, tokens["reporter"], "grant").status_code == 403
    assert decide(anon, tokens["other"], "withdraw").status_code == 403
    missing = anon.post(
        f"{API}/reopen-requests/ttpvhcc/2025-10/7/grant", headers=tokens["coordinator"]
    )
    assert missing.status_code == 404
    assert decide(anon, tokens["coordinator"], "approve").status_code == 422  # not a decision

    withdrawn = decide(anon, tokens["reporter"], "withdraw", version=1)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    late = decide(anon, tokens["coordinator"], "refuse", comment="Không đồng ý.")
    assert late.status_code == 409 and late.json()["detail"]["code"] == "reopen_decided"


@pytest.mark.filterwarnings(PLAIN_AUTH_WARNING)
def test_the_request_and_the_refusal_are_e_mailed_when_mail_is_configured(
    app_factory: Any, tokens: dict, clean_db: Engine, db_session: Session
) -> None:
    with Session(clean_db) as session:
        for username in ("bc.ttpv", "dp.vhxh"):
            user = session.exec(select(User).where(User.username == username)).one()
            user.email = f"{username}@phudinh.example.vn"
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
    comment = "Số liệu đã tổng hợp vào báo cáo gửi UBND quận."
    with smtp_server(port) as inbox, TestClient(application) as client:
        approved(client, tokens)
        assert ask(client, tokens["reporter"]).status_code == 201
        assert decide(client, tokens["coordinator"], "refuse", comment=comment).status_code == 200
    assert len(inbox.messages) == 2
    asked, message = inbox.messages  # the request to the office, then the answer to the unit
    assert "dp.vhxh@" in asked["To"]
    asked_body = asked.get_content()
    assert asked_body.startswith("Kính gửi bộ phận điều phối,") and REASON in asked_body
    assert "Xem và quyết định tại: https://partrack.phudinh.example.vn/review/ttpvhcc/2025-10" in (
        asked_body
    )
    assert "bc.ttpv@" in message["To"]
    # Compared without spaces: Python's header folding drops the space where it folds a long
    # encoded subject ("báo cáoTháng"), a standard-library quirk of every long subject.
    assert message["Subject"].replace(" ", "") == (
        "[partrack] Đề nghị mở lại báo cáo Tháng 10/2025 của TTPVHCC bị từ chối".replace(" ", "")
    )
    body = message.get_content()
    assert comment in body and "Kính gửi cán bộ báo cáo của" in body
    assert "Xem báo cáo tại: https://partrack.phudinh.example.vn/units/ttpvhcc" in body
    emails = db_session.exec(
        select(ReminderDelivery).where(ReminderDelivery.channel == "email")
    ).all()
    assert sorted(e.status for e in emails) == ["sent", "sent"]
