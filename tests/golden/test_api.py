"""The golden month through ``GET /api/v1/scores`` and ``/api/v1/scores/units/{code}``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.golden.conftest import (
    AREA_SUMS,
    EXPECTED_AREAS,
    EXPECTED_UNITS,
    HEADLINE,
    PERIOD,
    UNIT_FIGURES,
    UNITS,
    WARD_DOMAINS,
    WARD_INDICATORS,
    WARD_SCORE,
)

TWO = 0.005  # figures of expected.md shown with two decimals


def get(client: TestClient, url: str, **params: Any) -> dict[str, Any]:
    resp = client.get(url, params={"period": PERIOD, **params})
    assert resp.status_code == 200, resp.text
    return resp.json()


def by(items: list[dict[str, Any]], key: str = "code") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_the_ward_summary_matches_the_hand_computed_month(month: TestClient) -> None:
    summary = get(month, "/api/v1/scores")
    assert summary["period"] == PERIOD and summary["has_data"] is True
    units = by(summary["units"])
    assert [u["code"] for u in summary["units"]] == ["vp", "ttpvhcc", "vhxh", "kthtdt", "mttq"]
    for code, want in EXPECTED_UNITS.items():
        got, figures = units[code], UNIT_FIGURES[code]
        assert got["score"] == pytest.approx(want["score"], abs=TWO), code
        assert got["score"] == pytest.approx(figures["score"], abs=1e-9), code
        assert (got["rank"], got["classification"]) == (want["rank"], want["band"]), code
        assert got["tasks"] == pytest.approx(figures["tasks"], abs=1e-9), code
        assert got["indicators"] == pytest.approx(figures["indicator_mean"], abs=1e-9), code
        assert got["reporting"] == pytest.approx(figures["reporting"], abs=1e-9), code
        assert got["report_state"] == figures["report_state"], code
        assert got["data_state"] == figures["data_state"], code
        assert got["overdue"] == figures["overdue"], code
        assert (got["coverage"]["reported"], got["coverage"]["expected"]) == (
            figures["reported"],
            figures["expected"],
        ), code
    headline = summary["headline"]
    assert {k: headline[k] for k in HEADLINE} == HEADLINE
    assert headline["ward_score"] == pytest.approx(WARD_SCORE, abs=TWO)
    indicators = by(summary["indicators"])
    for code, (value, attainment, met) in WARD_INDICATORS.items():
        got = indicators[code]
        assert got["value"] == pytest.approx(value, abs=1e-9), code
        assert got["attainment"] == pytest.approx(attainment, abs=1e-9), code
        assert got["met"] is met, code
    tthc = indicators["tthc_ontime"]
    assert tthc["worst_domain"] == "dat-dai"
    domains = by(tthc["domains"], "domain")
    assert set(domains) == set(WARD_DOMAINS)
    for domain, (value, target, met) in WARD_DOMAINS.items():
        assert domains[domain]["value"] == pytest.approx(value, abs=1e-9), domain
        assert (domains[domain]["target"], domains[domain]["met"]) == (target, met), domain
    areas = by(summary["areas"])
    for code, percent in EXPECTED_AREAS.items():
        total, items = AREA_SUMS[code]
        assert len(areas[code]["items"]) == items, code
        assert areas[code]["percent"] == pytest.approx(100 * total / items, abs=1e-9), code
        assert areas[code]["percent"] == pytest.approx(percent, abs=TWO), code
    overdue = [(t["assignment"], sorted(u["code"] for u in t["units"])) for t in summary["overdue"]]
    assert overdue == [("II.1.2.1", ["kthtdt", "vp"])]


@pytest.mark.parametrize("code", UNITS)
def test_each_unit_breakdown_matches_the_table(month: TestClient, code: str) -> None:
    got, figures = get(month, f"/api/v1/scores/units/{code}"), UNIT_FIGURES[code]
    assert got["score"] == pytest.approx(EXPECTED_UNITS[code]["score"], abs=TWO)
    assert (got["rank"], got["ranked_units"]) == (EXPECTED_UNITS[code]["rank"], 5)
    assert got["classification"] == EXPECTED_UNITS[code]["band"]
    tasks = got["tasks"]
    assert (tasks["counted"], tasks["expected"], tasks["reported"]) == (
        figures["task_count"],
        figures["expected"],
        figures["reported"],
    )
    scored = [t["credit"] for t in tasks["items"] if t["required"] and t["credit"] is not None]
    assert sum(scored) == pytest.approx(figures["task_sum"], abs=1e-9)
    assert tasks["score"] == pytest.approx(figures["tasks"], abs=1e-9)
    attainments = {i["code"]: i["attainment"] for i in got["indicators"]["items"]}
    assert {k: v for k, v in attainments.items() if v is not None} == pytest.approx(
        figures["indicators"], abs=1e-9
    )
    assert got["reporting"]["score"] == pytest.approx(figures["reporting"], abs=1e-9)
    components = by(got["components"], "name")
    assert sum(c["contribution"] for c in got["components"]) == got["score"]
    assert components["tasks"]["contribution"] == pytest.approx(40 * figures["tasks"], abs=1e-9)
    assert components["reporting"]["contribution"] == pytest.approx(
        20 * figures["reporting"], abs=1e-9
    )


def test_the_rules_the_month_was_built_to_exercise(month: TestClient) -> None:
    """Each special case of the month, checked where it shows."""
    vhxh = get(month, "/api/v1/scores/units/vhxh")["tasks"]["items"]
    coordinated = by(vhxh, "assignment")["II.2.3.4"]
    assert (coordinated["required"], coordinated["credit"]) == (False, None)  # shown, not scored
    mttq = by(get(month, "/api/v1/scores/units/mttq")["tasks"]["items"], "assignment")
    assert (mttq["II.1.1.3"]["credit"], mttq["II.1.1.3"]["status"]) == (0.0, None)  # Nov. ignored
    vp = get(month, "/api/v1/scores/units/vp")
    assert by(vp["tasks"]["items"], "assignment")["II.2.2.2"]["percent_complete"] == 60
    assert vp["reporting"]["state"] == "on_time"  # returned, resubmitted: the first sending counts
    readings = month.get(
        "/api/v1/readings",
        params={"indicator": "tthc_ontime", "unit": "ttpvhcc", "period": PERIOD},
    ).json()["items"]
    dat_dai = next(r for r in readings if r["domain"] == "dat-dai")
    assert (dat_dai["source"], dat_dai["value"], dat_dai["reported_value"]) == ("computed", 90, 99)
    assert dat_dai["conflict"] is True
