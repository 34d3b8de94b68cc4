"""The golden month: October 2025 of Phú Định ward, every unit and every task, computed by hand.

The ward is built through the public API as a ward would build it (progress in one bulk file,
readings one by one, TTHC dossiers imported from ``dossiers.csv``, reports submitted, returned,
resubmitted and approved on the days named below); the clock then stands on 20/11/2025, so
October's reports (due 05/11/2025) count and November's do not.

``EXPECTED`` mirrors the table in ``expected.md`` figure by figure. Both were written by hand from
the rules in ``docs/scores.md``; nothing here calls the scoring code. Each output test (API, page,
docx, xlsx, PDF, scorecard) compares what it shows with these numbers.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.clock import FixedClock

PERIOD = "2025-10"
UNITS = ("vhxh", "vp", "ttpvhcc", "kthtdt", "mttq")
DOSSIERS = Path(__file__).with_name("dossiers.csv")

# --- what each unit reported on each task (the table of expected.md, section 1) ------------------
# D done (1) · a number: in progress at that percent · N not started (0) · A not applicable (left
# out) · U never reported (0, "chưa báo cáo"). Columns: vhxh vp ttpvhcc kthtdt mttq.
ALL_UNIT_TASKS = """
II.1.1.1  D   D   D   D   D
II.1.1.2  D   50  D   A   D
II.1.1.3  80  D   D   D   U
II.1.1.4  D   D   40  N   D
II.1.1.5  D   D   D   D   D
II.1.1.6  D   U   D   D   A
III.1.1   D   D   D   D   D
III.1.2   D   D   D   90  D
III.1.3   70  D   D   D   D
II.1.2.1  D   60  D   N   A
II.1.2.2  D   D   D   D   D
II.1.2.3  A   D   A   A   A
II.1.2.4  D   D   U   D   D
II.1.3.1  D   D   D   D   D
II.1.3.2  D   D   90  D   D
II.1.3.3  D   D   D   D   D
II.1.3.4  D   D   D   U   D
II.1.3.5  D   D   D   D   D
II.1.3.6  50  50  75  50  50
II.1.3.7  D   D   D   D   D
II.1.3.8  D   N   D   D   D
II.1.3.9  D   D   D   D   D
II.1.4.1  D   D   D   D   D
II.1.4.2  30  D   D   D   D
II.1.4.3  D   D   D   D   D
II.1.4.4  D   D   D   D   A
II.1.5.1  D   D   D   D   D
II.1.5.2  D   D   D   D   D
II.1.5.3  D   80  D   D   D
II.1.5.4  D   D   D   D   D
II.1.5.5  N   D   D   D   D
II.1.6.1  40  40  40  60  40
II.1.6.2  D   D   D   D   D
II.1.6.3  D   D   D   D   U
II.1.7.1  D   D   D   D   D
II.1.7.2  D   D   D   D   D
II.1.7.3  D   D   D   D   D
II.1.7.4  20  20  50  20  A
II.1.7.5  D   D   D   D   D
II.1.7.6  D   D   90  D   D
II.1.7.7  D   D   D   D   N
II.1.8.1  D   D   D   D   D
"""
#: The tasks each unit leads (Plan 84 section II.2, II.3, III.2), same notation.
LEAD_TASKS: dict[str, dict[str, str]] = {
    "vhxh": {
        "II.2.1.1": "D",
        "II.2.1.2": "D",
        "II.2.1.3": "50",
        "II.2.1.4": "D",
        "II.2.1.5": "D",
        "II.2.1.6": "N",
        "II.2.1.7": "D",
        "II.2.1.8": "D",
        "II.2.1.9": "D",
        "II.2.1.10": "70",
        "II.2.1.11": "A",
        "III.2.1": "D",
    },
    "vp": {"II.2.2.1": "D", "II.2.2.2": "40", "II.2.2.3": "D", "II.2.2.4": "U", "II.2.2.5": "D"},
    "ttpvhcc": {
        "II.2.3.1": "D",
        "II.2.3.2": "D",
        "II.2.3.3": "80",
        "II.2.3.4": "D",
        "II.2.3.5": "D",
        "II.2.3.6": "D",
    },
    "kthtdt": {"II.2.4.1": "D", "II.2.4.2": "D", "II.2.4.3": "N", "II.2.4.4": "90"},
    "mttq": {"II.3.1": "D"},
}


#: What a unit writes when it marks a task done whose plan entry names a product.
DONE_WITH_PRODUCT = {
    "result": "Đã hoàn thành theo kế hoạch, báo cáo kết quả gửi UBND phường.",
    "evidence": "Báo cáo số 45/BC-UBND ngày 28/10/2025",
}


def _row(code: str, unit: str, mark: str) -> dict[str, Any] | None:
    row: dict[str, Any] = {"assignment": code, "unit": unit, "period": PERIOD}
    if mark == "U":
        return None
    if mark.isdigit():
        return row | {"status": "in_progress", "percent_complete": int(mark)}
    if mark == "D":  # a done task shows its product (issue 19): a result and the document
        return row | {"status": "done", **DONE_WITH_PRODUCT}
    return row | {"status": {"N": "not_started", "A": "not_applicable"}[mark]}


def progress_rows() -> list[dict[str, Any]]:
    """Every October task report of the table, as one progress file."""
    rows = []
    for line in ALL_UNIT_TASKS.strip().splitlines():
        code, *marks = line.split()
        rows += [_row(code, unit, mark) for unit, mark in zip(UNITS, marks, strict=True)]
    for unit, tasks in LEAD_TASKS.items():
        rows += [_row(code, unit, mark) for code, mark in tasks.items()]
    return [r for r in rows if r is not None]


# --- readings typed by the units (expected.md, section 2) -----------------------------------------
READINGS: list[dict[str, Any]] = [
    {"indicator": "tthc_ontime", "unit": "ttpvhcc", "domain": "ho-tich", "numerator": 196,
     "denominator": 200},
    {"indicator": "tthc_ontime", "unit": "ttpvhcc", "domain": "khieu-nai-to-cao", "numerator": 19,
     "denominator": 20},
    # Typed, then taken over by the figure computed from the dossiers (90): the computed one counts.
    {"indicator": "tthc_ontime", "unit": "ttpvhcc", "domain": "dat-dai", "value": 99},
    {"indicator": "tthc_ontime", "unit": "vp", "domain": "ho-tich", "numerator": 48,
     "denominator": 50},
    {"indicator": "complaint_ontime", "unit": "vp", "numerator": 54, "denominator": 60},
    {"indicator": "complaint_ontime", "unit": "mttq", "numerator": 19, "denominator": 20},
    {"indicator": "tthc_time_cut", "unit": "ttpvhcc", "value": 36},
    {"indicator": "tthc_cost_cut", "unit": "ttpvhcc", "value": 15},
    {"indicator": "boundary_free_tthc", "unit": "ttpvhcc", "value": 100},
    {"indicator": "full_online_services", "unit": "ttpvhcc", "value": 75},
    {"indicator": "tthc_published", "unit": "ttpvhcc", "numerator": 95, "denominator": 100},
    {"indicator": "plan_targets_completed", "unit": "vhxh", "value": 90},
    {"indicator": "business_conditions_cut", "unit": "kthtdt", "value": 24},
    {"indicator": "disbursement", "unit": "kthtdt", "value": 85},
    {"indicator": "socioeconomic_targets", "unit": "kthtdt", "value": 100},
]  # fmt: skip

# --- the figures computed by hand (expected.md, sections 3-8) -------------------------------------
#: Per unit: task credit sum / tasks counted, must-report tasks, reported, indicator attainments,
#: reporting credit, report state and review state.
UNIT_FIGURES: dict[str, dict[str, Any]] = {
    "vhxh": {
        "task_sum": 46.1,
        "task_count": 52,
        "expected": 54,
        "reported": 54,
        "indicators": {"plan_targets_completed": 90 / 100},
        "reporting": 0.5,
        "report_state": "late",
        "data_state": "approved",
        "overdue": 0,
    },
    "vp": {
        "task_sum": 40.6,
        "task_count": 47,
        "expected": 47,
        "reported": 45,
        "indicators": {"complaint_ontime": 90 / 95, "tthc_ontime": 96 / 98},
        "reporting": 1.0,
        "report_state": "on_time",
        "data_state": "submitted",
        "overdue": 1,
    },
    "ttpvhcc": {
        "task_sum": 43.65,
        "task_count": 47,
        "expected": 48,
        "reported": 47,
        "indicators": {
            "tthc_ontime": 90 / 98,
            "online_dossier": 60 / 80,
            "digitized_components": 80 / 100,
            "electronic_results": 40 / 100,
            "reuse_digitized": 40 / 55,
            "tthc_time_cut": 1.0,
            "tthc_cost_cut": 15 / 30,
            "boundary_free_tthc": 1.0,
            "full_online_services": 75 / 100,
            "tthc_published": 95 / 100,
        },
        "reporting": 1.0,
        "report_state": "on_time",
        "data_state": "approved",
        "overdue": 0,
    },
    "kthtdt": {
        "task_sum": 38.1,
        "task_count": 44,
        "expected": 46,
        "reported": 45,
        "indicators": {
            "business_conditions_cut": 24 / 30,
            "disbursement": 85 / 100,
            "socioeconomic_targets": 1.0,
        },
        "reporting": 0.5,
        "report_state": "late",
        "data_state": "submitted",
        "overdue": 1,
    },
    "mttq": {
        "task_sum": 33.9,
        "task_count": 38,
        "expected": 43,
        "reported": 41,
        "indicators": {"complaint_ontime": 1.0},
        "reporting": 0.0,
        "report_state": "missing",
        "data_state": "draft",
        "overdue": 0,
    },
}
for _f in UNIT_FIGURES.values():
    _f["tasks"] = _f["task_sum"] / _f["task_count"]
    _f["indicator_mean"] = sum(_f["indicators"].values()) / len(_f["indicators"])
    _f["score"] = 40 * _f["tasks"] + 40 * _f["indicator_mean"] + 20 * _f["reporting"]

EXCELLENT, GOOD, DONE = (
    "Hoàn thành xuất sắc nhiệm vụ",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành nhiệm vụ",
)
#: Score by hand (expected.md § 4), rank and band.
EXPECTED_UNITS: dict[str, dict[str, Any]] = {
    "vp": {"score": 93.0924, "rank": 1, "band": EXCELLENT},
    "ttpvhcc": {"score": 88.3315, "rank": 2, "band": GOOD},
    "vhxh": {"score": 81.4615, "rank": 3, "band": GOOD},
    "kthtdt": {"score": 79.9697, "rank": 4, "band": DONE},
    "mttq": {"score": 75.6842, "rank": 5, "band": DONE},
}
WARD_SCORE = (93.0924 + 88.3315 + 81.4615 + 79.9697 + 75.6842) / 5  # 83,7079

#: The ward's indicators (expected.md § 5): value, attainment, met.
WARD_INDICATORS: dict[str, tuple[float, float, bool]] = {
    "tthc_ontime": (90.0, 90 / 98, False),  # worst domain: đất đai
    "complaint_ontime": (91.25, 91.25 / 95, False),
    "business_conditions_cut": (24.0, 24 / 30, False),
    "tthc_time_cut": (36.0, 1.0, True),
    "tthc_cost_cut": (15.0, 0.5, False),
    "boundary_free_tthc": (100.0, 1.0, True),
    "disbursement": (85.0, 0.85, False),
    "full_online_services": (75.0, 0.75, False),
    "online_dossier": (60.0, 0.75, False),
    "digitized_components": (80.0, 0.8, False),
    "electronic_results": (40.0, 0.4, False),
    "reuse_digitized": (40.0, 40 / 55, False),
    "tthc_published": (95.0, 0.95, False),
    "plan_targets_completed": (90.0, 0.9, False),
    "socioeconomic_targets": (100.0, 1.0, True),
}
#: tthc_ontime per domain for the ward: value, the domain's own target, met.
WARD_DOMAINS: dict[str, tuple[float, float, bool]] = {
    "chung-thuc": (100.0, 98, True),
    "dat-dai": (90.0, 98, False),
    "ho-tich": (97.6, 98, False),
    "khieu-nai-to-cao": (95.0, 95, True),
}
#: Each PAR area's percent (expected.md § 6): (sum of item attainments, items).
AREA_SUMS: dict[str, tuple[float, int]] = {
    "par1": (14.885, 16),
    "par2": (6.05, 8),
    "par3": (8.13 + 6.8 + 90 / 98 + 91.25 / 95 + 0.8 + 1 + 0.5 + 1 + 0.95, 23),
    "par4": (5.36, 6),
    "par5": (5.76, 7),
    "par6": (4.99, 7),
    "par7": (6.055 + 1.7 + 0.75 + 0.75 + 0.8 + 0.4 + 40 / 55, 14),
    "par8": (3.0, 3),
}
EXPECTED_AREAS: dict[str, float] = {
    "par1": 93.03125,
    "par2": 75.625,
    "par3": 91.5604,
    "par4": 89.3333,
    "par5": 82.2857,
    "par6": 71.2857,
    "par7": 79.8734,
    "par8": 100.0,
}
HEADLINE = {
    "targets_total": 15,
    "targets_with_data": 15,
    "targets_met": 3,
    "units_expected": 5,
    "units_on_time": 2,
    "units_late": 2,
    "units_missing": 1,
    "units_not_due": 0,
    "overdue_tasks": 1,
    "overdue_items": 2,
    "units_approved": 2,
    "units_submitted": 2,
}
#: /completeness totals (expected.md § 7): October is due, November is not (left out).
COMPLETENESS = {
    "expected": 5,
    "received": 4,
    "received_rate": 80.0,
    "on_time": 2,
    "on_time_rate": 40.0,
    "late": 2,
    "approved": 2,
}
#: Decision 766 scorecard of the ward, October 2025 (expected.md § 8): group → (points, measured
#: maximum).
SCORECARD_GROUPS: dict[str, tuple[float, float]] = {
    "transparency": (9.5, 10),
    "progress": (13.0667 + 5.2, 20),
    "digitisation": (2.4 + 3.2 + 0.8, 12),
    "online": (7.2 + 3.3333, 22),
    "satisfaction": (0.0, 0),
}
SCORECARD_METRICS: dict[str, float | None] = {
    "tthc_published": 9.5,
    "portal_synced": None,
    "dossiers_on_time": 13.0667,
    "not_rescheduled": 5.2,
    "e_results": 2.4,
    "digitized": 3.2,
    "reuse": 0.8,
    "results_digitized": None,
    "online_dossiers": 7.2,
    "online_payment": 3.3333,
    "feedback_on_time": None,
    "satisfaction_index": None,
}
SCORECARD = {"points": 44.7, "measured_max": 64, "max": 100, "percent": 44.7 / 64 * 100}

# --- reading numbers out of documents -------------------------------------------------------------
NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:[,.]\d+)?"


def parse_vi(text: str) -> tuple[float, int]:
    """``59,29`` → (59.29, 2); ``1.250`` → (1250, 0); also ``59.29`` while the number format is
    being unified. Returns the value and how many decimals were shown."""
    text = text.strip().rstrip("%").strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", text):
        text = text.replace(".", "")
    whole, _, decimals = text.replace(",", ".").partition(".")
    return float(f"{whole}.{decimals or 0}"), len(decimals)


def shows(text: str, expected: float) -> bool:
    """Whether a number as displayed is ``expected`` rounded to the decimals it shows."""
    value, decimals = parse_vi(text)
    return (
        abs(value - expected) <= 0.5 * 10**-decimals + 1e-9
        if decimals
        else value == round(expected, 6)
    )


# --- building the month ---------------------------------------------------------------------------


def _on(clock: FixedClock, day: date, hour: int = 9) -> None:
    clock.current = FixedClock.on(day, hour).current


def _ok(resp: Any) -> dict[str, Any]:
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def _act(client: TestClient, unit: str, action: str, comment: str = "") -> None:
    _ok(client.post(f"/api/v1/submissions/{unit}/{PERIOD}/{action}", json={"comment": comment}))


def _progress(client: TestClient, task: str, unit: str, period: str = PERIOD, **body: Any) -> None:
    _ok(
        client.put(
            "/api/v1/progress", json={"assignment": task, "unit": unit, "period": period} | body
        )
    )


def build_month(client: TestClient, clock: FixedClock) -> None:
    """October 2025 as expected.md tells it, day by day."""
    _on(clock, date(2025, 11, 1))
    _ok(client.patch("/api/v1/assignments/II.1.2.1", json={"due_date": "2025-10-20"}))
    summary = _ok(client.post("/api/v1/progress/bulk", json=progress_rows()))
    assert summary["status"] == "ok" and summary["created"] == 232, summary
    # vhxh also reports on II.2.3.4, which it only coordinates: shown, never scored.
    _progress(client, "II.2.3.4", "vhxh", status="not_started")
    # A November report must not reach back into October.
    _progress(client, "II.1.1.3", "mttq", period="2025-11", status="done", **DONE_WITH_PRODUCT)
    for reading in READINGS:
        _ok(client.put("/api/v1/readings", json=reading | {"period": PERIOD}))
    imported = _ok(
        client.post(
            "/api/v1/dossiers/bulk",
            content=DOSSIERS.read_bytes(),
            headers={"Content-Type": "text/csv"},
        )
    )
    assert imported["status"] == "ok" and imported["created"] == 15, imported
    _on(clock, date(2025, 11, 4))
    _act(client, "vp", "submit")  # on time
    _on(clock, date(2025, 11, 5), hour=16)
    _act(client, "ttpvhcc", "submit")  # on the due day: on time
    _on(clock, date(2025, 11, 6))
    _act(client, "vhxh", "submit")  # one day late
    _on(clock, date(2025, 11, 7))
    _act(client, "vhxh", "approve")
    _act(client, "vp", "return", "Đề nghị cập nhật tỷ lệ hoàn thành nhiệm vụ II.2.2.2.")
    _on(clock, date(2025, 11, 8))
    _progress(client, "II.2.2.2", "vp", status="in_progress", percent_complete=60)
    _on(clock, date(2025, 11, 10))
    _act(client, "vp", "submit")  # resubmitted: its first submission (04/11) decides
    _on(clock, date(2025, 11, 12))
    # its report has a flag for the reviewer (the feed's figure beside the unit's): approving
    # it needs a comment (docs/reporting.md, "Flags for the reviewer")
    _act(client, "ttpvhcc", "approve", "Đã đối chiếu số liệu tự tính với số đơn vị nhập.")
    _on(clock, date(2025, 11, 15))
    _act(client, "kthtdt", "submit")  # late
    _on(clock, date(2025, 11, 20))  # mttq never sends its report


@pytest.fixture
def month(api: TestClient, seeded: Session, clock: FixedClock) -> TestClient:
    """The admin API client on the golden month, the clock on 20/11/2025."""
    build_month(api, clock)
    return api
