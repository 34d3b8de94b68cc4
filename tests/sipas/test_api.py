"""The JSON API: the index and its breakdowns, the computed reading, comments, exports, versions."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.kpis.models import Indicator, Reading
from app.sipas.questionnaire import DEFAULT_PATH
from tests.sipas.conftest import HAND_FIXTURE, add_answer, bearer


@pytest.fixture
def hand(seeded: Session, clock: FixedClock) -> list[str]:
    """The hand fixture in November, at the counter, in hộ tịch; plus one answer in October."""
    ids = [
        add_answer(seeded, clock, ratings=r, domain="ho-tich", channel="counter")
        for r in HAND_FIXTURE
    ]
    add_answer(
        seeded,
        clock,
        ratings={"tc1": 1},
        month="2025-10",
        domain="dat-dai",
        channel="online",
        comment="Chờ lâu quá",
    )
    return ids


def test_index_by_hand_with_breakdowns_and_trend(admin_api: TestClient, hand) -> None:
    body = admin_api.get("/api/v1/sipas", params={"period": "2025-11"}).json()
    assert body["period"] == "2025-11" and body["period_label"] == "Tháng 11/2025"
    index = body["index"]
    assert index["responses"] == 3 and index["sufficient_sample"] is True
    assert index["satisfaction"] == pytest.approx(54.1667, abs=1e-3)
    assert index["mean_score"] == pytest.approx(3.2917, abs=1e-3)
    tiep_can = index["factors"][0]
    assert tiep_can["code"] == "tiep-can" and tiep_can["satisfaction"] == pytest.approx(
        83.333, 1e-3
    )
    assert tiep_can["criteria"][0]["levels"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert [(g["key"], g["responses"]) for g in body["by_channel"]] == [("counter", 3)]
    assert body["by_domain"][0]["label"] == "Hộ tịch"
    assert [(g["label"], g["responses"]) for g in body["by_unit"]] == [("TTPVHCC", 3)]
    trend = {p["key"]: p for p in body["trend"]}
    assert trend["2025-10"]["responses"] == 1 and trend["2025-10"]["satisfaction"] is None
    assert trend["2025-11"]["satisfaction"] == pytest.approx(54.1667, abs=1e-3)


def test_filters_per_domain_channel_and_a_quarter(admin_api: TestClient, hand) -> None:
    online = admin_api.get("/api/v1/sipas", params={"period": "2025-10", "channel": "online"})
    assert online.json()["index"]["responses"] == 1
    assert online.json()["index"]["warning"].startswith("Mới có 1 phiếu")
    none = admin_api.get("/api/v1/sipas", params={"period": "2025-11", "domain": "dat-dai"})
    assert none.json()["index"]["warning"] == "Chưa có phiếu khảo sát nào trong phạm vi này."
    quarter = admin_api.get("/api/v1/sipas", params={"period": "2025-Q4"}).json()
    assert quarter["index"]["responses"] == 4 and quarter["period_label"] == "Quý IV/2025"
    bad = admin_api.get("/api/v1/sipas", params={"period": "2025-13"})
    assert bad.status_code == 422 and "tháng phải từ 01 đến 12" in bad.json()["detail"]["message"]


def test_default_minimum_sample_withholds_the_percentage(
    client: TestClient, seeded: Session, clock: FixedClock
) -> None:
    for ratings in HAND_FIXTURE:
        add_answer(seeded, clock, ratings=ratings)
    body = client.get("/api/v1/sipas").json()  # default period: this month
    assert body["period"] == "2025-11"
    assert body["index"]["satisfaction"] is None and body["index"]["min_sample"] == 30
    assert "dưới cỡ mẫu tối thiểu 30 phiếu" in body["index"]["warning"]


def test_a_reporter_sees_only_its_own_unit(small_app: FastAPI, clean_db: Engine, clock, hand):
    with bearer(small_app, clean_db, clock, username="vp.bc", role="reporter", unit="vp") as vp:
        own = vp.get("/api/v1/sipas", params={"period": "2025-11"})
        other = vp.get("/api/v1/sipas", params={"unit": "ttpvhcc"})
    assert own.status_code == 200 and own.json()["unit"] == "vp"
    assert own.json()["index"]["responses"] == 0
    assert other.status_code == 403


def test_the_index_becomes_a_computed_reading(
    admin_api: TestClient, hand, clean_db: Engine
) -> None:
    stored = admin_api.post("/api/v1/sipas/readings", json={"period": "2025-11"})
    assert stored.status_code == 200, stored.text
    reading = stored.json()
    assert (reading["indicator"], reading["unit"], reading["source"]) == (
        "sipas_index",
        "ttpvhcc",
        "computed",
    )
    assert reading["value"] == 54.17
    again = admin_api.post("/api/v1/sipas/readings", json={"period": "2025-11"})
    assert again.json()["version"] == reading["version"]  # unchanged, not rewritten
    small = admin_api.post("/api/v1/sipas/readings", json={"period": "2025-10"})
    assert small.status_code == 422 and "Chưa ghi chỉ số" in small.json()["detail"]["message"]
    with Session(clean_db) as session:
        indicator = session.exec(select(Indicator).where(Indicator.code == "sipas_index")).one()
        assert (indicator.target, indicator.comparator, indicator.measure) == (90, ">=", "percent")
        assert len(session.exec(select(Reading)).all()) == 1
        who = session.exec(select(AuditEvent).where(AuditEvent.entity == "reading")).all()
    assert [(e.actor_username, e.action) for e in who] == [("admin", "create")]


def test_only_coordinators_store_the_reading(small_app, clean_db, clock, hand) -> None:
    with bearer(small_app, clean_db, clock, username="tt", role="reporter", unit="ttpvhcc") as c:
        refused = c.post("/api/v1/sipas/readings", json={"period": "2025-11"})
    assert refused.status_code == 403


def test_comments_are_hidden_never_edited(
    small_app: FastAPI, admin_api: TestClient, hand, clean_db: Engine, clock: FixedClock
) -> None:
    listed = admin_api.get("/api/v1/sipas/comments", params={"period": "2025-10"}).json()
    assert listed["total"] == 1
    comment = listed["items"][0]
    assert comment["text"] == "Chờ lâu quá" and comment["domain"] == "dat-dai"
    url = f"/api/v1/sipas/comments/{comment['id']}"
    no_reason = admin_api.post(f"{url}/hide", json={})
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"]["errors"][0]["field"] == "reason"
    hidden = admin_api.post(f"{url}/hide", json={"reason": "Thử ẩn"}).json()
    assert hidden["hidden"] is True and hidden["text"] == "Chờ lâu quá"
    with bearer(small_app, clean_db, clock, username="ld", role="viewer") as viewer:
        seen = viewer.get("/api/v1/sipas/comments", params={"period": "2025-10"}).json()
        assert seen["items"][0]["text"] is None
        assert viewer.post(f"{url}/show", json={}).status_code == 403
    assert admin_api.post(f"{url}/show", json={}).json()["hidden"] is False
    with Session(clean_db) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "sipas_comment")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [e.after for e in events] == [
        {"hidden": True, "reason": "Thử ẩn"},
        {"hidden": False, "reason": ""},
    ]
    assert "Chờ lâu" not in json.dumps([e.after for e in events], ensure_ascii=False)


def test_exports_csv_and_xlsx(admin_api: TestClient, hand) -> None:
    resp = admin_api.get("/api/v1/sipas/answers", params={"period": "2025-Q4"})
    assert resp.status_code == 200 and resp.content.startswith("\ufeff".encode())
    assert 'filename="sipas-2025-Q4.csv"' in resp.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Tháng", "Đơn vị", "Lĩnh vực"] and rows[0][-1] == "Góp ý"
    assert len(rows) == 5 and [r[0] for r in rows[1:]] == ["2025-10"] + ["2025-11"] * 3
    tc1 = rows[0].index("tc1")
    assert sorted(r[tc1] for r in rows[2:]) == ["2", "4", "5"]
    xlsx = admin_api.get("/api/v1/sipas/answers", params={"period": "2025-Q4", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:2] == ["Tháng", "Đơn vị"]
    assert sheet.max_row == 5


def test_exports_are_for_coordinators(small_app, clean_db, clock, hand) -> None:
    with bearer(small_app, clean_db, clock, username="ld", role="viewer") as viewer:
        assert viewer.get("/api/v1/sipas/answers").status_code == 403


def test_a_new_questionnaire_version_is_published_and_old_answers_keep_theirs(
    admin_api: TestClient, hand, clean_db: Engine
) -> None:
    versions = admin_api.get("/api/v1/sipas/questionnaires").json()
    assert [(v["version"], v["status"]) for v in versions] == [("2025.1", "published")]
    content = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    content["version"] = "2026.1"
    content["factors"][0]["criteria"][0]["text"] = "Biển chỉ dẫn rõ ràng."
    duplicate = {
        **content,
        "expectations": content["expectations"] + [{"code": "tc1", "text": "x"}],
    }
    refused = admin_api.post("/api/v1/sipas/questionnaires", json=duplicate)
    assert refused.status_code == 422 and "Mã câu hỏi bị trùng: tc1" in refused.text
    assert admin_api.post("/api/v1/sipas/questionnaires", json=content).status_code == 201
    assert admin_api.post("/api/v1/sipas/questionnaires", json=content).status_code == 409
    published = admin_api.post("/api/v1/sipas/questionnaires/2026.1/publish").json()
    assert published["status"] == "published"
    statuses = {
        v["version"]: v["status"] for v in admin_api.get("/api/v1/sipas/questionnaires").json()
    }
    assert statuses == {"2025.1": "retired", "2026.1": "published"}
    # The index reads one version: the new one has no answers yet, the old ones keep theirs.
    body = admin_api.get("/api/v1/sipas", params={"period": "2025-11"}).json()
    assert body["questionnaire_version"] == body["ward_version"] == "2026.1"
    assert body["index"]["responses"] == 0 and body["index"]["satisfaction"] is None
    assert body["index"]["factors"][0]["criteria"][0]["text"] == "Biển chỉ dẫn rõ ràng."
    assert [(v["version"], v["responses"], v["in_force"]) for v in body["versions"]] == [
        ("2025.1", 3, False),
        ("2026.1", 0, True),
    ]
    old = admin_api.get("/api/v1/sipas", params={"period": "2025-11", "version": "2025.1"})
    assert old.json()["questionnaire_version"] == "2025.1"
    assert old.json()["index"]["satisfaction"] == pytest.approx(54.1667, abs=1e-3)
    assert old.json()["index"]["factors"][0]["criteria"][0]["text"] != "Biển chỉ dẫn rõ ràng."
    with Session(clean_db) as session:
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.actor_username).where(
                AuditEvent.entity == "sipas_questionnaire"
            )
        ).all()
    assert ("update", "admin") in actions and ("create", "admin") in actions


def test_publishing_is_for_coordinators(small_app, clean_db, clock) -> None:
    with bearer(small_app, clean_db, clock, username="tt", role="reporter", unit="ttpvhcc") as c:
        assert c.post("/api/v1/sipas/questionnaires/2025.1/publish").status_code == 403


def test_the_api_needs_credentials(anon: TestClient) -> None:
    assert anon.get("/api/v1/sipas").status_code == 401
    assert anon.post("/api/v1/sipas/codes", json={"dossiers": []}).status_code == 401
