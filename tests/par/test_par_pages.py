"""The self-assessment in the browser without a browser: every page draws, a refusal comes back
next to its field with the typed text kept (htmx block and plain post alike), a success reloads,
and a form without its CSRF token is refused."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.par import reads, service
from app.par.models import AssessmentCreate
from tests.conftest import make_user
from tests.reporting.test_reopen_pages import signed_in

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}
ITEM = "/chi-so-cchc/2025/tieu-chi/3.5"


@pytest.fixture
def opened(seeded: Session, clock: FixedClock) -> Session:
    actor = SYSTEM.inside(*_ward(seeded))
    service.create_assessment(
        db_session=seeded, actor=actor, clock=clock, data=AssessmentCreate(year=2025)
    )
    return seeded


def _ward(session: Session) -> tuple[int, str]:
    from sqlmodel import select

    from app.wards.models import Ward

    ward = session.exec(select(Ward)).one()
    assert ward.id is not None
    return ward.id, ward.code


@pytest.fixture
def reporter(application: FastAPI, opened: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    client = signed_in(application, "bc.ttpv", ITEM)
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def coordinator(application: FastAPI, opened: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    client = signed_in(application, "dp.vhxh", "/chi-so-cchc")
    yield client
    client.__exit__(None, None, None)


def test_the_pages_draw_with_the_starting_table_marked(coordinator: TestClient) -> None:
    index = coordinator.get("/chi-so-cchc")
    assert index.status_code == 200 and "Năm 2025" in index.text
    year = coordinator.get("/chi-so-cchc/2025")
    assert year.status_code == 200
    assert "chưa phải bảng chính thức của Thành phố" in year.text
    assert "Điểm còn có thể đạt" in year.text
    item = coordinator.get(ITEM)
    assert item.status_code == 200 and "Văn bản xin lỗi" in item.text
    table = coordinator.get("/chi-so-cchc/khung/chi-so-cchc-phuong-2025")
    assert table.status_code == 200 and "Quyết định 876/QĐ-BNV" in table.text
    filtered = coordinator.get("/chi-so-cchc/2025?missing=1&area=par3", headers=HX)
    assert filtered.status_code == 200 and "<html" not in filtered.text
    assert "3.5" in filtered.text and "7.1" not in filtered.text


def test_a_refused_proposal_keeps_what_was_typed(reporter: TestClient) -> None:
    form = {"csrf_token": reporter.csrf, "points": "2,5", "note": "Đã xin lỗi 4 hồ sơ",  # type: ignore[attr-defined]
            "reason": "", "action": "submit"}  # fmt: skip
    r = reporter.post(f"{ITEM}/de-xuat", data=form, headers=HX)
    assert r.status_code == 422
    assert "chưa có tài liệu kiểm chứng" in r.text
    assert "Đã xin lỗi 4 hồ sơ" in r.text and 'value="2,5"' in r.text
    form["reason"] = "Văn bản xin lỗi lưu tại bộ phận một cửa, sẽ scan bổ sung."
    r = reporter.post(f"{ITEM}/de-xuat", data=form, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == ITEM
    page = reporter.get(ITEM).text
    assert "Chờ điều phối xem xét" in page and "2,5" in page
    # without its token the form is refused
    r = reporter.post(f"{ITEM}/de-xuat", data={**form, "csrf_token": "x"}, headers=HX)
    assert r.status_code == 403


def test_evidence_link_and_task_from_the_page(reporter: TestClient) -> None:
    token = reporter.csrf  # type: ignore[attr-defined]
    r = reporter.post(
        f"{ITEM}/minh-chung", data={"csrf_token": token, "url": "ftp://x"}, headers=HX
    )
    assert r.status_code == 422 and "ftp://x" in r.text
    r = reporter.post(
        f"{ITEM}/minh-chung", data={"csrf_token": token, "task": "II.9.9"}, headers=HX
    )
    assert r.status_code == 422 and "II.9.9" in r.text
    r = reporter.post(
        f"{ITEM}/minh-chung", data={"csrf_token": token, "task": "II.2.3.1"}, headers=HX
    )
    assert r.status_code == 200, r.text
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = reporter.post(
        f"{ITEM}/minh-chung",
        data={"csrf_token": token, "note": "Văn bản xin lỗi"},
        files={"file": ("xin-loi.pdf", pdf, "application/pdf")},
        headers=HX,
    )
    assert r.status_code == 200, r.text
    page = reporter.get(ITEM).text
    assert "xin-loi.pdf" in page and "II.2.3.1" in page
    assert "chưa có tài liệu kiểm chứng và chưa có giải trình" not in page


def test_a_coordinator_may_not_review_its_own_unit(
    coordinator: TestClient, opened: Session, clock: FixedClock
) -> None:
    from app.par.models import ProposalWrite

    actor = SYSTEM.inside(*_ward(opened))
    item = reads.read_item(db_session=opened, actor=actor, clock=clock, year=2025, criterion="1.1")
    assert item.responsible_unit == "vhxh"  # the office leads the plan's own tasks
    service.save_proposal(
        db_session=opened,
        actor=actor,
        clock=clock,
        year=2025,
        criterion="1.1",
        data=ProposalWrite(points=2, reason="Kế hoạch 84 ban hành ngày 08/10/2025."),
    )
    page = coordinator.get("/chi-so-cchc/2025/tieu-chi/1.1").text
    assert "Chờ điều phối xem xét" in page
    assert "Xem xét đề xuất" not in page and "Phân công" in page
    r = coordinator.post(
        "/chi-so-cchc/2025/tieu-chi/1.1/danh-gia",
        data={"csrf_token": coordinator.csrf, "decision": "accept"},  # type: ignore[attr-defined]
        headers=HX,
    )
    assert r.status_code == 403 and "chính đơn vị mình" in r.text
    # the same office reviews another unit's criterion
    service.save_proposal(
        db_session=opened,
        actor=actor,
        clock=clock,
        year=2025,
        criterion="3.5",
        data=ProposalWrite(points=1, reason="Đang rà soát hồ sơ trễ hạn."),
    )
    assert "Xem xét đề xuất" in coordinator.get(ITEM).text


def test_a_reporter_cannot_open_a_year(reporter: TestClient) -> None:
    r = reporter.post(
        "/chi-so-cchc",
        data={"csrf_token": reporter.csrf, "year": "2026"},
        headers=HX,  # type: ignore[attr-defined]
    )
    assert r.status_code == 403


def test_two_years_are_compared_on_the_index(
    coordinator: TestClient, opened: Session, clock: FixedClock
) -> None:
    assert "So sánh các năm" not in coordinator.get("/chi-so-cchc").text  # one year: nothing yet
    actor = SYSTEM.inside(*_ward(opened))
    service.create_assessment(
        db_session=opened, actor=actor, clock=clock, data=AssessmentCreate(year=2026)
    )
    page = coordinator.get("/chi-so-cchc").text
    assert "So sánh các năm" in page and "Năm 2026" in page


def test_the_citys_new_table_imported_from_the_browser(
    coordinator: TestClient, reporter: TestClient
) -> None:
    csv = "Mã tiêu chí;Nội dung tiêu chí;Điểm tối đa\r\n1;Chỉ đạo;2\r\n1.1;Kế hoạch;2\r\n".encode(
        "utf-8-sig"
    )
    form = {"csrf_token": coordinator.csrf, "code": "HCM 2026", "year": "2026",  # type: ignore[attr-defined]
            "official": "1"}  # fmt: skip
    files = {"file": ("bang-2026.csv", csv, "text/csv")}
    assert coordinator.get("/chi-so-cchc/khung/moi").status_code == 200
    r = coordinator.post("/chi-so-cchc/khung/moi", data=form, files=files, headers=HX)
    assert r.status_code == 422 and "Mã bảng" in r.text and 'value="2026"' in r.text
    form["code"] = "hcm-2026"
    r = coordinator.post("/chi-so-cchc/khung/moi", data=form, files=files, headers=HX)
    assert r.status_code == 200 and r.headers["HX-Redirect"] == "/chi-so-cchc/khung/hcm-2026?nhap=1"
    page = coordinator.get("/chi-so-cchc/khung/hcm-2026").text
    assert "Kế hoạch" in page and "Năm 2026" in page
    refused = reporter.post(
        "/chi-so-cchc/khung/moi",
        data={**form, "csrf_token": reporter.csrf, "code": "x"},  # type: ignore[attr-defined]
        files=files,
        headers=HX,
    )
    assert refused.status_code == 403
