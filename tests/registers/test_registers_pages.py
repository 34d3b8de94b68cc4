"""The registers in the browser without a browser: each list draws and filters, a row is added
and changed from its form (a mistake comes back next to its field, everything typed kept), and
the row's page shows its history."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.registers.specs import REGISTERS, RegisterSpec
from tests.conftest import make_user
from tests.reporting.test_reopen_pages import signed_in

HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def officer(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    client = signed_in(application, "bc.vp", "/so-theo-doi")
    yield client
    client.__exit__(None, None, None)


def _form(spec: RegisterSpec, csrf: str) -> dict[str, str]:
    values = {f.name: str(f.example) for f in spec.fields if f.example is not None}
    return {"csrf_token": csrf, "unit": "vp", "tasks": "II.2.2.5", **values}


@pytest.mark.parametrize("spec", REGISTERS, ids=[s.slug for s in REGISTERS])
def test_a_row_added_and_changed_from_the_page(officer: TestClient, spec: RegisterSpec) -> None:
    base = f"/so-theo-doi/{spec.slug}"
    assert officer.get("/so-theo-doi").status_code == 200
    assert officer.get(f"{base}/moi").status_code == 200
    form = _form(spec, officer.csrf)  # type: ignore[attr-defined]
    bad = {**form, "tasks": "II.9.9"}
    required = next(f for f in spec.fields if f.required and f.kind.value in ("text", "long"))
    r = officer.post(f"{base}/moi", data={**bad, required.name: "Giữ lại chữ đã gõ"}, headers=HX)
    assert r.status_code == 422 and "II.9.9" in r.text and "Giữ lại chữ đã gõ" in r.text
    r = officer.post(f"{base}/moi", data=form, headers=HX)
    assert r.status_code == 200, r.text
    target = r.headers["HX-Redirect"]
    assert target.startswith(f"{base}/{spec.prefix}-20")
    page = officer.get(target).text
    assert "Lịch sử thay đổi" in page and "II.2.2.5" in page
    version = "1"
    changed = {**form, "version": version, required.name: "Nội dung đã sửa"}
    r = officer.post(target, data=changed, headers=HX)
    assert r.status_code == 200, r.text
    stale = officer.post(target, data={**changed, required.name: "Lần nữa"}, headers=HX)
    assert stale.status_code == 409 and "Lần nữa" in stale.text  # kept, not lost
    listing = officer.get(f"{base}?q=đã sửa", headers=HX)
    assert listing.status_code == 200 and "<html" not in listing.text
    assert "Nội dung đã sửa" in listing.text


def test_an_overdue_conclusion_shows_as_such(officer: TestClient) -> None:
    form = _form(REGISTERS[0], officer.csrf)  # type: ignore[attr-defined]
    form["deadline"] = "31/10/2025"  # today is 20/11/2025
    r = officer.post("/so-theo-doi/ket-luan/moi", data=form, headers=HX)
    assert r.status_code == 200, r.text
    assert "(quá hạn)" in officer.get("/so-theo-doi/ket-luan?overdue=1").text
    index = officer.get("/so-theo-doi").text
    assert 'href="/so-theo-doi/ket-luan?overdue=1">1<' in index


def test_a_row_naming_a_task_shows_in_the_units_workspace(officer: TestClient) -> None:
    form = _form(REGISTERS[0], officer.csrf)  # type: ignore[attr-defined]
    r = officer.post("/so-theo-doi/ket-luan/moi", data=form, headers=HX)
    code = r.headers["HX-Redirect"].rsplit("/", 1)[1]
    page = officer.get("/units/vp/periods/2025-11").text
    row = page[page.index('id="ev-task-II-2-2-5"') :]
    row = row[: row.index("</div>")]
    assert "Sổ theo dõi:" in row and f'href="/so-theo-doi/ket-luan/{code}"' in row


@pytest.fixture
def coordinator(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    client = signed_in(application, "dp.vhxh", "/so-theo-doi")
    yield client
    client.__exit__(None, None, None)


def test_an_inspection_page_lists_its_findings_and_adds_one(coordinator: TestClient) -> None:
    csrf = coordinator.csrf  # type: ignore[attr-defined]
    form = {
        "csrf_token": csrf,
        "unit": "vhxh",
        "tasks": "",
        "kind": "reform",
        "title": "Kiểm tra niêm yết TTHC",
        "planned_on": "05/11/2025",
        "state": "concluded",
    }
    r = coordinator.post("/so-theo-doi/kiem-tra/moi", data=form, headers=HX)
    assert r.status_code == 200, r.text
    inspection = r.headers["HX-Redirect"]
    code = inspection.rsplit("/", 1)[1]
    page = coordinator.get(inspection).text
    add = f"/so-theo-doi/ton-tai-sau-kiem-tra/moi?inspection={code}"
    assert "Tồn tại, kiến nghị sau cuộc kiểm tra (0)" in page and add in page
    assert f'value="{code}"' in coordinator.get(add).text  # the new finding names it already
    finding = {
        "csrf_token": csrf,
        "unit": "vhxh",
        "tasks": "",
        "inspection": code,
        "content": "Thiếu bảng niêm yết",
        "state": "open",
        "deadline": "01/11/2025",
    }
    r = coordinator.post("/so-theo-doi/ton-tai-sau-kiem-tra/moi", data=finding, headers=HX)
    assert r.status_code == 200, r.text
    page = coordinator.get(inspection).text
    assert "Thiếu bảng niêm yết" in page and "(quá hạn)" in page
    closing = {**form, "version": "1", "state": "closed"}
    r = coordinator.post(inspection, data=closing, headers=HX)
    assert r.status_code == 422 and "còn 1 tồn tại" in r.text


def test_the_targets_page_shows_each_figure_and_the_wards(coordinator: TestClient) -> None:
    csrf = coordinator.csrf  # type: ignore[attr-defined]
    form = {
        "csrf_token": csrf,
        "unit": "vhxh",
        "tasks": "II.2.4.2",
        "year": "2025",
        "title": "Giải quyết việc làm",
        "measure": "lao động",
        "plan_value": "1200",
        "direction": "at_least",
        "aggregation": "sum",
        "actuals": "10/2025: 700\n11/2025: 600,5",
    }
    r = coordinator.post("/so-theo-doi/chi-tieu-kinh-te-xa-hoi/moi", data=form, headers=HX)
    assert r.status_code == 200, r.text
    page = coordinator.get(r.headers["HX-Redirect"]).text
    assert "1.300,5" in page and "Đạt" in page and "108,38" in page  # 1300,5 / 1200
    assert "10/2025: 700\n11/2025: 600,5</textarea>" in page  # the form holds what reads back
    listing = coordinator.get("/so-theo-doi/chi-tieu-kinh-te-xa-hoi").text
    assert "Năm 2025: 1/1 chỉ tiêu đạt kế hoạch (100%)" in listing
