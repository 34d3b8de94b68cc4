"""Validation rules in the browser: the list, a new rule with Vietnamese errors next to the
fields and the input kept, an edit guarded by its version, deactivation, and the history."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.accounts.test_authorization_holes import web
from tests.admin.conftest import HX, post
from tests.conftest import make_user

NEW = {
    "code": "dung-han-ho-tich-toi-da-100",
    "message": "Tỷ lệ đúng hạn lĩnh vực hộ tịch không thể vượt 100%.",
    "severity": "flag",
    "kind": "compare",
    "left_indicator": "tthc_ontime",
    "left_field": "value",
    "left_domain": "ho-tich",
    "left_constant": "",
    "operator": "<=",
    "right_indicator": "",
    "right_field": "value",
    "right_domain": "",
    "right_constant": "99,5",
}


def test_the_list_shows_the_seeded_rules_in_words(coordinator_web: TestClient) -> None:
    page = coordinator_web.get("/admin/rules")
    assert page.status_code == 200
    row = re.search(r'<tr id="rule-khai-thac-khong-vuot-so-hoa".*?</tr>', page.text, re.S)
    assert row is not None
    assert "tử số của “Tỷ lệ khai thác, sử dụng lại thông tin số hóa” ≤" in row.group(0)
    assert "Cảnh báo người duyệt" in row.group(0) and "Đang áp dụng" in row.group(0)
    fragment = coordinator_web.get("/admin/rules", headers=HX)
    assert fragment.text.lstrip().startswith('<section id="rule-create-section"')
    assert (
        '<a href="/admin/rules"><strong>Quy tắc kiểm tra</strong>'
        in coordinator_web.get("/admin").text
    )


def test_a_bad_rule_keeps_the_input_with_errors_next_to_the_fields(
    coordinator_web: TestClient,
) -> None:
    resp = post(coordinator_web, "/admin/rules", htmx=True, **{**NEW, "operator": ""})
    assert resp.status_code == 422
    assert 'id="rule-create-operator-err">Hãy chọn phép so sánh.' in resp.text
    assert f'value="{NEW["code"]}"' in resp.text and 'value="99,5"' in resp.text
    both = post(coordinator_web, "/admin/rules", **{**NEW, "right_indicator": "online_dossier"})
    assert both.status_code == 422 and "<html" in both.text
    assert "Chọn chỉ tiêu hoặc nhập hằng số, không chọn cả hai." in both.text
    bad_number = post(
        coordinator_web, "/admin/rules", htmx=True, **{**NEW, "right_constant": "abc"}
    )
    assert (
        bad_number.status_code == 422 and 'id="rule-create-right_constant-err"' in bad_number.text
    )
    no_message = post(coordinator_web, "/admin/rules", htmx=True, **{**NEW, "message": " "})
    assert no_message.status_code == 422 and 'id="rule-create-message-err"' in no_message.text


def test_create_edit_deactivate_with_history(coordinator_web: TestClient) -> None:
    created = post(coordinator_web, "/admin/rules", **NEW)
    assert created.status_code == 303
    url = created.headers["location"]
    assert url == f"/admin/rules/{NEW['code']}"
    page = coordinator_web.get(url)
    assert "giá trị của “Tỷ lệ hồ sơ TTHC giải quyết đúng hạn – Hộ tịch” ≤ 99,5" in page.text
    assert 'name="version" value="1"' in page.text

    edit = {k: v for k, v in NEW.items() if k != "code"} | {"version": "1", "active": "1"}
    saved = post(coordinator_web, url, htmx=True, **{**edit, "severity": "block"})
    assert saved.status_code == 200 and "Đã lưu quy tắc." in saved.text
    assert "Chặn gửi báo cáo" in saved.text and 'hx-swap-oob="true"' in saved.text
    stale = post(coordinator_web, url, htmx=True, **edit)
    assert stale.status_code == 409
    assert "đã được người khác sửa" in stale.text and 'value="99,5"' in stale.text

    off = post(coordinator_web, f"{url}/active", version="2", active="")
    assert off.status_code == 303
    page = coordinator_web.get(url).text
    assert "Ngừng áp dụng" in page and "Áp dụng lại quy tắc" in page
    assert page.count("<tr><td>") >= 3  # created, edited, deactivated in the history
    listing = coordinator_web.get("/admin/rules").text
    assert re.search(rf'<tr id="rule-{NEW["code"]}" class="inactive">', listing)


def test_a_reporter_can_neither_open_nor_post_the_rules(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    client, csrf = web(application, "bc.vp")
    with client:
        assert client.get("/admin/rules").status_code == 403
        refused = client.post("/admin/rules", data={"csrf_token": csrf, **NEW})
        assert refused.status_code == 403 and "Chỉ bộ phận điều phối" in refused.text
        gone = client.post(
            "/admin/rules/khai-thac-khong-vuot-so-hoa/active",
            data={"csrf_token": csrf, "version": "1"},
        )
        assert gone.status_code == 403
