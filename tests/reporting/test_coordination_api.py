"""Coordination through the JSON API: the same service and rules as the pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.reporting.coordination_models import CoordinationReply
from tests.conftest import make_token
from tests.reporting.coordination_setup import PERIOD, TASK, add_coordinators, lead_update

API = "/api/v1/units"


@pytest.fixture
def people(anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock) -> dict:
    add_coordinators(seeded, ("kthtdt",))
    lead_update(seeded, clock)
    made = {
        "lead": ("bc.ttpv", "reporter", "ttpvhcc"),
        "vhxh": ("bc.vhxh", "reporter", "vhxh"),
        "kthtdt": ("bc.kthtdt", "reporter", "kthtdt"),
        "vp": ("bc.vp", "reporter", "vp"),
        "viewer": ("ld", "viewer", None),
    }
    return {
        key: {
            "Authorization": "Bearer "
            + make_token(clean_db, clock, username=name, role=role, unit=unit)
        }
        for key, (name, role, unit) in made.items()
    }


def put(anon: TestClient, who: dict, unit: str, body: dict, task: str = TASK):
    return anon.put(f"{API}/{unit}/periods/{PERIOD}/coordinating/{task}", headers=who, json=body)


def test_answer_and_read_both_sides(anon: TestClient, people: dict, db_session: Session) -> None:
    mine = anon.get(f"{API}/vhxh/periods/{PERIOD}/coordinating", headers=people["vhxh"])
    assert mine.status_code == 200
    [item] = mine.json()
    assert (item["task"], item["lead_unit"], item["can_answer"]) == (TASK, "ttpvhcc", True)
    assert item["lead_update"]["percent_complete"] == 60
    assert item["answer"] == {
        "unit": "vhxh",
        "unit_name": "Phòng Văn hóa - Xã hội",
        "state": "pending",
        "comment": "",
        "answered_by": "",
        "answered_at": None,
        "stale": False,
        "version": 0,
    }
    ok = put(anon, people["vhxh"], "vhxh", {"answer": "confirmed", "version": 0})
    assert ok.status_code == 200, ok.text
    assert ok.json()["answer"]["state"] == "confirmed" and ok.json()["answer"]["version"] == 1
    no = put(
        anon,
        people["kthtdt"],
        "kthtdt",
        {"answer": "disagreed", "comment": "Chưa thống nhất số liệu.", "version": 0},
    )
    assert no.status_code == 200, no.text

    lead = anon.get(f"{API}/ttpvhcc/periods/{PERIOD}/coordination", headers=people["lead"])
    assert lead.status_code == 200
    body = lead.json()
    assert body["summary"] == {"confirmed": 1, "disagreed": 1, "pending": 0, "stale": 0}
    [task] = body["tasks"]
    assert [(a["unit"], a["state"], a["comment"]) for a in task["coordinators"]] == [
        ("kthtdt", "disagreed", "Chưa thống nhất số liệu."),
        ("vhxh", "confirmed", ""),
    ]
    assert db_session.exec(
        select(AuditEvent).where(AuditEvent.entity == "coordination_reply")
    ).all()


def test_the_api_refuses_what_the_service_refuses(
    anon: TestClient, people: dict, db_session: Session
) -> None:
    confirm = {"answer": "confirmed", "version": 0}
    assert put(anon, people["lead"], "vhxh", confirm).json()["detail"]["code"] == "other_unit"
    assert put(anon, people["lead"], "ttpvhcc", confirm).json()["detail"]["code"] == "lead_unit"
    refused = put(anon, people["vp"], "vp", confirm)
    assert (refused.status_code, refused.json()["detail"]["code"]) == (403, "not_coordinator")
    assert put(anon, people["vp"], "vhxh", confirm).status_code == 403
    assert put(anon, people["viewer"], "vhxh", confirm).status_code == 403
    bare = put(anon, people["vhxh"], "vhxh", {"answer": "disagreed", "version": 0})
    assert bare.status_code == 422
    assert bare.json()["detail"]["errors"][0]["field"] == "comment"
    missing = put(anon, people["vhxh"], "vhxh", {"answer": "confirmed"})
    assert missing.status_code == 422  # the version is required: no blind overwrite
    assert put(anon, people["vhxh"], "vhxh", {"answer": "maybe", "version": 0}).status_code == 422
    unknown = put(anon, people["vhxh"], "vhxh", confirm, task="IX.9.9")
    assert unknown.status_code == 404
    assert db_session.exec(select(CoordinationReply)).first() is None
    assert put(anon, people["vhxh"], "vhxh", confirm).status_code == 200
    stale = put(anon, people["vhxh"], "vhxh", confirm)
    assert (stale.status_code, stale.json()["detail"]["code"]) == (409, "stale_version")
    other = anon.get(f"{API}/ttpvhcc/periods/{PERIOD}/coordination", headers=people["vhxh"])
    assert other.status_code == 403
