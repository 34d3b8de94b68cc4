"""Admin pages show people, units, domains and targets by name; codes only as small hints."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.clock import FixedClock
from tests.admin.conftest import HX, post
from tests.admin.test_settings_pages import scoring_fields
from tests.admin.test_targets_pages import URL, fields
from tests.conftest import make_token


def rename(engine: Engine, username: str, full_name: str) -> None:
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.full_name = full_name
        session.add(user)
        session.commit()


def rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_the_audit_trail_names_people_records_and_values(
    admin_web: TestClient, application, clean_db: Engine, clock: FixedClock
) -> None:
    rename(clean_db, "qt.admin", "Võ Quản Trị")
    post(
        admin_web,
        "/admin/units/vhxh",
        name="Phòng Văn hóa - Xã hội (mới)",
        short_name="VH-XH",
        kind="office",
        parent="phu-dinh",
    )
    token = make_token(clean_db, clock, username="he.thong", role="admin")
    rename(clean_db, "he.thong", "Hệ thống một cửa")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as api:
        resp = api.put(
            "/api/v1/readings",
            json={
                "indicator": "tthc_ontime",
                "unit": "ttpvhcc",
                "period": "2025-10",
                "domain": "ho-tich",
                "value": 99,
            },
        )
        assert resp.status_code == 201, resp.text
    found = admin_web.get("/admin/audit?doi_tuong=unit&khoa=vhxh", headers=HX).text
    (unit_row,) = rows(found)
    assert 'Võ Quản Trị <span class="muted small">(qt.admin · trên web)</span>' in unit_row
    assert "Đơn vị: Phòng Văn hóa - Xã hội (mới)<br>" in unit_row
    assert '<strong title="name">Tên</strong>' in unit_row
    reading = admin_web.get("/admin/audit?doi_tuong=reading", headers=HX).text
    (reading_row,) = rows(reading)
    assert "Hệ thống một cửa" in reading_row and "(he.thong · qua API)" in reading_row
    subject = "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn · TTPVHCC · Tháng 10/2025 · Hộ tịch"
    assert f"Số liệu chỉ tiêu: {subject}<br>" in reading_row
    assert '<code class="small muted">tthc_ontime/ttpvhcc/2025-10/ho-tich</code>' in reading_row
    assert '<strong title="unit">Đơn vị</strong>: <ins>TTPVHCC</ins>' in reading_row
    assert '<strong title="domain">Lĩnh vực</strong>: <ins>Hộ tịch</ins>' in reading_row
    assert '<strong title="period">Kỳ</strong>: <ins>Tháng 10/2025</ins>' in reading_row
    assert "<ins>ttpvhcc</ins>" not in reading_row and "<ins>ho-tich</ins>" not in reading_row


def test_a_targets_page_and_its_history_name_it_and_its_editor(
    coordinator_web: TestClient, clean_db: Engine
) -> None:
    rename(clean_db, "dp.vhxh", "Trần Thị Phối")
    page = coordinator_web.get(URL).text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
    name = "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn"
    assert heading and heading.group(1) == (
        f'Chỉ tiêu “{name}” <span class="muted">(mã tthc_ontime)</span>'
    )
    post(coordinator_web, URL, **fields(page))
    history = coordinator_web.get(URL).text.split('id="history"', 1)[1]
    assert "<td>Trần Thị Phối <span" in history and "(dp.vhxh · trên web)" in history


def test_people_and_tokens_show_unit_and_person_names(
    admin_web: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp")
    rename(clean_db, "bc.vp", "Lê Văn Báo")
    people = admin_web.get("/admin/people").text
    row = re.search(r'<tr id="user-bc.vp".*?</tr>', people, re.S)
    assert row and "<td>VP HĐND-UBND</td>" in row.group(0) and "<td>vp</td>" not in row.group(0)
    tokens = admin_web.get("/admin/tokens").text
    link = '<a href="/admin/people/bc.vp">Lê Văn Báo</a> <span class="muted small">(bc.vp)</span>'
    assert link in tokens


def test_the_scoring_configuration_says_who_set_it(admin_web: TestClient, clean_db: Engine) -> None:
    rename(clean_db, "qt.admin", "Võ Quản Trị")
    page = admin_web.get("/admin/settings").text
    data = scoring_fields(page, version="2026.1", note="Thử")
    assert post(admin_web, "/admin/settings/scoring", action="save", **data).status_code == 303
    again = admin_web.get("/admin/settings").text
    assert "do Võ Quản Trị đặt lúc" in again and "do qt.admin" not in again
