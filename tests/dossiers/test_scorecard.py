"""The Decision 766 scorecard: points from hand-counted dossiers, exclusions, trend, page."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.dossiers.scorecard import GroupConfig, ScorecardConfig, load_config, points_for
from tests.accounts.test_pages import login
from tests.conftest import make_token, make_user
from tests.dossiers.test_feeds import FEEDBACK_ROWS, OCTOBER
from tests.uploads.conftest import send_csv


def test_the_configuration_adds_up_to_100_points_in_5_groups() -> None:
    config = load_config()
    assert [g.max for g in config.groups] == [18, 20, 22, 22, 18]
    digitisation = {m.code: m.max for m in config.groups[2].metrics}
    assert (digitisation["e_results"], digitisation["digitized"], digitisation["reuse"]) == (
        6,
        4,
        2,
    )


def test_a_group_whose_metrics_do_not_add_up_is_refused() -> None:
    with pytest.raises(ValueError, match="phải bằng điểm của nhóm"):
        GroupConfig.model_validate(
            {
                "code": "x",
                "label": "X",
                "max": 10,
                "metrics": [{"code": "a", "label": "A", "max": 6, "source": "reading:a"}],
            }
        )


@pytest.mark.parametrize(
    ("value", "conversion", "full_at", "points"),
    [
        (50, "linear", 100, 3),
        (100, "linear", 100, 6),
        (0, "linear", 100, 0),
        (90, "threshold", 90, 6),
        (45, "threshold", 90, 3),
        (99, "threshold", 90, 6),
    ],
)
def test_points_for(value: float, conversion: str, full_at: float, points: float) -> None:
    assert points_for(value, 6, conversion=conversion, full_at=full_at) == pytest.approx(
        points, abs=1e-4
    )


def test_a_better_rate_never_scores_less() -> None:
    for conversion in ("linear", "threshold"):
        scores = [points_for(v, 12, conversion=conversion, full_at=80) for v in range(0, 101)]
        assert scores == sorted(scores)


def test_scorecard_from_hand_counted_dossiers(api: TestClient) -> None:
    send_csv(api, "/api/v1/dossiers/bulk", OCTOBER)
    card = api.get("/api/v1/scorecards/766", params={"unit": "ttpvhcc", "period": "2025-10"})
    assert card.status_code == 200, card.text
    body = card.json()
    metrics = {m["code"]: m for g in body["groups"] for m in g["metrics"]}
    # completed in October at ttpvhcc: D1 D2 D3 D5, on time D1 D2 D5; D3 rescheduled
    assert (
        metrics["dossiers_on_time"]["numerator"],
        metrics["dossiers_on_time"]["denominator"],
    ) == (3, 4)
    assert metrics["dossiers_on_time"]["points"] == pytest.approx(0.75 * 14, abs=1e-4)
    assert metrics["not_rescheduled"]["points"] == pytest.approx(0.75 * 6, abs=1e-4)
    # received in October: D1..D6; online D1 D4; paid online D1
    assert metrics["online_dossiers"]["points"] == pytest.approx(2 / 6 * 12, abs=1e-4)
    assert metrics["online_payment"]["points"] == pytest.approx(1 / 6 * 10, abs=1e-4)
    assert metrics["e_results"]["points"] == pytest.approx(2 / 4 * 6, abs=1e-4)
    # no source in the plan: not measured, neither awarded nor counted as a 0
    assert metrics["satisfaction_index"]["status"] == "not_measured"
    assert metrics["satisfaction_index"]["status_label"] == "chưa đo"
    assert metrics["satisfaction_index"]["points"] == 0
    group_points = {g["code"]: g["points"] for g in body["groups"]}
    assert body["points"] == pytest.approx(sum(group_points.values()))
    assert body["max"] == 100
    # measured: progress 20, digitisation 12 (not results_digitized 10), online 22;
    # not: transparency (no reading), feedback on time (no feedback), SIPAS
    assert body["measured_max"] == 20 + 12 + 22
    assert body["measured_share"] == pytest.approx(54)
    assert body["percent"] == pytest.approx(body["points"] / 54 * 100)
    assert [t["period"] for t in body["trend"]] == ["2025-10"]


def test_the_ward_adds_up_its_units(api: TestClient) -> None:
    send_csv(api, "/api/v1/dossiers/bulk", OCTOBER)
    send_csv(api, "/api/v1/feedback/bulk", FEEDBACK_ROWS)
    body = api.get("/api/v1/scorecards/766", params={"period": "2025-10"}).json()
    metrics = {m["code"]: m for g in body["groups"] for m in g["metrics"]}
    assert (
        metrics["dossiers_on_time"]["numerator"],
        metrics["dossiers_on_time"]["denominator"],
    ) == (3, 5)
    # feedback resolved in October: F1 F2 F3, on time F1 F3
    assert metrics["feedback_on_time"]["points"] == pytest.approx(2 / 3 * 6, abs=1e-4)
    november = api.get("/api/v1/scorecards/766", params={"period": "2025-11"}).json()
    assert [t["period"] for t in november["trend"]] == ["2025-10", "2025-11"]


def test_metrics_that_do_not_apply_leave_the_maximum(seeded: Session, clock: FixedClock) -> None:
    from app.actors import SYSTEM
    from app.dossiers.scorecard import scorecard_766

    raw = load_config().model_dump()
    for metric in raw["groups"][0]["metrics"]:
        if metric["code"] == "portal_synced":
            metric["applies"] = False
    config = ScorecardConfig.model_validate(raw)
    card = scorecard_766(
        db_session=seeded, actor=SYSTEM, clock=clock, period="2025-10", config=config
    )
    transparency = card.groups[0]
    assert (transparency.max, transparency.applicable_max, transparency.measured_max) == (18, 10, 0)
    assert card.max == 92
    synced = next(m for m in transparency.metrics if m.code == "portal_synced")
    assert (synced.status, synced.points) == ("not_applicable", 0)


def test_the_page_and_its_fragment(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="lanh.dao", role="viewer")
    with TestClient(application) as browser:
        login(browser, "lanh.dao")
        page = browser.get("/scorecards/766", params={"period": "2025-10"})
        assert page.status_code == 200
        assert "Quyết định 766/QĐ-TTg" in page.text and "Số hóa hồ sơ" in page.text
        assert "Xu hướng" in page.text and "style=" not in page.text
        fragment = browser.get(
            "/scorecards/766",
            params={"period": "2025-10", "unit": "ttpvhcc"},
            headers={"HX-Request": "true"},
        )
        assert fragment.status_code == 200 and "<html" not in fragment.text
        heading = fragment.text.split("<h2>", 1)[1].split("</h2>", 1)[0]
        assert heading.startswith("Tháng 10/2025 · TTPVHCC:")  # the unit's name, not its code
        assert "ttpvhcc" not in heading
        bad = browser.get("/scorecards/766", params={"period": "2025-13"})
        assert bad.status_code == 422


def test_the_scorecard_is_monthly_in_2026_and_marks_what_is_not_measured(
    application: FastAPI, seeded: Session, clean_db: Engine
) -> None:
    """Plan 84 reports quarterly in 2026; the scorecard stays monthly (and offers quarters)."""
    from datetime import date

    april = FixedClock.on(date(2026, 4, 10))
    application.state.clock = april
    make_user(clean_db, april, username="lanh.dao", role="viewer")
    march = OCTOBER.replace("2025-10", "2026-03").replace("/10/2025", "/03/2026")
    march = march.replace("2025-11", "2026-04")
    token = make_token(clean_db, april, username="admin2", role="admin")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as api:
        assert send_csv(api, "/api/v1/dossiers/bulk", march).status_code == 200
        body = api.get(
            "/api/v1/scorecards/766", params={"unit": "ttpvhcc", "period": "2026-03"}
        ).json()
        quarter = api.get("/api/v1/scorecards/766", params={"period": "2026-Q1"})
        year = api.get("/api/v1/scorecards/766", params={"period": "2026"})
    assert body["period"] == "2026-03" and body["period_label"] == "Tháng 03/2026"
    metrics = {m["code"]: m for g in body["groups"] for m in g["metrics"]}
    assert metrics["dossiers_on_time"]["status"] == "measured"
    assert metrics["dossiers_on_time"]["rate"] == pytest.approx(75)
    # the plan has no indicator for it: no source, "chưa đo", no points, out of measured_max
    synced = metrics["portal_synced"]
    assert (synced["status"], synced["status_label"], synced["points"]) == (
        "not_measured",
        "chưa đo",
        0,
    )
    assert synced["source_label"] == "Chưa có nguồn số liệu"
    assert metrics["tthc_published"]["source_label"] == (
        "Chỉ tiêu: Tỷ lệ TTHC và kết quả giải quyết hồ sơ TTHC được công khai"
    )
    groups = {g["code"]: g for g in body["groups"]}
    assert (groups["transparency"]["max"], groups["transparency"]["measured_max"]) == (18, 0)
    digitisation = groups["digitisation"]  # results_digitized (10) has no source
    assert (digitisation["max"], digitisation["measured_max"]) == (22, 12)
    measured = [m for m in digitisation["metrics"] if m["status"] == "measured"]
    assert digitisation["points"] == pytest.approx(sum(m["points"] for m in measured))
    assert body["measured_max"] == 54 and body["max"] == 100
    assert [t["period"] for t in body["trend"]][-3:] == ["2026-01", "2026-02", "2026-03"]
    assert quarter.status_code == 200 and quarter.json()["period_label"] == "Quý I/2026"
    assert year.status_code == 422

    with TestClient(application) as browser:
        login(browser, "lanh.dao")
        page = browser.get("/scorecards/766", params={"unit": "ttpvhcc", "period": "2026-03"})
    assert page.status_code == 200
    text = page.text
    assert "reading:" not in text and "computed:" not in text
    assert "chưa đo" in text and "Đo được 54/100 điểm" in text
    assert "Tính từ hồ sơ TTHC" in text and "Chưa có nguồn số liệu" in text
    assert '<option value="2026-03" selected>Tháng 03/2026</option>' in text
    assert '<option value="2026-04">Tháng 04/2026</option>' in text
    assert '<option value="2025-10">Tháng 10/2025</option>' in text
    assert '<option value="2026-Q1">Quý I/2026</option>' in text
