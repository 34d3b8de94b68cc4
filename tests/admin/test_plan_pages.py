"""The plan's tasks in the browser: grouped, filtered, edited, added, with their history."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.plans import service as plan_service
from tests.admin.conftest import HX, post

TASK = "/admin/plan/tasks/II.2.3.1"


def edit_fields(page: str, **changes: object) -> dict[str, object]:
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    fields: dict[str, object] = {
        "scope": "lead_unit",
        "lead_unit": "ttpvhcc",
        "coordinating_units": ["vhxh"],
        "cadence": "monthly",
        "due_date": "31/12/2025",
        "expected_product": "Báo cáo kết quả",
        "version": version,
    }
    fields.update(changes)
    return fields


def test_tasks_are_grouped_by_area_and_filtered(coordinator_web: TestClient) -> None:
    page = coordinator_web.get("/admin/plan")
    assert page.status_code == 200
    assert page.text.count('<h2 class="area-h">') >= 5
    assert 'id="task-II-2-3-1"' in page.text
    fragment = coordinator_web.get("/admin/plan?q=II.2.3.1", headers=HX)
    assert fragment.text.lstrip().startswith('<div id="results">')
    assert "1 / " in fragment.text and 'id="task-II-2-3-1"' in fragment.text
    by_unit = coordinator_web.get("/admin/plan?don_vi=ttpvhcc&tan_suat=&linh_vuc=&han_truoc=")
    assert 'id="task-II-2-3-1"' in by_unit.text
    bad = coordinator_web.get("/admin/plan?han_truoc=31-12", headers=HX)
    assert "dd/mm/yyyy" in bad.text


def test_editing_a_task_records_its_history(
    coordinator_web: TestClient, db_session: Session
) -> None:
    page = coordinator_web.get(TASK)
    assert page.status_code == 200 and "Lịch sử thay đổi" in page.text
    resp = post(coordinator_web, TASK, htmx=True, **edit_fields(page.text))
    assert resp.status_code == 200, resp.text
    assert "Đã lưu nhiệm vụ." in resp.text
    assert 'hx-swap-oob="true"' in resp.text and "dp.vhxh" in resp.text  # history, refreshed
    plan = plan_service.get_plan(db_session=db_session, code=None)
    row = plan_service.get_assignment(db_session=db_session, plan=plan, code="II.2.3.1")
    task = plan_service.assignment_reads(db_session=db_session, plan=plan, rows=[row])[0]
    assert task.coordinating_units == ["vhxh"] and task.due_date.isoformat() == "2025-12-31"
    full = coordinator_web.get(TASK)
    assert 'value="31/12/2025"' in full.text
    assert "<del>" in full.text and "dp.vhxh" in full.text


def test_a_bad_task_edit_keeps_the_input(coordinator_web: TestClient) -> None:
    page = coordinator_web.get(TASK)
    fields = edit_fields(page.text, due_date="31/02/2025", expected_product="Giữ lại chữ này")
    resp = post(coordinator_web, TASK, htmx=True, **fields)
    assert resp.status_code == 422
    assert resp.text.lstrip().startswith('<form id="task-edit"')
    assert "dd/mm/yyyy" in resp.text and "Giữ lại chữ này" in resp.text
    clash = edit_fields(page.text, coordinating_units=["ttpvhcc"])
    resp = post(coordinator_web, TASK, **clash)
    assert resp.status_code == 422 and "<html" in resp.text
    assert "Đơn vị chủ trì không đồng thời là đơn vị phối hợp." in resp.text
    stale = post(coordinator_web, TASK, htmx=True, **edit_fields(page.text, version="99"))
    assert stale.status_code == 409 and "đã được người khác sửa" in stale.text


def test_adding_a_task_to_the_plan(coordinator_web: TestClient) -> None:
    assert coordinator_web.get("/admin/plan/new").status_code == 200
    fields = {
        "code": "II.2.3.99",
        "text": "Rà soát quy trình nội bộ",
        "area": "par3",
        "scope": "lead_unit",
        "lead_unit": "vhxh",
        "cadence": "once",
        "due_date": "15/12/2025",
        "expected_product": "",
    }
    bad = post(coordinator_web, "/admin/plan/new", htmx=True, **{**fields, "code": "2.3"})
    assert bad.status_code == 422 and "ví dụ II.2.3.7" in bad.text
    assert "Rà soát quy trình nội bộ" in bad.text
    resp = post(coordinator_web, "/admin/plan/new", **fields)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/admin/plan/tasks/II.2.3.99?da_tao=1"
    assert "Đã thêm nhiệm vụ" in coordinator_web.get(resp.headers["location"]).text


def test_reporters_cannot_open_the_plan_admin(application, seeded, clean_db, clock) -> None:
    from tests.accounts.test_pages import login
    from tests.conftest import make_user

    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    with TestClient(application) as reporter:
        login(reporter, "bc.ttpv")
        assert reporter.get("/admin/plan").status_code == 403
        assert reporter.get("/admin").status_code == 403
        assert "Quản trị" not in reporter.get("/plan").text
