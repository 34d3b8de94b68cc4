"""The registers that follow figures and checks: monthly figures typed the Vietnamese way, the
targets and the investment registers computing their plan indicators (readings a unit's own
figure gives way to, and an approved period keeps), inspections that close only when their
findings are remedied, overdue findings escalating, and codes made under a race."""

from __future__ import annotations

import io
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.actors import SYSTEM
from app.clock import FixedClock
from app.registers import conclusions
from app.registers.fields import read_months
from app.registers.specs import INPUTS
from app.registers.specs_monitoring import FINDINGS
from app.reminders.models import Notification
from app.wards.models import Ward
from tests.conftest import make_token, make_user, statements
from tests.reporting.test_reopen_pages import signed_in

API = "/api/v1"
TARGETS = f"{API}/socioeconomic-targets"
INVEST = f"{API}/investment"


@pytest.fixture
def who(seeded: Session, clean_db: Engine, clock: FixedClock) -> dict[str, dict[str, str]]:
    made = {
        "admin": make_token(clean_db, clock, username="qt", role="admin"),
        "kt": make_token(clean_db, clock, username="bc.kt", role="reporter", unit="kthtdt"),
        "vp": make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp"),
        "coordinator": make_token(
            clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
        ),
    }
    return {k: {"Authorization": f"Bearer {v}"} for k, v in made.items()}


def _target(client: TestClient, who: dict, **extra: Any) -> dict[str, Any]:
    body = {
        "year": 2025,
        "title": "Thu ngân sách",
        "plan_value": "1.000,5",
        "unit": "kthtdt",
        "direction": "at_least",
        "aggregation": "sum",
        **extra,
    }
    r = client.post(TARGETS, json=body, headers=who)
    assert r.status_code == 201, r.text
    return r.json()


def _readings(client: TestClient, who: dict, indicator: str) -> dict[str, dict[str, Any]]:
    r = client.get(f"{API}/readings?indicator={indicator}&limit=100", headers=who)
    assert r.status_code == 200, r.text
    return {i["period"]: i for i in r.json()["items"]}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("09/2025: 1.020,5; 10/2025: 1130", {"2025-09": 1020.5, "2025-10": 1130}),
        ("tháng 9/2025: 12,5\n2025-10: 7", {"2025-09": 12.5, "2025-10": 7}),
        ({"2025-9": 3, "10/2025": "1.200,25"}, {"2025-09": 3, "2025-10": 1200.25}),
    ],
)
def test_monthly_figures_read_as_officers_type_them(
    anon: TestClient, who: dict, typed: Any, stored: dict
) -> None:
    made = _target(anon, who["kt"], actuals=typed)
    assert made["actuals"] == stored
    assert made["plan_value"] == 1000.5


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("09/2025: 1.250", "hai cách hiểu"),  # 1250 or 1,25: asked, never guessed
        ("09/2025: 5; 9/2025: 6", "ghi hai lần"),
        ("13/2025: 5", "không có thật"),
        ("09/2025 5", "tháng/năm: số"),
        ("09/2025: -5", "09/2025"),
        ("12/2025: 5", "chưa đến"),  # the tests live in November 2025
        ("12/2024: 5", "không thuộc năm 2025"),
    ],
)
def test_a_wrong_monthly_figure_is_refused_next_to_its_field(
    anon: TestClient, who: dict, typed: str, says: str
) -> None:
    body = {
        "year": 2025,
        "title": "T",
        "plan_value": 10,
        "direction": "at_least",
        "aggregation": "sum",
        "unit": "kthtdt",
        "actuals": typed,
    }
    r = anon.post(TARGETS, json=body, headers=who["kt"])
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]["errors"]
    assert errors[0]["field"].endswith("actuals") and says in errors[0]["message"], errors


def test_targets_compute_the_share_met(anon: TestClient, who: dict) -> None:
    a = _target(anon, who["kt"], actuals="09/2025: 600; 10/2025: 500")  # 1100 ≥ 1000,5 in Oct
    assert (a["actual"], a["met"], a["as_of"]) == (1100, True, "10/2025")
    assert a["achieved"] == pytest.approx(1100 / 1000.5 * 100)
    _target(
        anon,
        who["kt"],
        title="Tỷ lệ hộ nghèo",
        plan_value=2,
        direction="at_most",
        aggregation="latest",
        actuals="09/2025: 2,4; 10/2025: 2,1",
    )
    readings = _readings(anon, who["admin"], "socioeconomic_targets")
    # Plan 84's reporting starts in October 2025: September's figures count, in October's sum,
    # but September has no period of its own; November is judged as of today
    assert set(readings) == {"2025-10", "2025-11"}
    assert readings["2025-10"]["value"] == 50  # the first met, the poverty rate still above 2
    assert readings["2025-10"]["source"] == "computed"
    assert "1/2 chỉ tiêu" in readings["2025-10"]["note"]
    second = anon.get(f"{TARGETS}?q=hộ nghèo", headers=who["kt"]).json()["items"][0]
    r = anon.patch(
        f"{TARGETS}/{second['code']}",
        headers=who["kt"],
        json={"actuals": "09/2025: 2,4; 10/2025: 2,1; 11/2025: 1,9", "version": 1},
    )
    assert r.status_code == 200, r.text
    assert r.json()["met"] is True
    after = _readings(anon, who["admin"], "socioeconomic_targets")
    assert after["2025-11"]["value"] == 100 and after["2025-10"]["value"] == 50


def test_disbursement_takes_over_a_typed_figure_and_tells_the_unit(
    anon: TestClient, who: dict, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    officer = make_user(clean_db, clock, username="nv.kt", role="reporter", unit="kthtdt")
    typed = {"indicator": "disbursement", "unit": "kthtdt", "period": "2025-10", "value": 90}
    assert anon.put(f"{API}/readings", json=typed, headers=who["kt"]).status_code in (200, 201)
    body = {
        "kind": "project",
        "year": 2025,
        "title": "Cải tạo hẻm",
        "planned": 4800,
        "monthly": "09/2025: 1.200,5; 10/2025: 1199,5",
        "unit": "kthtdt",
    }
    r = anon.post(INVEST, json=body, headers=who["kt"])
    assert r.status_code == 201, r.text
    assert r.json()["to_date"] == 2400 and r.json()["achieved"] == 50
    # revenue lines do not count in the disbursement
    revenue = {
        **body,
        "kind": "revenue",
        "title": "Thu phí",
        "planned": 100,
        "monthly": "10/2025: 80",
    }
    assert anon.post(INVEST, json=revenue, headers=who["kt"]).status_code == 201
    readings = _readings(anon, who["admin"], "disbursement")
    october = readings["2025-10"]
    assert october["source"] == "computed" and october["value"] == 50
    assert october["reported_value"] == 90  # the unit's own figure kept beside it
    assert october["numerator"] == 2400 and october["denominator"] == 4800
    told = seeded.exec(select(Notification).where(Notification.user_id == officer.id)).all()
    assert any("sổ theo dõi" in n.title and "2025-10" in n.link for n in told), told
    # the figures gone: the computed readings go, the unit's own 90 counts again
    code = anon.get(f"{INVEST}?year=2025&q=hẻm", headers=who["kt"]).json()["items"][0]["code"]
    r = anon.patch(f"{INVEST}/{code}", json={"monthly": None, "version": 1}, headers=who["kt"])
    assert r.status_code == 200, r.text
    left = _readings(anon, who["admin"], "disbursement")
    assert set(left) == {"2025-10"} and left["2025-10"]["value"] == 90
    assert left["2025-10"]["source"] != "computed"


def test_an_approved_period_keeps_its_figure(anon: TestClient, who: dict) -> None:
    base = f"{API}/submissions/kthtdt/2025-10"
    r = anon.post(f"{base}/submit", headers=who["kt"])
    assert r.status_code == 200, r.text
    assert anon.post(f"{base}/approve", headers=who["coordinator"]).status_code == 200
    _target(anon, who["kt"], actuals="10/2025: 2000")
    readings = _readings(anon, who["admin"], "socioeconomic_targets")
    assert "2025-10" not in readings and readings["2025-11"]["value"] == 100


def test_an_investment_file_computes_once_and_a_dry_run_not_at_all(
    anon: TestClient, who: dict
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "Loại",
            "Năm",
            "Tên dự án, khoản thu",
            "Kế hoạch vốn, dự toán (triệu đồng)",
            "Giải ngân, thu theo tháng (triệu đồng)",
            "Đơn vị",
        ]
    )
    sheet.append(["Dự án đầu tư công", 2025, "Trường mầm non", 1000, "10/2025: 250", "kthtdt"])
    sheet.append(["project", 2025.0, "Chợ", 3000, "09/2025: 500; 10/2025: 250", "kthtdt"])
    data = io.BytesIO()
    book.save(data)
    files = {"file": ("dau-tu.xlsx", data.getvalue(), "application/octet-stream")}
    dry = anon.post(f"{INVEST}/bulk?dry_run=true", files=files, headers=who["kt"])
    assert dry.status_code == 200, dry.text
    assert _readings(anon, who["admin"], "disbursement") == {}
    r = anon.post(f"{INVEST}/bulk", files=files, headers=who["kt"])
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    readings = _readings(anon, who["admin"], "disbursement")
    assert set(readings) == {"2025-10", "2025-11"}  # Plan 84 reports from October 2025
    assert readings["2025-10"]["value"] == 25  # (250 + 500 + 250) / 4000


def test_an_inspection_closes_only_when_its_findings_are_remedied(
    anon: TestClient, who: dict, application: FastAPI
) -> None:
    body = {
        "kind": "reform",
        "title": "Kiểm tra một cửa",
        "planned_on": "10/11/2025",
        "state": "concluded",
        "unit": "vp",
    }
    inspection = anon.post(f"{API}/inspections", json=body, headers=who["vp"]).json()
    code = inspection["code"]
    finding = {
        "inspection": code.upper(),
        "content": "Hồ sơ trễ hạn chưa xin lỗi",
        "state": "open",
        "deadline": "30/11/2025",
        "unit": "vp",
    }
    r = anon.post(f"{API}/inspection-findings", json=finding, headers=who["vp"])
    assert r.status_code == 201 and r.json()["inspection"] == code, r.text
    wrong = anon.post(
        f"{API}/inspection-findings",
        headers=who["vp"],
        json={**finding, "inspection": "kt-1999-001"},
    )
    assert wrong.status_code == 422 and "kt-1999-001" in wrong.text
    close = anon.patch(f"{API}/inspections/{code}", json={"state": "closed"}, headers=who["vp"])
    assert close.status_code == 422 and "còn 1 tồn tại" in close.text
    found = r.json()["code"]
    assert (
        anon.patch(
            f"{API}/inspection-findings/{found}",
            headers=who["vp"],
            json={"state": "done", "done_on": "18/11/2025"},
        ).status_code
        == 200
    )
    close = anon.patch(f"{API}/inspections/{code}", json={"state": "closed"}, headers=who["vp"])
    assert close.status_code == 200, close.text


def test_an_overdue_finding_escalates(
    anon: TestClient, who: dict, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    officer = make_user(clean_db, clock, username="nv.vp", role="reporter", unit="vp")
    body = {
        "content": "Niêm yết TTHC chưa đầy đủ",
        "state": "open",
        "deadline": "19/11/2025",
        "unit": "vp",
    }
    made = anon.post(f"{API}/inspection-findings", json=body, headers=who["vp"]).json()
    ward = seeded.exec(select(Ward)).one()
    with Session(clean_db) as session:
        done = conclusions.escalate(
            db_session=session, actor=SYSTEM.inside(ward.id, ward.code), clock=clock
        )
    assert done.conclusions == 1
    told = seeded.exec(select(Notification).where(Notification.user_id == officer.id)).all()
    assert [n.link for n in told] == [f"/so-theo-doi/ton-tai-sau-kiem-tra/{made['code']}"]


def test_codes_made_at_the_same_moment_are_all_different(anon: TestClient, who: dict) -> None:
    body = {
        "kind": "reform",
        "title": "Kiểm tra",
        "planned_on": "01/11/2025",
        "state": "planned",
        "unit": "vp",
    }
    assert (
        anon.post(
            f"{API}/inspections", json={**body, "code": "kt-2025-007"}, headers=who["vp"]
        ).status_code
        == 201
    )
    answers: list[Any] = []

    def add() -> None:
        answers.append(anon.post(f"{API}/inspections", json=body, headers=who["vp"]))

    threads = [threading.Thread(target=add) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    codes = sorted(a.json()["code"] for a in answers)
    assert codes == [f"kt-2025-{n:03d}" for n in range(8, 14)]  # after the highest, no gap reused


def test_the_monthly_report_carries_inspections_targets_and_investment(
    anon: TestClient, who: dict
) -> None:
    from docx import Document

    from tests.reports.test_consolidated import REPORT, all_text

    inspection = {
        "kind": "reform",
        "title": "Kiểm tra bộ phận một cửa",
        "state": "concluded",
        "planned_on": "03/11/2025",
        "done_on": "05/11/2025",
        "unit": "vp",
        "conclusion": "Kết luận số 12/KL-UBND",
    }
    assert anon.post(f"{API}/inspections", json=inspection, headers=who["vp"]).status_code == 201
    late = {
        "content": "Chưa niêm yết đủ TTHC",
        "state": "open",
        "deadline": "15/11/2025",
        "unit": "vp",
    }
    r = anon.post(f"{API}/inspection-findings", json=late, headers=who["vp"])
    assert r.status_code == 201
    finding = r.json()["code"]
    _target(anon, who["kt"], measure="triệu đồng", actuals="10/2025: 400; 11/2025: 200,25")
    project = {
        "kind": "project",
        "year": 2025,
        "title": "Trường mầm non",
        "planned": 2000,
        "monthly": "10/2025: 500",
        "unit": "kthtdt",
        "priority": "key",
        "difficulties": "Chậm giải phóng mặt bằng 2 hộ",
        "proposals": "Họp dân",
    }
    assert anon.post(INVEST, json=project, headers=who["kt"]).status_code == 201
    revenue = {
        "kind": "revenue",
        "year": 2025,
        "title": "Thu phí, lệ phí",
        "planned": 800,
        "monthly": "10/2025: 300; 11/2025: 100",
        "unit": "kthtdt",
    }
    assert anon.post(INVEST, json=revenue, headers=who["kt"]).status_code == 201
    r = anon.get(REPORT, params={"period": "2025-11", "format": "docx"}, headers=who["admin"])
    assert r.status_code == 200, r.text
    text = all_text(Document(io.BytesIO(r.content)))
    assert "Cuộc kiểm tra thực hiện trong kỳ: 1; tồn tại, kiến nghị chưa khắc phục: 1" in text
    assert f"Quá hạn khắc phục — {finding} (hạn 15/11/2025)" in text
    assert "Thu ngân sách: kế hoạch 1.000,5 triệu đồng; thực hiện 600,25 triệu đồng" in text
    assert "giải ngân lũy kế 500/2.000 triệu đồng" in text
    assert "Thu ngân sách lũy kế 400/800 triệu đồng dự toán (50%)" in text
    assert "Công trình trọng điểm — Trường mầm non: Chậm giải phóng mặt bằng 2 hộ" in text


def test_targets_from_a_csv_as_excel_saves_it_on_a_vietnamese_windows(
    anon: TestClient, who: dict
) -> None:
    rows = [
        "Năm;Chỉ tiêu;Đơn vị tính;Kế hoạch;Yêu cầu;Cách tính số thực hiện;Thực hiện theo tháng;"
        "Đơn vị",
        "2025;Tạo việc làm mới;lao động;1.200,0;Đạt hoặc vượt kế hoạch;Cộng dồn các tháng;"
        '"10/2025: 700; 11/2025: 650";kthtdt',
        "2025;Tỷ lệ hộ nghèo;%;1,5;Không vượt quá kế hoạch;Số của tháng gần nhất;"
        "10/2025: 1,6;kthtdt",
    ]
    body = ("\r\n".join(rows) + "\r\n").encode("utf-8-sig")
    files = {"file": ("chi-tieu.csv", body, "text/csv")}
    r = anon.post(f"{TARGETS}/bulk", files=files, headers=who["kt"])
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    made = {i["title"]: i for i in anon.get(TARGETS, headers=who["kt"]).json()["items"]}
    assert made["Tạo việc làm mới"]["actual"] == 1350 and made["Tạo việc làm mới"]["met"]
    assert made["Tỷ lệ hộ nghèo"]["plan_value"] == 1.5 and made["Tỷ lệ hộ nghèo"]["met"] is False
    november = _readings(anon, who["admin"], "socioeconomic_targets")["2025-11"]
    assert november["value"] == 50
    # a file with one bad month keeps nothing, and says which row and field
    bad = body.replace(b";10/2025: 1,6;", b';"10/2025: 1,6; 13/2025: 2";')
    r = anon.post(f"{TARGETS}/bulk", files={"file": ("x.csv", bad, "text/csv")}, headers=who["kt"])
    assert r.status_code == 422 and "13/2025" in r.text, r.text
    assert r.json()["errors"][0]["row"] == 3
    assert len(anon.get(TARGETS, headers=who["kt"]).json()["items"]) == 2


def test_the_investment_list_filters_projects_from_revenue(
    anon: TestClient, who: dict, application: FastAPI
) -> None:
    for kind, title in (("project", "Trường học"), ("revenue", "Thu phí chợ")):
        body = {"kind": kind, "year": 2025, "title": title, "planned": 100, "unit": "kthtdt"}
        assert anon.post(INVEST, json=body, headers=who["kt"]).status_code == 201
    only = anon.get(f"{INVEST}?kind=revenue", headers=who["kt"]).json()["items"]
    assert [i["title"] for i in only] == ["Thu phí chợ"]
    r = anon.get(f"{INVEST}.csv?kind=project", headers=who["kt"])
    assert r.status_code == 200 and "Trường học" in r.text and "Thu phí chợ" not in r.text


def test_an_inspection_page_reads_its_findings_in_one_query_and_only_the_own_units(
    anon: TestClient,
    who: dict,
    application: FastAPI,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
) -> None:
    """1 finding or 20 under an inspection: the same statements (they were read one by one,
    three statements each); an officer still does not see another unit's finding."""
    codes = {}
    for many in (1, 20):
        body = {"kind": "reform", "title": f"Kiểm tra {many}", "planned_on": "10/11/2025",
                "state": "concluded", "unit": "vp"}  # fmt: skip
        code = anon.post(f"{API}/inspections", json=body, headers=who["vp"]).json()["code"]
        codes[many] = code
        for n in range(many):
            finding = {"inspection": code, "content": f"Tồn tại số {n} của {many}",
                       "state": "open", "deadline": "30/11/2025", "unit": "vp"}  # fmt: skip
            r = anon.post(f"{API}/inspection-findings", json=finding, headers=who["vp"])
            assert r.status_code == 201, r.text
    other = {"inspection": codes[20], "content": "Tồn tại của đơn vị khác", "state": "open",
             "deadline": "30/11/2025", "unit": "kthtdt"}  # fmt: skip
    assert anon.post(f"{API}/inspection-findings", json=other, headers=who["kt"]).status_code == 201
    make_user(clean_db, clock, username="nv.vp", role="reporter", unit="vp")
    officer = signed_in(application, "nv.vp", "/so-theo-doi")
    try:
        pages = {many: f"/so-theo-doi/kiem-tra/{code}" for many, code in codes.items()}
        for page in pages.values():  # the first visit fills what the process keeps
            assert officer.get(page).status_code == 200
        counted = {}
        for many, page in pages.items():
            with statements(clean_db) as seen:
                r = officer.get(page)
            assert r.status_code == 200, r.text
            counted[many] = len(seen)
            assert all(f"Tồn tại số {n} của {many}" in r.text for n in range(many))
        assert "Tồn tại của đơn vị khác" not in r.text  # another unit's, as get_row refused it
        assert counted[1] == counted[20], counted
    finally:
        officer.__exit__(None, None, None)


def test_a_findings_inspection_code_is_read_lower_cased_and_must_exist(
    anon: TestClient, who: dict
) -> None:
    """The field reads the code (forms, JSON and imports share its input model); the check
    after it only asks whether that inspection exists."""
    create, _ = INPUTS[FINDINGS.slug]
    typed = {"content": "X", "state": "open", "inspection": " KT-2025-001 "}
    assert create.model_validate(typed).inspection == ("kt-2025-001")
    body = {"code": "kt-2025-001", "kind": "reform", "title": "Kiểm tra một cửa",
            "planned_on": "10/11/2025", "state": "concluded", "unit": "vp"}  # fmt: skip
    assert anon.post(f"{API}/inspections", json=body, headers=who["vp"]).status_code == 201
    finding = {"inspection": " KT-2025-001 ", "content": "Hồ sơ trễ hạn", "state": "open",
               "deadline": "30/11/2025", "unit": "vp"}  # fmt: skip
    r = anon.post(f"{API}/inspection-findings", json=finding, headers=who["vp"])
    assert r.status_code == 201 and r.json()["inspection"] == "kt-2025-001", r.text
    stored = anon.get(f"{API}/inspection-findings/{r.json()['code']}", headers=who["vp"])
    assert stored.json()["inspection"] == "kt-2025-001"
    unknown = {**finding, "inspection": "KT-2025-099"}
    r = anon.post(f"{API}/inspection-findings", json=unknown, headers=who["vp"])
    assert r.status_code == 422, r.text
    errors = r.json()["detail"]["errors"]
    assert errors[0]["field"].endswith("inspection"), errors
    assert "Sổ kiểm tra không có cuộc kiểm tra mã “kt-2025-099”" in errors[0]["message"], errors


class _CountedMonths(dict):
    """A JSON object that notes whether anyone walked its entries."""

    walked = False

    def items(self) -> Any:
        type(self).walked = True
        return super().items()


def test_a_monthly_object_of_100000_keys_is_refused_before_it_is_read(
    anon: TestClient, who: dict
) -> None:
    """100 000 keys (about 1 MB of JSON) get the 240-month cap's 422 next to the field, nothing
    is stored, and the cap is checked before a single entry is copied or parsed."""
    monthly = {f"{n:06d}": 1 for n in range(100_000)}
    body = {"kind": "project", "year": 2025, "title": "Dự án thử", "planned": 4800,
            "monthly": monthly, "unit": "kthtdt"}  # fmt: skip
    r = anon.post(INVEST, json=body, headers=who["kt"])
    assert r.status_code == 422, r.text[:500]
    errors = r.json()["detail"]["errors"]
    assert errors[0]["field"].endswith("monthly") and "Tối đa 240 tháng" in errors[0]["message"]
    listed = anon.get(INVEST, headers=who["admin"])
    assert listed.status_code == 200 and listed.json()["total"] == 0, listed.text
    with pytest.raises(ValueError, match="Tối đa 240 tháng"):
        read_months(_CountedMonths(monthly), 1_000_000)
    assert not _CountedMonths.walked
    text = "; ".join(f"{n % 12 + 1}/2025: 1" for n in range(100_000))
    with pytest.raises(ValueError, match="Tối đa 240 tháng"):
        read_months(text, 1_000_000)
