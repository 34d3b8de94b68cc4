"""`/thanh-pho/phuong-xa`: the city's wards, and the page twin of ``POST /api/v1/wards`` — the
same schema and service, so the same checks, the same audit record, field errors in Vietnamese."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.wards.models import Ward
from tests.wards.conftest import _browser, _user

PAGE = "/thanh-pho/phuong-xa"


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE).text)
    assert found is not None
    return found.group(1)


def _city_admin(application: FastAPI, city: Session, clock: FixedClock) -> TestClient:
    _user(city, clock, username="thanh.pho", role="city_admin", ward="phu-dinh")
    return _browser(application, "thanh.pho")


def test_a_city_admin_creates_a_ward_and_finds_it_in_the_list_and_the_audit(
    application: FastAPI, city: Session, clock: FixedClock
) -> None:
    with _city_admin(application, city, clock) as browser:
        page = browser.get(PAGE)
        assert page.status_code == 200
        assert "Phường Chánh Hưng" in page.text and "Thêm phường, xã" in page.text
        assert 'href="/thanh-pho/phuong-xa"' in browser.get("/thanh-pho").text
        fragment = browser.get(PAGE, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert 'id="ward-list"' in fragment.text
        form = {"code": "xom-chieu", "name": "Phường Xóm Chiếu", "csrf_token": _csrf(browser)}
        done = browser.post(PAGE, data=form, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == PAGE
        assert "Phường Xóm Chiếu" in browser.get(PAGE).text
        again = browser.post(PAGE, data=form, headers={"HX-Request": "true"})
    assert again.status_code == 409
    assert "Mã này đã được dùng." in again.text and 'value="Phường Xóm Chiếu"' in again.text
    city.expire_all()
    ward = city.exec(select(Ward).where(Ward.code == "xom-chieu")).one()
    assert (ward.name, ward.city) == ("Phường Xóm Chiếu", "Thành phố Hồ Chí Minh")
    event = city.exec(
        select(AuditEvent).where(AuditEvent.entity == "ward", AuditEvent.entity_key == "xom-chieu")
    ).one()
    assert event.actor_username == "thanh.pho" and event.via == "web"


def test_a_wrong_form_shows_vietnamese_errors_next_to_the_fields(
    application: FastAPI, city: Session, clock: FixedClock
) -> None:
    with _city_admin(application, city, clock) as browser:
        refused = browser.post(
            PAGE,
            data={"code": "Xóm Chiếu!", "name": "", "csrf_token": _csrf(browser)},
            headers={"HX-Request": "true"},
        )
        assert refused.status_code == 422
        assert 'id="ward-new-code-err"' in refused.text and 'id="ward-new-name-err"' in refused.text
        assert "Thiếu" in refused.text or "bắt buộc" in refused.text
        assert 'value="Xóm Chiếu!"' in refused.text  # what was typed is kept
        whole = browser.post(
            PAGE, data={"code": "", "name": "X", "csrf_token": _csrf(browser)}
        )  # a plain post draws the whole page with the error
        assert whole.status_code == 422 and "<html" in whole.text
        assert 'id="ward-new-code-err"' in whole.text
        no_token = browser.post(PAGE, data={"code": "tan-hung", "name": "Phường Tân Hưng"})
        assert no_token.status_code == 403
    city.expire_all()
    assert city.exec(select(Ward).where(Ward.code.in_(["tan-hung"]))).all() == []  # type: ignore[attr-defined]


def test_a_city_viewer_reads_the_list_and_a_ward_admin_neither_reads_nor_creates(
    application: FastAPI, city: Session
) -> None:
    with _browser(application, "so.noi.vu") as viewer:
        page = viewer.get(PAGE)
        assert page.status_code == 200 and "Phường Bình Đông" in page.text
        assert "Thêm phường, xã" not in page.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', viewer.get("/thanh-pho").text)
        assert csrf is not None  # the logout form's: a valid token, so the role is what refuses
        token = csrf.group(1)
        refused = viewer.post(PAGE, data={"code": "x1", "name": "X", "csrf_token": token})
        assert refused.status_code == 403
    with _browser(application, "admin.binh-dong") as ward_admin:
        assert ward_admin.get(PAGE).status_code == 403
    city.expire_all()
    assert len(city.exec(select(Ward)).all()) == 3
