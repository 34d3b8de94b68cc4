"""People and tokens in the browser: create, role and unit, temporary password, lock, tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.accounts import service as account_service
from app.audit import service as audit_service
from tests.accounts.test_pages import login
from tests.admin.conftest import HX, post

NEW = {
    "username": "bc.vhxh",
    "full_name": "Trần Thị Bình",
    "email": "",
    "role": "reporter",
    "unit": "vhxh",
    "password": "mat-khau-tam-2025",
}


def test_the_list_shows_role_unit_and_last_login(admin_web: TestClient) -> None:
    page = admin_web.get("/admin/people")
    assert page.status_code == 200
    row = re.search(r'<tr id="user-qt.admin".*?</tr>', page.text, re.S).group(0)
    assert "Quản trị hệ thống" in row and "20/11/2025" in row  # logged in "today"
    assert admin_web.get("/admin/people", headers=HX).text.lstrip().startswith("<form")


def test_creating_a_person_gives_a_temporary_password(
    admin_web: TestClient, db_session: Session
) -> None:
    resp = post(admin_web, "/admin/people", **NEW)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/admin/people/bc.vhxh?da_tao=1"
    user = account_service.get_user(db_session=db_session, username="bc.vhxh")
    assert user.must_change_password and user.role == "reporter"
    hx = post(admin_web, "/admin/people", htmx=True, **{**NEW, "username": "bc.khac"})
    assert hx.status_code == 200 and hx.headers["HX-Redirect"] == "/admin/people/bc.khac?da_tao=1"


def test_a_bad_person_keeps_the_input_but_never_the_password(admin_web: TestClient) -> None:
    resp = post(admin_web, "/admin/people", htmx=True, **{**NEW, "password": "ngan", "unit": ""})
    assert resp.status_code == 422
    assert 'value="Trần Thị Bình"' in resp.text
    assert "Mật khẩu phải có ít nhất 10 ký tự." in resp.text
    assert "ngan" not in resp.text
    unitless = post(admin_web, "/admin/people", htmx=True, **{**NEW, "unit": ""})
    assert unitless.status_code == 422
    assert "Vai trò này cần gắn với một đơn vị." in unitless.text


def test_role_unit_password_and_lock(
    admin_web: TestClient, application, db_session: Session
) -> None:
    post(admin_web, "/admin/people", **NEW)
    page = admin_web.get("/admin/people/bc.vhxh")
    assert page.status_code == 200 and "Mật khẩu tạm" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    changed = post(
        admin_web,
        "/admin/people/bc.vhxh",
        htmx=True,
        full_name="Trần Thị Bình",
        email="binh@example.vn",
        role="coordinator",
        unit="vhxh",
        version=version,
    )
    assert changed.status_code == 200 and "Đã lưu." in changed.text
    stale = post(
        admin_web,
        "/admin/people/bc.vhxh",
        htmx=True,
        full_name="Người khác",
        email="",
        role="reporter",
        unit="vhxh",
        version=version,
    )
    assert stale.status_code == 409 and "vừa được người khác sửa" in stale.text
    assert 'value="Người khác"' in stale.text  # nothing typed is lost
    weak = post(admin_web, "/admin/people/bc.vhxh/password", htmx=True, password="bc.vhxh")
    assert weak.status_code == 422
    reset = post(admin_web, "/admin/people/bc.vhxh/password", password="mat-khau-moi-2025")
    assert reset.status_code == 303
    refused = post(admin_web, "/admin/people/bc.vhxh/active", htmx=True, active="")
    assert refused.status_code == 422 and "Hãy đánh dấu xác nhận" in refused.text
    locked = post(admin_web, "/admin/people/bc.vhxh/active", active="", confirm="1")
    assert locked.status_code == 303
    assert not account_service.get_user(db_session=db_session, username="bc.vhxh").active
    with TestClient(application) as other:
        assert login(other, "bc.vhxh", "mat-khau-moi-2025").status_code != 303
    events, _ = audit_service.list_events(db_session=db_session, key="bc.vhxh", limit=10)
    changes = [(e.entity, e.action) for e in reversed(events) if not e.action.startswith("log")]
    assert changes == [
        ("user", "create"),
        ("user", "update"),
        ("user_password", "update"),
        ("user", "update"),
    ]


def test_a_token_is_shown_once_and_revoked_with_confirmation(
    admin_web: TestClient, anon: TestClient
) -> None:
    post(admin_web, "/admin/people", **NEW)
    bad = post(admin_web, "/admin/people/bc.vhxh/tokens", htmx=True, name="", expires_days="0")
    assert bad.status_code == 422 and "Phải lớn hơn hoặc bằng 1." in bad.text
    issued = post(admin_web, "/admin/people/bc.vhxh/tokens", name="Đồng bộ", expires_days="30")
    assert issued.status_code == 200 and issued.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="issued-token" class="secret">(ptk_[^<]+)</code>', issued.text)
    assert token and 'data-copy="#issued-token"' in issued.text
    raw = token.group(1)
    auth = {"Authorization": f"Bearer {raw}"}
    assert anon.get("/api/v1/auth/me", headers=auth).status_code == 200
    page = admin_web.get("/admin/people/bc.vhxh")
    assert raw not in page.text and "20/12/2025" in page.text  # expiry; the secret is gone
    token_id = re.search(r'id="token-(\d+)"', page.text).group(1)
    url = f"/admin/tokens/{token_id}/revoke"
    refused = post(admin_web, url, htmx=True, back="/admin/tokens")
    assert refused.status_code == 422 and "Hãy đánh dấu xác nhận" in refused.text
    assert refused.text.lstrip().startswith(f'<tr id="token-{token_id}"')
    done = post(admin_web, url, htmx=True, confirm="1", back="/admin/tokens")
    assert done.status_code == 200 and "Đã thu hồi" in done.text
    assert anon.get("/api/v1/auth/me", headers=auth).status_code == 401
    listing = admin_web.get("/admin/tokens?tat_ca=1")
    assert f'id="token-{token_id}"' in listing.text


def test_people_pages_are_for_admins_only(coordinator_web: TestClient) -> None:
    assert coordinator_web.get("/admin/people").status_code == 403
    assert coordinator_web.get("/admin/tokens").status_code == 403
    resp = post(coordinator_web, "/admin/people", **NEW)
    assert resp.status_code == 403


def test_a_password_reset_refreshes_the_version_the_edit_form_holds(
    admin_web: TestClient,
) -> None:
    """Without it, saving the edit form after a reset on the same page would be refused as
    stale, although nobody else changed anything."""
    post(admin_web, "/admin/people", **NEW)
    reset = post(admin_web, "/admin/people/bc.vhxh/password", htmx=True, password="mat-khau-2-2025")
    assert reset.status_code == 200 and "Đã đặt mật khẩu tạm" in reset.text
    fresh = re.search(
        r'id="user-version" name="version" value="(\d+)" hx-swap-oob="true"', reset.text
    )
    assert fresh
    saved = post(
        admin_web,
        "/admin/people/bc.vhxh",
        htmx=True,
        full_name="Trần Thị Bình",
        email="",
        role="reporter",
        unit="vhxh",
        version=fresh.group(1),
    )
    assert saved.status_code == 200 and "Đã lưu." in saved.text
