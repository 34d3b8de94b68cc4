"""Figures a ward can sign: per-domain targets, data states, approved-only rankings, the default
period. Hand-computed on the ward of ``conftest`` (October 2025, clock on 20/11/2025)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import Actor
from app.clock import FixedClock
from app.reporting import transitions
from tests.scores.conftest import EXPECTED, browser_for, open_for_edit, progress, reading

URL = "/api/v1/scores"
ADMIN = Actor(username="admin", role="admin")


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> dict[str, Any]:
    resp = client.get(url, params=params)
    assert resp.status_code == status, resp.text
    return resp.json()


def by(items: list[dict[str, Any]], key: str = "code") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_khieu_nai_to_cao_is_judged_against_95_and_the_others_against_98(
    ward: TestClient,
) -> None:
    """Plan 84 I.2: ≥ 98 % on time in each domain, except khiếu nại, tố cáo at ≥ 95 %."""
    indicator = get(ward, "/api/v1/indicators/tthc_ontime")
    assert indicator["domain_targets"] == {"khieu-nai-to-cao": 95.0}
    open_for_edit(ward, "ttpvhcc")
    reading(
        ward,
        indicator="tthc_ontime",
        unit="ttpvhcc",
        period="2025-10",
        domain="khieu-nai-to-cao",
        numerator=96,
        denominator=100,
    )
    tthc = by(get(ward, URL, period="2025-10")["indicators"])["tthc_ontime"]
    domains = by(tthc["domains"], "domain")
    # 96 % meets 95 % (it would fail 98 %); đất đai at 97 % still fails 98 %.
    assert (domains["khieu-nai-to-cao"]["target"], domains["khieu-nai-to-cao"]["met"]) == (95, True)
    assert domains["khieu-nai-to-cao"]["formula"] == "chỉ tiêu ≥ 95: min(96 / 95 ; 1) = 1,000"
    assert (domains["dat-dai"]["target"], domains["dat-dai"]["met"]) == (98, False)
    assert tthc["worst_domain"] == "dat-dai" and tthc["met"] is False


def test_domain_targets_are_validated(ward: TestClient) -> None:
    url = "/api/v1/indicators/tthc_ontime"
    unknown = ward.patch(url, json={"domain_targets": {"khong-co": 90}})
    assert unknown.status_code == 422
    assert "khong-co" in unknown.json()["detail"]["errors"][0]["message"]
    too_high = ward.patch(url, json={"domain_targets": {"ho-tich": 101}})
    assert too_high.status_code == 422
    flat = ward.patch(
        "/api/v1/indicators/complaint_ontime", json={"domain_targets": {"ho-tich": 90}}
    )
    assert flat.status_code == 422
    assert flat.json()["detail"]["errors"][0]["code"] == "not_disaggregated"
    ok = ward.patch(url, json={"domain_targets": {"khieu-nai-to-cao": 95, "dat-dai": 96}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["domain_targets"] == {"dat-dai": 96.0, "khieu-nai-to-cao": 95.0}
    # đất đai at 97 % now meets its own 96 %.
    tthc = by(get(ward, URL, period="2025-10")["indicators"])["tthc_ontime"]
    assert by(tthc["domains"], "domain")["dat-dai"]["met"] is True


def test_approved_only_ranks_only_approved_units_and_pools_only_their_readings(
    ward: TestClient, seeded: Session, clock: FixedClock
) -> None:
    transitions.approve(db_session=seeded, actor=ADMIN, clock=clock, unit="vp", period="2025-10")
    everything = get(ward, URL, period="2025-10")
    assert by(everything["units"])["vp"]["data_state"] == "approved"
    assert everything["headline"]["units_approved"] == 1
    assert everything["headline"]["data_state"] == "draft"  # the weakest unit's state
    approved = get(ward, URL, period="2025-10", basis="approved")
    assert approved["basis"] == "approved"
    units = by(approved["units"])
    assert units["vp"]["score"] == pytest.approx(EXPECTED["vp"]) and units["vp"]["rank"] == 1
    for code in ("ttpvhcc", "kthtdt", "mttq", "vhxh"):
        assert units[code]["score"] is None and units[code]["rank"] is None, code
        assert "chưa được duyệt" in units[code]["formula"]
    complaint = by(approved["indicators"])["complaint_ontime"]
    # Only vp's 90/100 is approved: 90 % against ≥ 95 %, not the pooled 95 % of all readings.
    assert complaint["value"] == pytest.approx(90) and complaint["met"] is False
    assert complaint["data_state"] == "approved"
    assert by(approved["indicators"])["tthc_ontime"]["value"] is None  # ttpvhcc not approved
    pooled = by(everything["indicators"])["complaint_ontime"]
    assert pooled["value"] == pytest.approx(95) and pooled["data_state"] == "draft"  # mttq draft


def test_the_default_period_is_the_latest_with_data(ward: TestClient) -> None:
    """On 20/11/2025 November is in progress: with no data it would show October; once a
    November figure exists, November."""
    assert get(ward, URL)["period"] == "2025-10"
    progress(ward, assignment="II.2.2.1", unit="vp", period="2025-11", status="done")
    assert get(ward, URL)["period"] == "2025-11"


def test_the_page_offers_approved_only_and_keeps_it_in_links(
    application: FastAPI, ward: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    with browser_for(application, clean_db, clock, username="lanh.dao", role="viewer") as viewer:
        html = viewer.get("/scores", params={"period": "2025-10", "basis": "approved"}).text
    assert '<option value="approved" selected>Chỉ báo cáo đã duyệt</option>' in html
    assert "Chỉ tính báo cáo đã được duyệt: 0/5 đơn vị được xếp hạng" in html
    assert "basis=approved" in html  # links keep the choice
