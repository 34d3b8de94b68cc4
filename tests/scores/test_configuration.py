"""The scoring configuration: the shipped file, admins' audited overrides, and their effect."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.scoring.config import load_default_config
from tests.scores.conftest import EXPECTED, bearer

URL = "/api/v1/scores/config"


def config(**changes: Any) -> dict[str, Any]:
    data = load_default_config().model_dump(mode="json")
    data.update(changes)
    return data


def vp_score(client: TestClient) -> float:
    units = client.get("/api/v1/scores", params={"period": "2025-10"}).json()["units"]
    return next(u["score"] for u in units if u["code"] == "vp")


def test_the_shipped_file_is_in_force_by_default(api: TestClient) -> None:
    body = api.get(URL).json()
    assert body["source"] == "file" and body["config"]["version"] == "2026.0"
    assert body["config"]["bands"][0] == {
        "min_score": 90.0,
        "label": "Hoàn thành xuất sắc nhiệm vụ",
    }


def test_an_override_changes_scores_and_is_audited(ward: TestClient, seeded: Session) -> None:
    new = config(
        version="2025.2",
        weights={"tasks": 50, "indicators": 50, "reporting": 0},
        late_credit=0.25,
        area_max_points={"par3": 9.5},
    )
    resp = ward.put(URL, json={"config": new, "note": "Bỏ phần báo cáo", "base_version": "2026.0"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["source"] == "override" and resp.json()["changed_by"] == "admin"
    assert vp_score(ward) == pytest.approx(50 * 1.6 / 46 + 50 * 90 / 95)
    summary = ward.get("/api/v1/scores", params={"period": "2025-10"}).json()
    assert summary["config_version"] == "2025.2" and summary["config_source"] == "override"
    par3 = next(a for a in summary["areas"] if a["code"] == "par3")
    assert par3["max_points"] == 9.5
    assert par3["points"] == pytest.approx(9.5 * (97 / 98 + 1) / 18)
    assert par3["formula"].endswith(f"× 9,5 = {par3['points']:.2f}".replace(".", ",") + " điểm")
    b = ward.get("/api/v1/scores/units/ttpvhcc", params={"period": "2025-10"}).json()
    assert b["config"]["late_credit"] == 0.25
    assert b["reporting"]["score"] == 0.25  # still shown, though its weight is now 0
    events = seeded.exec(select(AuditEvent).where(AuditEvent.entity == "scoring_config")).all()
    assert len(events) == 1
    assert events[0].entity_key == "2025.2" and events[0].action == "update"
    assert events[0].before["config"]["version"] == "2026.0"
    assert events[0].after["config"]["weights"]["reporting"] == 0


def test_version_labels_are_never_reused(api: TestClient) -> None:
    same = api.put(URL, json={"config": config(version="2026.0")})
    assert same.status_code == 409 and same.json()["detail"]["code"] == "version_taken"
    assert api.put(URL, json={"config": config(version="2026.1")}).status_code == 200
    again = api.put(URL, json={"config": config(version="2026.1", late_credit=0.2)})
    assert again.status_code == 409


def test_a_stale_base_version_is_409(api: TestClient) -> None:
    assert api.put(URL, json={"config": config(version="2026.1")}).status_code == 200
    stale = api.put(URL, json={"config": config(version="2026.2"), "base_version": "2026.0"})
    assert stale.status_code == 409
    assert stale.json()["detail"]["errors"][0]["field"] == "base_version"


def test_invalid_configuration_is_422_in_vietnamese(api: TestClient) -> None:
    bands = [{"min_score": 50, "label": "A"}, {"min_score": 80, "label": "B"}]
    resp = api.put(URL, json={"config": config(version="x1", bands=bands)})
    assert resp.status_code == 422
    assert "giảm dần" in resp.json()["detail"]["errors"][0]["message"]


def test_reset_returns_to_the_file_and_history_keeps_everything(ward: TestClient) -> None:
    ward.put(
        URL,
        json={
            "config": config(
                version="2026.1", weights={"tasks": 1, "indicators": 0, "reporting": 0}
            )
        },
    )
    assert vp_score(ward) == pytest.approx(100 * 1.6 / 46)
    resp = ward.request("DELETE", URL, json={"note": "Quay lại cấu hình gốc"})
    assert resp.status_code == 200 and resp.json()["source"] == "file"
    assert vp_score(ward) == pytest.approx(EXPECTED["vp"])
    history = ward.get(f"{URL}/history").json()
    assert history["total"] == 2
    assert [(h["source"], h["version"]) for h in history["items"]] == [
        ("file", "2026.0"),
        ("override", "2026.1"),
    ]
    assert ward.request("DELETE", URL).status_code == 200  # already on the file: nothing to do
    assert ward.get(f"{URL}/history").json()["total"] == 2


@pytest.mark.parametrize("role", ["coordinator", "viewer", "reporter"])
def test_only_admins_change_the_rules(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock, role: str
) -> None:
    unit = "vp" if role == "reporter" else None
    with bearer(application, clean_db, clock, username=f"u-{role}", role=role, unit=unit) as c:
        assert c.get(URL).status_code == 200
        assert c.put(URL, json={"config": config(version="9.9")}).status_code == 403
        assert c.request("DELETE", URL).status_code == 403
