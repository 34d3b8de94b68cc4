"""The PAR Index self-assessment through the API: a whole round on Plan 84's starting table, and
the refusals an officer meets on the way (points above the maximum, a rule's proposal changed
without a reason, a criterion without evidence, another unit's criterion, a stale version)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.par.models import ParItem
from tests.conftest import make_token

API = "/api/v1/par-assessments"
YEAR = 2025


@pytest.fixture
def who(seeded: Session, clean_db: Engine, clock: FixedClock) -> dict[str, dict[str, str]]:
    made = {
        "admin": make_token(clean_db, clock, username="qt", role="admin"),
        "coordinator": make_token(
            clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
        ),
        "ttpv": make_token(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc"),
        "vp": make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp"),
        "viewer": make_token(clean_db, clock, username="ld", role="viewer"),
    }
    return {k: {"Authorization": f"Bearer {v}"} for k, v in made.items()}


def _open(client: TestClient, who: dict) -> dict[str, Any]:
    r = client.post(API, json={"year": YEAR}, headers=who["coordinator"])
    assert r.status_code == 201, r.text
    return r.json()


def _item(client: TestClient, who: dict, code: str) -> dict[str, Any]:
    r = client.get(f"{API}/{YEAR}/items/{code}", headers=who["coordinator"])
    assert r.status_code == 200, r.text
    return r.json()


def _reading(client: TestClient, who: dict, indicator: str, value: float, **extra: Any) -> None:
    body = {"indicator": indicator, "unit": "ttpvhcc", "period": "2025-10", "value": value}
    r = client.put("/api/v1/readings", json={**body, **extra}, headers=who["admin"])
    assert r.status_code in (200, 201), r.text


def test_opening_a_year_makes_one_item_per_scored_criterion(anon: TestClient, who: dict) -> None:
    summary = _open(anon, who)
    table = anon.get("/api/v1/par-frameworks/chi-so-cchc-phuong-2025", headers=who["viewer"])
    leaves = [
        c for c in table.json()["criteria"]
        if not any(o["parent"] == c["code"] for o in table.json()["criteria"])
    ]  # fmt: skip
    assert summary["items"] == len(leaves) > 20
    assert summary["framework_official"] is False  # the starting table says it is a placeholder
    assert table.json()["max_points"] == pytest.approx(100)
    # responsibility guessed from the plan: the centre leads the TTHC tasks of area 3
    assert _item(anon, who, "3.1")["responsible_unit"] == "ttpvhcc"
    assert _item(anon, who, "3.1")["tasks"]
    again = anon.post(API, json={"year": YEAR}, headers=who["coordinator"])
    assert again.status_code == 409
    assert again.json()["detail"]["code"] == "assessment_exists"


def test_only_the_office_opens_a_year(anon: TestClient, who: dict) -> None:
    r = anon.post(API, json={"year": YEAR}, headers=who["ttpv"])
    assert r.status_code == 403


def test_a_rule_proposes_points_from_the_indicator(anon: TestClient, who: dict) -> None:
    _open(anon, who)
    _reading(anon, who, "online_dossier", 65)
    item = _item(anon, who, "7.1")  # >=80: full, >=60: half of 4 points
    assert item["rule_points"] == pytest.approx(2)
    assert "online_dossier = 65" in item["rule_explanation"]
    r = anon.patch(
        f"{API}/{YEAR}/items/7.1",
        json={"responsible_unit": "ttpvhcc", "tasks": ["II.2.3.1", "II.9.9"]},
        headers=who["coordinator"],
    )
    assert r.status_code == 422 and "II.9.9" in r.json()["detail"]["message"]
    r = anon.patch(
        f"{API}/{YEAR}/items/7.1",
        json={"responsible_unit": "ttpvhcc", "tasks": ["II.2.3.1"]},
        headers=who["coordinator"],
    )
    assert r.status_code == 200 and r.json()["responsible_unit"] == "ttpvhcc"
    url = f"{API}/{YEAR}/items/7.1/proposal"
    # the responsible unit proposes other points without a reason: refused, next to the field
    r = anon.put(url, json={"points": "4", "submit": False}, headers=who["ttpv"])
    assert r.status_code == 422
    assert r.json()["detail"]["errors"][0]["field"] == "reason"
    r = anon.put(url, json={"points": "2", "submit": False}, headers=who["ttpv"])
    assert r.status_code == 200, r.text
    assert r.json()["proposed_points"] == 2 and r.json()["status"] == "draft"


def test_a_round_from_proposal_to_appraised_index(
    anon: TestClient, who: dict, db_session: Session
) -> None:
    _open(anon, who)
    url = f"{API}/{YEAR}/items/3.5"
    # officers type numbers the Vietnamese way
    r = anon.put(f"{url}/proposal", json={"points": "2,5", "submit": True}, headers=who["ttpv"])
    assert r.status_code == 422  # no evidence, no explanation
    assert r.json()["detail"]["errors"][0]["code"] == "evidence_or_reason"
    link = {"url": "https://phudinh.hochiminhcity.gov.vn/van-ban/xin-loi", "note": "Xin lỗi"}
    r = anon.post(f"{url}/evidence", json=link, headers=who["ttpv"])
    assert r.status_code == 201, r.text
    progress = {"assignment": "II.2.3.1", "unit": "ttpvhcc", "period": "2025-10",
                "status": "in_progress", "percent_complete": 50}  # fmt: skip
    assert anon.put("/api/v1/progress", json=progress, headers=who["ttpv"]).status_code in (
        200,
        201,
    )
    r = anon.post(f"{url}/evidence", json={"task": "II.2.3.1"}, headers=who["ttpv"])
    assert r.status_code == 201, r.text
    assert r.json()["task"] == "II.2.3.1"
    # the task's own work is the evidence: its latest update and its report's state show
    assert r.json()["task_state"] == "kỳ 2025-10: Đang thực hiện 50% · báo cáo: chưa gửi"
    r = anon.put(f"{url}/proposal", json={"points": "3,5"}, headers=who["ttpv"])
    assert r.status_code == 422  # above the maximum of 3
    assert "vượt điểm tối đa 3" in r.json()["detail"]["message"]
    r = anon.put(f"{url}/proposal", json={"points": "2,5"}, headers=who["ttpv"])
    assert r.status_code == 200 and r.json()["status"] == "submitted"
    version = r.json()["version"]
    # another unit's reporter may not touch it
    r = anon.put(f"{url}/proposal", json={"points": "3"}, headers=who["vp"])
    assert r.status_code == 403
    # the coordinator returns it, then the unit sends it again and it is accepted
    r = anon.post(
        f"{url}/review", json={"decision": "return", "version": version}, headers=who["coordinator"]
    )
    assert r.status_code == 422  # a return says what to fix
    r = anon.post(
        f"{url}/review",
        json={"decision": "return", "comment": "Bổ sung văn bản quý IV", "version": version},
        headers=who["coordinator"],
    )
    assert r.status_code == 200 and r.json()["status"] == "returned"
    stale = anon.post(
        f"{url}/review", json={"decision": "accept", "version": version}, headers=who["coordinator"]
    )
    assert stale.status_code == 409
    r = anon.put(f"{url}/proposal", json={"points": "3"}, headers=who["ttpv"])
    r = anon.post(f"{url}/review", json={"decision": "accept"}, headers=who["coordinator"])
    assert r.status_code == 200 and r.json()["self_points"] == 3
    summary = anon.get(f"{API}/{YEAR}", headers=who["viewer"]).json()
    assert summary["accepted"] == 1
    assert summary["self_index"]["points"] == 3
    assert "3 / 100 × 100 = 3,00" in summary["self_index"]["formula"]
    # submitting is refused while criteria wait, and names them
    r = anon.post(f"{API}/{YEAR}/submit", headers=who["coordinator"])
    assert r.status_code == 409 and r.json()["detail"]["code"] == "items_pending"
    # the city's appraisal: a dry run writes nothing; a bad row refuses every row
    rows = [{"criterion": "3.5", "points": "2,5", "comment": "Thiếu 1 văn bản"},
            {"criterion": "8.2", "points": "8"}]  # fmt: skip
    r = anon.put(f"{API}/{YEAR}/appraisal?dry_run=true", json=rows, headers=who["coordinator"])
    assert r.status_code == 200 and r.json()["created"] == 2
    assert _item(anon, who, "3.5")["appraised_points"] is None
    bad = [*rows, {"criterion": "8.3", "points": "9"}]  # 8.3 is worth 5
    r = anon.put(f"{API}/{YEAR}/appraisal", json=bad, headers=who["coordinator"])
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "3.points"
    assert _item(anon, who, "8.2")["appraised_points"] is None
    r = anon.put(f"{API}/{YEAR}/appraisal", json=rows, headers=who["coordinator"])
    assert r.status_code == 200, r.text
    summary = anon.get(f"{API}/{YEAR}", headers=who["viewer"]).json()
    assert summary["status"] == "appraised"
    assert summary["appraised_index"]["value"] == pytest.approx(10.5)
    area3 = next(a for a in summary["areas"] if a["code"] == "3")
    assert area3["gap"] == pytest.approx(-0.5)
    # where the points are: the biggest gaps first, with the unit responsible
    chances = anon.get(f"{API}/{YEAR}/opportunities", headers=who["viewer"]).json()
    assert chances[0]["obtainable"] >= chances[-1]["obtainable"]
    survey = next(c for c in chances if c["criterion"] == "8.2")
    assert survey["current_source"] == "appraised" and survey["obtainable"] == 2
    # every write is audited
    events = db_session.exec(
        select(AuditEvent).where(AuditEvent.entity.in_(["par_item", "par_appraisal"]))  # type: ignore[attr-defined]
    ).all()
    assert len(events) >= 5


def test_appraisal_from_an_excel_file(anon: TestClient, who: dict) -> None:
    _open(anon, who)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["KẾT QUẢ THẨM ĐỊNH CHỈ SỐ CCHC NĂM 2025"])  # a title above the header
    sheet.append(["Mã tiêu chí", "Điểm thẩm định", "Ý kiến thẩm định"])
    sheet.append(["3.1", 4.5, "Lĩnh vực đất đai 97,2%"])
    sheet.append([8.2, "8,5", ""])  # Excel keeps 8.2 as a number
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = anon.post(
        f"{API}/{YEAR}/appraisal/import",
        content=buffer.getvalue(),
        headers={**who["coordinator"], "Content-Type": xlsx},
    )
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 2
    assert _item(anon, who, "3.1")["appraised_points"] == 4.5
    assert _item(anon, who, "8.2")["appraised_points"] == 8.5


def test_exports_carry_the_table_and_the_explanations(anon: TestClient, who: dict) -> None:
    _open(anon, who)
    anon.put(
        f"{API}/{YEAR}/items/3.5/proposal",
        json={"points": "1", "reason": "Chưa có văn bản xin lỗi; đang rà soát hồ sơ trễ hạn."},
        headers=who["ttpv"],
    )
    r = anon.get(f"{API}/{YEAR}/table.xlsx", headers=who["viewer"])
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    row = next(r for r in rows if r[0] == "3.5")
    assert row[2] == 3 and "rà soát" in row[7]
    assert row[5].startswith("Trung tâm Phục vụ hành chính công")  # names, not codes
    r = anon.get(f"{API}/{YEAR}/report.docx", headers=who["viewer"])
    assert r.status_code == 200
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(r.content)).paragraphs)
    assert "Tiêu chí 3.5" in text and "đang rà soát hồ sơ trễ hạn" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in "\n".join(
        c.text for t in Document(io.BytesIO(r.content)).tables for row in t.rows for c in row.cells
    )


def test_criteria_table_import_checks_the_whole_tree(anon: TestClient, who: dict) -> None:
    def table(area_points: str) -> bytes:
        # as Excel on a Vietnamese Windows saves CSV: ";" between cells, BOM, a rule quoted
        return (
            "Mã tiêu chí;Nội dung tiêu chí;Điểm tối đa;Hình thức đánh giá;Mã chỉ tiêu;"
            "Quy tắc đề xuất điểm\r\n"
            f"1;Chỉ đạo, điều hành;{area_points};;;\r\n"
            "1.1;Kế hoạch CCHC;1,5;Tự đánh giá;;\r\n"
            '1.2;Hoàn thành kế hoạch;2;Tự đánh giá;plan_targets_completed;">=100: 1; >=80: 0,5"\r\n'
        ).encode("utf-8-sig")

    url = "/api/v1/par-frameworks/hcm-2026/criteria/import?year=2026&title=Bảng 2026"
    csv = {**who["admin"], "Content-Type": "text/csv"}
    r = anon.post(url, content=table("3"), headers=csv)
    assert r.status_code == 422, r.text  # 1.5 + 2 is not 3
    assert "cộng lại 3,5" in r.text
    assert anon.get("/api/v1/par-frameworks/hcm-2026", headers=who["admin"]).status_code == 404
    fixed = table("3,5")
    r = anon.post(url, content=fixed, headers=csv)
    assert r.status_code == 200, r.text
    table_read = anon.get("/api/v1/par-frameworks/hcm-2026", headers=who["admin"]).json()
    assert table_read["official"] is True and table_read["max_points"] == 3.5
    rule = next(c for c in table_read["criteria"] if c["code"] == "1.2")["rule"]
    assert rule == [{"min": 100, "share": 1}, {"min": 80, "share": 0.5}]
    # a reporter may not change the city's table
    r = anon.post(url, content=fixed, headers={**who["ttpv"], "Content-Type": "text/csv"})
    assert r.status_code == 403


def test_a_criterion_edited_keeps_the_tree_whole(anon: TestClient, who: dict) -> None:
    url = "/api/v1/par-frameworks/chi-so-cchc-phuong-2025/criteria/3.1"
    r = anon.patch(url, json={"max_points": "6"}, headers=who["admin"])
    assert r.status_code == 422  # area 3 would no longer add up
    r = anon.patch(url, json={"rule": ">=99: 1; >=97: 0,25", "version": 1}, headers=who["admin"])
    assert r.status_code == 200, r.text
    assert r.json()["rule"] == [{"min": 99, "share": 1}, {"min": 97, "share": 0.25}]
    r = anon.patch(url, json={"rule": ">=95: 1; >=97: 0,5"}, headers=who["admin"])
    assert r.status_code == 422 and "từ cao xuống thấp" in r.text
    stale = anon.patch(url, json={"title": "x", "version": 1}, headers=who["admin"])
    assert stale.status_code == 409


def test_items_of_a_ward_stay_in_it(anon: TestClient, who: dict, db_session: Session) -> None:
    _open(anon, who)
    rows = db_session.exec(select(ParItem)).all()
    assert rows and all(r.ward_id is not None for r in rows)


def test_years_side_by_side(anon: TestClient, who: dict) -> None:
    for year, points in ((2025, "2"), (2026, "3")):
        assert anon.post(API, json={"year": year}, headers=who["coordinator"]).status_code == 201
        url = f"{API}/{year}/items/3.5"
        body = {"points": points, "reason": "Văn bản lưu tại bộ phận một cửa."}
        assert anon.put(f"{url}/proposal", json=body, headers=who["ttpv"]).status_code == 200
        r = anon.post(f"{url}/review", json={"decision": "accept"}, headers=who["coordinator"])
        assert r.status_code == 200, r.text
    rows = [{"criterion": "3.5", "points": "1,5"}]
    assert anon.put(f"{API}/2025/appraisal", json=rows, headers=who["admin"]).status_code == 200
    gaps = anon.get(f"{API}/gaps", headers=who["viewer"]).json()
    row = next(g for g in gaps if g["criterion"] == "3.5")
    assert row["years"] == {"2025": [2, 1.5], "2026": [3, None]}
    area = next(g for g in gaps if g["criterion"] == "3")  # the area: its criteria summed
    assert area["years"] == {"2025": [2, 1.5], "2026": [3, None]}
    assert [a["year"] for a in anon.get(API, headers=who["viewer"]).json()] == [2026, 2025]


def test_a_task_without_an_approved_report_is_weak_evidence(anon: TestClient, who: dict) -> None:
    _open(anon, who)
    url = f"{API}/{YEAR}/items/3.5"
    progress = {"assignment": "II.2.3.1", "unit": "ttpvhcc", "period": "2025-10",
                "status": "done", "percent_complete": 100}  # fmt: skip
    assert anon.put("/api/v1/progress", json=progress, headers=who["ttpv"]).status_code in (
        200,
        201,
    )
    assert (
        anon.post(f"{url}/evidence", json={"task": "II.2.3.1"}, headers=who["ttpv"]).status_code
        == 201
    )
    item = _item(anon, who, "3.5")
    assert item["evidence_weak"] is True and item["evidence_missing"] is False
    listed = anon.get(f"{API}/{YEAR}/items?missing=true", headers=who["coordinator"]).json()
    assert "3.5" in [i["criterion"] for i in listed]
    base = "/api/v1/submissions/ttpvhcc/2025-10"
    assert anon.post(f"{base}/submit", headers=who["ttpv"]).status_code == 200
    assert anon.post(f"{base}/approve", headers=who["coordinator"]).status_code == 200
    item = _item(anon, who, "3.5")
    assert item["evidence_weak"] is False
    assert item["evidence"][0]["task_state"].endswith("báo cáo: đã duyệt")
