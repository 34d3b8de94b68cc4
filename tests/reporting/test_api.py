"""The submission cycle through the JSON API: transitions, roles, locking, timeliness."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_token

API = "/api/v1"
URL = f"{API}/submissions"


@pytest.fixture
def people(anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock) -> dict:
    tokens = {
        "reporter": make_token(
            clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc"
        ),
        "other": make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp"),
        "coordinator": make_token(
            clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
        ),
        "viewer": make_token(clean_db, clock, username="ld", role="viewer"),
    }
    return {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


def act(
    anon: TestClient, who: dict, action: str, body: dict | None = None, period: str = "2025-10"
):
    return anon.post(f"{URL}/ttpvhcc/{period}/{action}", headers=who, json=body or {})


def reading(anon: TestClient, who: dict, value: float) -> Any:
    body = {"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10", "value": value}
    return anon.put(f"{API}/readings", headers=who, json=body)


def test_the_whole_cycle(anon: TestClient, people: dict, clock: FixedClock) -> None:
    assert reading(anon, people["reporter"], 81).status_code == 201
    draft = anon.get(f"{URL}/ttpvhcc/2025-10", headers=people["reporter"]).json()
    assert draft["status"] == "draft" and draft["timeliness"] == "missing"
    assert draft["due_date"] == "2025-11-05"

    sent = act(anon, people["reporter"], "submit")
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "submitted" and sent.json()["timeliness"] == "late"

    refused = act(anon, people["coordinator"], "return", {"comment": "  "})
    assert refused.status_code == 422
    assert refused.json()["detail"]["errors"][0]["field"] == "comment"

    returned = act(anon, people["coordinator"], "return", {"comment": "Bổ sung minh chứng."})
    assert returned.json()["status"] == "returned"
    assert returned.json()["review_comment"] == "Bổ sung minh chứng."
    assert reading(anon, people["reporter"], 82).status_code == 200  # still editable

    clock.advance(timedelta(days=1))
    again = act(anon, people["reporter"], "submit")
    assert again.json()["status"] == "submitted"
    assert again.json()["first_submitted_at"] < again.json()["submitted_at"]

    approved = act(anon, people["coordinator"], "approve", {"version": again.json()["version"]})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    locked = reading(anon, people["reporter"], 90)
    assert locked.status_code == 409
    detail = locked.json()["detail"]
    assert detail["code"] == "period_locked"
    assert "dp.vhxh" in detail["message"] and "Phòng Văn hóa - Xã hội" in detail["message"]
    progress = {
        "assignment": "II.1.1.1",
        "unit": "ttpvhcc",
        "period": "2025-10",
        "status": "done",
    }
    assert anon.put(f"{API}/progress", headers=people["reporter"], json=progress).status_code == 409

    assert act(anon, people["coordinator"], "reopen", {"comment": ""}).status_code == 422
    reopened = act(anon, people["coordinator"], "reopen", {"comment": "Sai số liệu tháng 10."})
    assert reopened.json()["status"] == "returned"
    assert reopened.json()["reopen_reason"] == "Sai số liệu tháng 10."
    assert reading(anon, people["reporter"], 90).status_code == 200


def test_on_time_when_first_sent_by_the_due_date(anon: TestClient, people: dict) -> None:
    sent = act(anon, people["reporter"], "submit", period="2025-11")
    assert sent.json()["timeliness"] == "on_time"  # due 05/12/2025; today is 20/11/2025


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("other", "submit", 403),
        ("viewer", "submit", 403),
        ("reporter", "approve", 403),
        ("viewer", "return", 403),
        ("coordinator", "approve", 409),  # nothing submitted yet
        ("reporter", "reopen", 403),
    ],
)
def test_who_may_do_what(
    anon: TestClient, people: dict, who: str, action: str, status: int
) -> None:
    resp = act(anon, people[who], action, {"comment": "x"})
    assert resp.status_code == status, resp.text


def test_a_stale_version_is_refused(anon: TestClient, people: dict) -> None:
    sent = act(anon, people["reporter"], "submit").json()
    assert (
        act(anon, people["coordinator"], "approve", {"version": sent["version"] - 1}).status_code
        == 409
    )


def test_submitting_twice_is_409(anon: TestClient, people: dict) -> None:
    assert act(anon, people["reporter"], "submit").status_code == 200
    second = act(anon, people["reporter"], "submit")
    assert second.status_code == 409
    assert second.json()["detail"]["code"] == "bad_transition"


def test_list_shows_every_expected_report_and_the_queue(
    anon: TestClient, people: dict, clock: FixedClock
) -> None:
    act(anon, people["reporter"], "submit", period="2025-11")
    clock.advance(timedelta(minutes=5))
    act(anon, people["reporter"], "submit")
    listing = anon.get(URL, headers=people["coordinator"]).json()
    assert listing["total"] == 10  # 5 units × (2025-10, 2025-11)
    queue = anon.get(URL, headers=people["coordinator"], params={"status": "submitted"}).json()
    assert [(i["unit"], i["period"]) for i in queue["items"]] == [
        ("ttpvhcc", "2025-11"),
        ("ttpvhcc", "2025-10"),
    ]  # oldest submission first
    own = anon.get(URL, headers=people["reporter"]).json()
    assert {i["unit"] for i in own["items"]} == {"ttpvhcc"}
    assert anon.get(URL, headers=people["reporter"], params={"unit": "vp"}).status_code == 403


def test_a_future_or_malformed_period_is_422(anon: TestClient, people: dict) -> None:
    assert act(anon, people["reporter"], "submit", period="2025-12").status_code == 422
    assert act(anon, people["reporter"], "submit", period="2025-Q4").status_code == 422


def test_the_due_date_rule_is_configurable_through_the_api(
    client: TestClient, anon: TestClient, people: dict
) -> None:
    bad = client.put(f"{API}/plans/kh-84-2025/due-days", json={"month": 29, "quarter": 10})
    assert bad.status_code == 422 and bad.json()["detail"]["errors"][0]["field"] == "month"
    ok = client.put(f"{API}/plans/kh-84-2025/due-days", json={"month": 25, "quarter": 15})
    assert ok.status_code == 200, ok.text
    sub = anon.get(f"{URL}/ttpvhcc/2025-10", headers=people["reporter"]).json()
    assert sub["due_date"] == "2025-11-25"
    sent = act(anon, people["reporter"], "submit")
    assert sent.json()["timeliness"] == "on_time"  # 20/11 is now before the due day
    refused = anon.put(
        f"{API}/plans/kh-84-2025/due-days",
        headers=people["reporter"],
        json={"month": 5, "quarter": 10},
    )
    assert refused.status_code == 403
