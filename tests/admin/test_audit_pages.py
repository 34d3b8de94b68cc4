"""The audit trail in the browser: search by record, person and day; who, what, before, after."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.admin.conftest import HX, post


def test_the_audit_trail_is_searchable(admin_web: TestClient) -> None:
    post(
        admin_web,
        "/admin/units/vhxh",
        name="Phòng Văn hóa - Xã hội (mới)",
        short_name="VH-XH",
        kind="office",
        parent="phu-dinh",
    )
    page = admin_web.get("/admin/audit")
    assert page.status_code == 200 and "Nhật ký thay đổi" in page.text
    found = admin_web.get(
        "/admin/audit?doi_tuong=unit&khoa=vhxh&nguoi=qt.admin&tu=20/11/2025&den=20/11/2025",
        headers=HX,
    )
    assert found.text.lstrip().startswith('<div id="results">')
    assert "1 thay đổi" in found.text and "<ins>Phòng Văn hóa - Xã hội (mới)</ins>" in found.text
    assert "20/11/2025" in found.text
    none = admin_web.get("/admin/audit?doi_tuong=unit&tu=21/11/2025", headers=HX)
    assert "Không có thay đổi nào" in none.text
    bad = admin_web.get("/admin/audit?tu=hôm qua", headers=HX)
    assert "Từ ngày: Ngày không hợp lệ" in bad.text


def test_reporters_cannot_read_the_audit_trail(application, seeded, clean_db, clock) -> None:
    from tests.accounts.test_pages import login
    from tests.conftest import make_user

    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    with TestClient(application) as reporter:
        login(reporter, "bc.ttpv")
        resp = reporter.get("/admin/audit")
        assert resp.status_code == 403 and "nhật ký" in resp.text
