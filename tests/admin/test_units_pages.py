"""Units in the browser: the tree, create, edit, deactivate with confirmation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit import service as audit_service
from tests.admin.conftest import HX, post

NEW = {
    "code": "dvtn",
    "name": "Đoàn Thanh niên phường",
    "short_name": "ĐTN",
    "kind": "front",
    "parent": "phu-dinh",
}


def test_the_tree_lists_units_under_their_parent(admin_web: TestClient) -> None:
    page = admin_web.get("/admin/units")
    assert page.status_code == 200
    assert 'id="unit-phu-dinh"' in page.text and 'class="depth-1"' in page.text
    assert "Thêm đơn vị" in page.text
    fragment = admin_web.get("/admin/units", headers=HX)
    assert fragment.text.lstrip().startswith('<form id="unit-create"')


def test_creating_a_unit_redirects_and_is_audited(
    admin_web: TestClient, db_session: Session
) -> None:
    resp = post(admin_web, "/admin/units", **NEW)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/admin/units/dvtn?da_tao=1"
    page = admin_web.get(resp.headers["location"])
    assert "Đoàn Thanh niên phường" in page.text and "Đã tạo đơn vị." in page.text
    events, _ = audit_service.list_events(db_session=db_session, entity="unit", key="dvtn")
    assert [e.action for e in events] == ["create"]
    assert events[0].via == "web"


def test_a_bad_unit_keeps_the_input_and_says_why(admin_web: TestClient) -> None:
    resp = post(admin_web, "/admin/units", htmx=True, **{**NEW, "code": "Sai Mã", "name": " "})
    assert resp.status_code == 422
    assert resp.text.lstrip().startswith('<form id="unit-create"')
    assert 'value="Sai Mã"' in resp.text and 'value="ĐTN"' in resp.text
    assert 'aria-invalid="true"' in resp.text
    assert '<span class="field-error" id="unit-create-code-err">' in resp.text
    assert "Không được để trống." in resp.text
    duplicate = post(admin_web, "/admin/units", **{**NEW, "code": "vhxh"})
    assert duplicate.status_code == 409
    assert "Mã đơn vị đã được dùng." in duplicate.text
    assert "<html" in duplicate.text  # without htmx, the whole page again


def test_editing_and_deactivating_need_confirmation(admin_web: TestClient) -> None:
    page = admin_web.get("/admin/units/vhxh")
    assert page.status_code == 200 and "nhiệm vụ chủ trì" in page.text
    saved = post(
        admin_web,
        "/admin/units/vhxh",
        htmx=True,
        name="Phòng Văn hóa - Xã hội phường",
        short_name="VH-XH",
        kind="office",
        parent="phu-dinh",
    )
    assert saved.status_code == 200 and "Đã lưu." in saved.text
    refused = post(admin_web, "/admin/units/vhxh/active", htmx=True, active="")
    assert refused.status_code == 422
    assert "Hãy đánh dấu xác nhận" in refused.text
    done = post(admin_web, "/admin/units/vhxh/active", active="", confirm="1")
    assert done.status_code == 303
    assert "Cho hoạt động trở lại" in admin_web.get("/admin/units/vhxh").text


def test_only_admins_manage_units(coordinator_web: TestClient) -> None:
    assert coordinator_web.get("/admin/units").status_code == 403
    resp = post(coordinator_web, "/admin/units", **NEW)
    assert resp.status_code == 403  # refused by the service, as the API refuses it
    assert "Chỉ quản trị hệ thống" in resp.text


def test_a_form_without_its_csrf_token_is_refused(admin_web: TestClient) -> None:
    resp = admin_web.post("/admin/units", data=NEW, follow_redirects=False)
    assert resp.status_code == 403 and "CSRF" in resp.text
