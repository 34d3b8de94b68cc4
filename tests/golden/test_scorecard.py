"""The golden month through ``GET /api/v1/scorecards/766``: points counted from ``dossiers.csv``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.golden.conftest import PERIOD, SCORECARD, SCORECARD_GROUPS, SCORECARD_METRICS

URL = "/api/v1/scorecards/766"


@pytest.mark.parametrize("unit", [None, "ttpvhcc"])
def test_the_766_scorecard_matches_the_hand_counted_dossiers(
    month: TestClient, unit: str | None
) -> None:
    """The ward's card and the service centre's are the same: every record is the centre's."""
    params = {"period": PERIOD} | ({"unit": unit} if unit else {})
    resp = month.get(URL, params=params)
    assert resp.status_code == 200, resp.text
    card = resp.json()
    groups = {g["code"]: g for g in card["groups"]}
    assert set(groups) == set(SCORECARD_GROUPS)
    for code, (points, measured_max) in SCORECARD_GROUPS.items():
        assert groups[code]["points"] == pytest.approx(points, abs=1e-4), code
        assert groups[code]["measured_max"] == measured_max, code
    metrics = {m["code"]: m for g in card["groups"] for m in g["metrics"]}
    for code, points in SCORECARD_METRICS.items():
        if points is None:
            assert metrics[code]["status"] == "not_measured", code
        else:
            assert metrics[code]["status"] == "measured", code
            assert metrics[code]["points"] == pytest.approx(points, abs=1e-4), code
    assert (
        metrics["dossiers_on_time"]["numerator"],
        metrics["dossiers_on_time"]["denominator"],
    ) == (
        14,
        15,
    )
    assert card["points"] == pytest.approx(SCORECARD["points"], abs=1e-4)
    assert (card["measured_max"], card["max"]) == (SCORECARD["measured_max"], SCORECARD["max"])
    assert card["percent"] == pytest.approx(SCORECARD["percent"], abs=1e-3)
