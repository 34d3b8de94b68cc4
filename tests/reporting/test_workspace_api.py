"""The JSON twins of "Lưu tất cả" and "Chép từ kỳ trước", as a ward's other system calls them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.conftest import make_token

ROWS = "/api/v1/units/ttpvhcc/periods/2025-10/rows"


def _as(api: TestClient, engine: Engine, clock: FixedClock, user: str, unit: str) -> dict:
    token = make_token(engine, clock, username=user, role="reporter", unit=unit)
    return {"Authorization": f"Bearer {token}"}


def test_rows_are_saved_each_with_its_result_and_typed_numbers_read(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    headers = _as(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    sent = api.post(
        ROWS,
        headers=headers,
        json={
            "tasks": [
                {"assignment": "II.1.1.1", "status": "in_progress", "percent_complete": "60"},
                {"assignment": "II.1.1.2", "status": "bogus"},
            ],
            "readings": [{"indicator": "online_dossier", "value": "85,5", "version": 0}],
        },
    )
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert (body["saved"], body["failed"]) == (2, 1)
    assert [r["status"] for r in body["rows"]] == ["saved", "invalid", "saved"]
    assert body["rows"][1]["errors"]  # said on the row, in Vietnamese
    stored = api.get("/api/v1/readings?unit=ttpvhcc&period=2025-10&indicator=online_dossier")
    assert stored.json()["items"][0]["value"] == 85.5


def test_a_misspelt_key_is_refused_and_nothing_is_written(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    headers = _as(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    sent = api.post(
        ROWS,
        headers=headers,
        json={"reading": [{"indicator": "online_dossier", "value": 80}]},
    )
    assert sent.status_code == 422
    assert api.get("/api/v1/readings?unit=ttpvhcc&period=2025-10").json()["total"] == 0


def test_another_units_rows_are_refused_and_carry_offers_last_period(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    other = _as(api, clean_db, clock, "bc.vp", "vp")
    refused = api.post(ROWS, headers=other, json={"tasks": [{"assignment": "II.1.1.1"}]})
    assert refused.status_code == 403
    mine = _as(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    assert (
        api.post(
            ROWS,
            headers=mine,
            json={"tasks": [{"assignment": "II.1.1.1", "status": "done", "result": "Xong"}]},
        ).status_code
        == 200
    )
    offered = api.get("/api/v1/units/ttpvhcc/periods/2025-11/carry", headers=mine)
    assert offered.status_code == 200, offered.text
    body = offered.json()
    assert body["previous_period"] == "2025-10"
    row = next(r for r in body["rows"] if r["key"] == "II.1.1.1")
    assert row["fields"]["result"] == "Xong" and row["empty"] is True
    # Nothing was written by the offer: November still has no report for the task.
    listed = api.get("/api/v1/progress?unit=ttpvhcc&period=2025-11&assignment=II.1.1.1")
    assert listed.json()["total"] == 0
