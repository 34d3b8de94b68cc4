"""``/api/v1/scores``: the hand-computed ward of ``conftest.py``, checked number by number."""

from __future__ import annotations

import math
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.scores.conftest import COVERAGE, EXPECTED, open_for_edit, progress, reading

URL = "/api/v1/scores"
EXCELLENT, GOOD, DONE, FAILED = (
    "Hoàn thành xuất sắc nhiệm vụ",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành nhiệm vụ",
    "Không hoàn thành nhiệm vụ",
)


def get(client: TestClient, url: str, status: int = 200, **params: Any) -> dict[str, Any]:
    resp = client.get(url, params=params)
    assert resp.status_code == status, resp.text
    return resp.json()


def by(items: list[dict[str, Any]], key: str = "code") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def test_ward_summary_units_ranks_ties_and_classifications(ward: TestClient) -> None:
    summary = get(ward, URL, period="2025-10")
    assert summary["period"] == "2025-10" and summary["period_label"] == "Tháng 10/2025"
    assert summary["has_data"] is True and summary["as_of"] == "2025-10-31"
    units = by(summary["units"])
    for code, expected in EXPECTED.items():
        if expected is None:
            assert units[code]["score"] is None
        else:
            assert units[code]["score"] == pytest.approx(expected, abs=1e-9), code
    assert [u["code"] for u in summary["units"]] == ["vp", "ttpvhcc", "kthtdt", "mttq", "vhxh"]
    assert {c: u["rank"] for c, u in units.items()} == {
        "vp": 1,
        "ttpvhcc": 2,
        "kthtdt": 3,
        "mttq": 3,
        "vhxh": 5,
    }
    assert units["kthtdt"]["score"] == units["mttq"]["score"]  # an exact tie
    assert units["vp"]["classification"] == DONE
    assert units["ttpvhcc"]["classification"] == DONE
    assert units["vhxh"]["classification"] == "Không hoàn thành nhiệm vụ"
    assert units["vp"]["formula"] == "40 × 0,035 + 40 × 0,947 + 20 × 1,000 = 59,29"
    assert units["kthtdt"]["formula"] == "40 × 0,000 + 40 × 1,000 + 20 × 0,000 = 40,00"
    for code, (reported, expected) in COVERAGE.items():
        assert (units[code]["coverage"]["reported"], units[code]["coverage"]["expected"]) == (
            reported,
            expected,
        ), code
    # Nothing is approved yet: vp and ttpvhcc sent theirs, the others never did.
    assert {c: u["data_state"] for c, u in units.items()} == {
        "vp": "submitted",
        "ttpvhcc": "submitted",
        "kthtdt": "draft",
        "mttq": "draft",
        "vhxh": "draft",
    }
    assert {c: u["report_state"] for c, u in units.items()} == {
        "vp": "on_time",
        "ttpvhcc": "late",
        "kthtdt": "missing",
        "mttq": "missing",
        "vhxh": "missing",
    }
    assert units["ttpvhcc"]["reporting"] == 0.5
    assert units["ttpvhcc"]["tasks"] == pytest.approx(1 / 48)


def test_ward_indicators_pool_units_and_judge_each_domain(ward: TestClient) -> None:
    summary = get(ward, URL, period="2025-10")
    indicators = by(summary["indicators"])
    complaint = indicators["complaint_ontime"]
    # (90 + 100) / (100 + 100): the ward meets 95 % although vp alone (90 %) does not.
    assert complaint["value"] == pytest.approx(95) and complaint["met"] is True
    assert complaint["light"] == "green"
    assert complaint["domains"][0]["units"] == 2
    assert complaint["domains"][0]["aggregation"] == (
        "Σ tử số / Σ mẫu số = 190 / 200 × 100 = 95 (2 đơn vị)"
    )
    tthc = indicators["tthc_ontime"]
    assert tthc["worst_domain"] == "dat-dai" and tthc["value"] == 97
    assert tthc["met"] is False and tthc["light"] == "amber"
    assert tthc["attainment"] == pytest.approx(97 / 98)
    assert {d["domain"]: d["met"] for d in tthc["domains"]} == {"dat-dai": False, "ho-tich": True}
    assert tthc["formula"] == (
        "kém nhất trong 2 lĩnh vực: Đất đai — chỉ tiêu ≥ 98: min(97 / 98 ; 1) = 0,990"
    )
    assert indicators["disbursement"]["light"] == "green"  # "= 100" met exactly
    assert indicators["socioeconomic_targets"]["light"] == "grey"
    assert indicators["socioeconomic_targets"]["value"] is None
    headline = summary["headline"]
    assert (headline["targets_total"], headline["targets_with_data"], headline["targets_met"]) == (
        15,
        4,
        3,
    )
    assert (headline["units_expected"], headline["units_on_time"], headline["units_late"]) == (
        5,
        1,
        1,
    )
    assert headline["units_missing"] == 3 and headline["units_not_due"] == 0
    scored = [s for s in EXPECTED.values() if s is not None]
    assert headline["ward_score"] == pytest.approx(sum(scored) / len(scored))


def test_ward_areas_average_tasks_and_indicators(ward: TestClient) -> None:
    """Every task counts, as the mean over the units that must report it (silence is 0)."""
    areas = by(get(ward, URL, period="2025-10")["areas"])
    # par1: 15 tasks; II.1.1.1 done by vp and ttpvhcc of 5 units (0,4), the rest 0.
    assert areas["par1"]["percent"] == pytest.approx(100 * 0.4 / 15)
    # par2: 8 tasks; II.2.2.1 at 60 % (vp leads it alone), the rest 0.
    assert areas["par2"]["percent"] == pytest.approx(100 * 0.6 / 8)
    # par3: 16 tasks at 0 (II.2.3.1 not started, the rest unreported), tthc 97/98, complaint 1.
    assert areas["par3"]["percent"] == pytest.approx(100 * (97 / 98 + 1) / 18)
    assert areas["par3"]["formula"].endswith("/ 18 (16 nhiệm vụ, 2 chỉ tiêu) = 11,1%")
    # par6: 6 tasks at 0 and disbursement met.
    assert areas["par6"]["percent"] == pytest.approx(100 / 7)
    # par4: nobody reported on its tasks: 0 %, not "no data".
    assert areas["par4"]["percent"] == 0
    assert all(a["points"] is None for a in areas.values())  # no area has max_points yet


def test_overdue_tasks_are_listed_with_lead_units(ward: TestClient) -> None:
    summary = get(ward, URL, period="2025-10")
    overdue = by(summary["overdue"], "assignment")
    assert set(overdue) == {"II.1.1.2", "II.2.2.1", "II.2.2.2"}
    assert overdue["II.2.2.1"]["lead_unit"] == "vp"
    assert [(u["code"], u["status"]) for u in overdue["II.2.2.1"]["units"]] == [
        ("vp", "in_progress")
    ]
    assert [(u["code"], u["status"]) for u in overdue["II.2.2.2"]["units"]] == [("vp", None)]
    # vp said "not applicable", so it is not late; the others never reported.
    assert {u["code"] for u in overdue["II.1.1.2"]["units"]} == {
        "ttpvhcc",
        "kthtdt",
        "mttq",
        "vhxh",
    }
    assert overdue["II.1.1.2"]["lead_unit"] is None
    assert summary["headline"]["overdue_tasks"] == 3
    assert summary["headline"]["overdue_items"] == 6


def test_overdue_is_judged_at_the_end_of_the_period(ward: TestClient) -> None:
    """Seen from September's end nothing was due yet: a past period keeps its own day."""
    progress(ward, assignment="II.2.2.1", unit="vp", period="2025-11", status="done")
    november = get(ward, URL, period="2025-11")
    assert november["as_of"] == "2025-11-20"
    assert "II.2.2.1" not in {t["assignment"] for t in november["overdue"]}
    october = get(ward, URL, period="2025-10")
    assert "II.2.2.1" in {t["assignment"] for t in october["overdue"]}


def test_breakdown_adds_up_and_shows_what_it_used(ward: TestClient) -> None:
    b = get(ward, f"{URL}/units/vp", period="2025-10")
    assert b["score"] == pytest.approx(EXPECTED["vp"])
    assert sum(c["contribution"] for c in b["components"]) == b["score"]  # exactly
    parts = by(b["components"], "name")
    assert parts["tasks"]["contribution"] == pytest.approx(40 * 1.6 / 46)
    assert parts["indicators"]["contribution"] == pytest.approx(40 * 90 / 95)
    assert parts["reporting"]["contribution"] == pytest.approx(20)
    assert [parts[n]["share"] for n in ("tasks", "indicators", "reporting")] == [0.4, 0.4, 0.2]
    assert (b["rank"], b["ranked_units"], b["classification"]) == (1, 5, DONE)
    tasks = by(b["tasks"]["items"], "assignment")
    assert tasks["II.2.2.1"]["credit"] == 0.6 and tasks["II.2.2.1"]["overdue"] is True
    assert tasks["II.2.2.1"]["formula"] == "đang thực hiện 60% = 0,600; quá hạn (hạn 20/10/2025)"
    assert tasks["II.2.2.1"]["period"] == "2025-10" and tasks["II.2.2.1"]["role"] == "lead"
    assert tasks["II.1.1.2"]["credit"] is None and tasks["II.1.1.2"]["overdue"] is False
    assert tasks["II.2.2.2"]["status"] is None and tasks["II.2.2.2"]["overdue"] is True
    assert tasks["II.2.2.2"]["credit"] == 0 and tasks["II.2.2.2"]["formula"].startswith(
        "chưa báo cáo = 0; quá hạn"
    )
    # In the order of the plan (II.1.1.1 done, II.2.2.1 at 60 %), then the tasks never reported.
    assert b["tasks"]["formula"] == "(1 + 0,6 + 44 × 0 (chưa báo cáo)) / 46 = 0,035"
    assert (b["tasks"]["counted"], b["tasks"]["overdue"]) == (46, 2)
    assert (b["tasks"]["reported"], b["tasks"]["expected"]) == (3, 47)
    assert b["coverage"] == {"reported": 3, "expected": 47, "updated": 3}
    assert b["tasks"]["reported"] + b["tasks"]["unreported"] == len(b["tasks"]["items"])
    [complaint] = b["indicators"]["items"]
    assert complaint["code"] == "complaint_ontime" and complaint["light"] == "amber"
    assert complaint["readings"] == [
        {
            "domain": None,
            "domain_name": None,
            "value": 90.0,
            "numerator": 90.0,
            "denominator": 100.0,
            "source": "api",
        }
    ]
    assert b["indicators"]["mean"] == pytest.approx(90 / 95)
    assert b["reporting"]["state"] == "on_time" and b["reporting"]["due_date"] == "2025-11-05"
    assert b["reporting"]["formula"] == "nộp đúng hạn: (1 × 1 + 0 × 0,5 + 0 × 0) / 1 = 1,000"
    assert b["config"]["version"] == "2026.0" and b["config_source"] == "file"
    assert b["config"]["weights"] == {"tasks": 40.0, "indicators": 40.0, "reporting": 20.0}


@pytest.mark.parametrize("unit", ["vp", "ttpvhcc", "kthtdt", "mttq", "vhxh"])
def test_every_breakdown_adds_up_to_the_summary_score(ward: TestClient, unit: str) -> None:
    b = get(ward, f"{URL}/units/{unit}", period="2025-10")
    summary = by(get(ward, URL, period="2025-10")["units"])[unit]
    assert b["score"] == summary["score"] and b["rank"] == summary["rank"]
    total = sum(c["contribution"] for c in b["components"])
    assert total == (b["score"] or 0.0)
    for c in b["components"]:
        expected = 100 * c["share"] * (c["mean"] or 0) if b["score"] is not None else 0
        assert c["contribution"] == pytest.approx(expected, abs=1e-9)
    if b["score"] is not None:
        assert math.isclose(sum(c["share"] for c in b["components"]), 1.0)


def test_domain_breakdown_for_ttpvhcc(ward: TestClient) -> None:
    b = get(ward, f"{URL}/units/ttpvhcc", period="2025-10")
    items = by(b["indicators"]["items"])
    tthc = items["tthc_ontime"]
    assert [(r["domain"], r["value"]) for r in tthc["readings"]] == [
        ("dat-dai", 97.0),
        ("ho-tich", 99.0),
    ]
    assert tthc["worst_domain"] == "dat-dai" and tthc["met"] is False
    assert (
        b["indicators"]["formula"] == "trung bình 2/10 chỉ tiêu có số liệu = 0,995"
    )  # it answers for 10
    assert b["reporting"]["state"] == "late" and b["reporting"]["score"] == 0.5


def test_a_period_without_data_says_so(ward: TestClient) -> None:
    summary = get(ward, URL, period="2025-11")
    assert summary["has_data"] is False
    assert summary["message"].startswith("Kỳ này chưa có số liệu")
    assert all(u["score"] is None and u["rank"] is None for u in summary["units"])
    assert summary["headline"]["ward_score"] is None
    assert all(a["percent"] is None for a in summary["areas"])
    assert summary["headline"]["units_not_due"] == 5  # November's reports are due 05/12


def test_default_period_is_the_latest_ended_one(ward: TestClient) -> None:
    assert get(ward, URL)["period"] == "2025-10"


@pytest.mark.parametrize(
    ("period", "code"),
    [("2025-12", "period_invalid"), ("2025-09", "period_invalid"), ("2025-1", "period_invalid")],
)
def test_bad_periods_are_422(ward: TestClient, period: str, code: str) -> None:
    detail = get(ward, URL, status=422, period=period)["detail"]
    assert detail["errors"][0]["field"] == "period" and detail["errors"][0]["code"] == code


def test_unknown_unit_is_404(ward: TestClient) -> None:
    assert get(ward, f"{URL}/units/khong-co", status=404)["detail"]["code"] == "unit_not_found"


def test_trends(ward: TestClient) -> None:
    ind = get(ward, f"{URL}/trend", indicator="complaint_ontime")
    assert ind["kind"] == "indicator" and ind["target"] == 95 and ind["comparator"] == ">="
    assert [(p["period"], p["value"], p["light"]) for p in ind["points"]] == [
        ("2025-10", pytest.approx(95), "green"),
        ("2025-11", None, "grey"),
    ]
    mine = get(ward, f"{URL}/trend", indicator="complaint_ontime", unit="vp")
    assert [p["value"] for p in mine["points"]] == [90, None]
    unit = get(ward, f"{URL}/trend", unit="vp")
    assert unit["kind"] == "unit_score"
    assert unit["points"][0]["value"] == pytest.approx(EXPECTED["vp"])
    assert unit["points"][0]["classification"] == DONE
    assert unit["points"][1]["value"] is None
    whole = get(ward, f"{URL}/trend", period_from="2025-10", period_to="2025-10")
    assert whole["kind"] == "ward_score" and len(whole["points"]) == 1
    scored = [s for s in EXPECTED.values() if s is not None]
    assert whole["points"][0]["value"] == pytest.approx(sum(scored) / len(scored))
    bad = get(ward, f"{URL}/trend", status=422, period_from="2025-11", period_to="2025-10")
    assert bad["detail"]["errors"][0]["field"] == "period_to"


def test_indicator_detail_lists_every_units_readings(ward: TestClient) -> None:
    d = get(ward, f"{URL}/indicators/complaint_ontime", period="2025-10")
    assert d["unit"] is None and d["indicator"]["value"] == pytest.approx(95)
    assert [(u["unit"]["code"], u["result"]["value"]) for u in d["units"]] == [
        ("mttq", 100.0),
        ("vp", 90.0),
    ]
    one = get(ward, f"{URL}/indicators/complaint_ontime", period="2025-10", unit="vp")
    assert one["unit"] == "vp" and one["indicator"]["value"] == 90
    assert one["indicator"]["light"] == "amber"


def test_reporters_see_their_own_unit_only(ward: TestClient, as_reporter: TestClient) -> None:
    refused = get(as_reporter, URL, status=403, period="2025-10")["detail"]
    assert "/scores/units/vp" in refused["message"]
    own = get(as_reporter, f"{URL}/units/vp", period="2025-10")
    assert own["score"] == pytest.approx(EXPECTED["vp"]) and own["rank"] == 1
    get(as_reporter, f"{URL}/units/ttpvhcc", status=403, period="2025-10")
    narrowed = get(as_reporter, f"{URL}/trend", indicator="complaint_ontime")
    assert narrowed["unit"] == "vp" and narrowed["points"][0]["value"] == 90
    get(as_reporter, f"{URL}/trend", status=403, unit="mttq")


def test_viewers_see_the_ward(ward: TestClient, as_viewer: TestClient) -> None:
    assert len(get(as_viewer, URL, period="2025-10")["units"]) == 5


def test_anonymous_is_401(anon: TestClient) -> None:
    assert anon.get(URL).status_code == 401


def test_a_better_reading_raises_the_score(ward: TestClient) -> None:
    before = by(get(ward, URL, period="2025-10")["units"])["vp"]["score"]
    open_for_edit(ward, "vp")
    reading(
        ward,
        indicator="complaint_ontime",
        unit="vp",
        period="2025-10",
        numerator=95,
        denominator=100,
    )
    after = by(get(ward, URL, period="2025-10")["units"])["vp"]["score"]
    assert after == pytest.approx(40 * 1.6 / 46 + 40 + 20) and after > before
