"""Reporting settings: the due-date rule, and scoring weights previewed before they are saved."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.audit import service as audit_service
from app.plans import service as plan_service
from app.scores import configuration
from tests.admin.conftest import post


def scoring_fields(page: str, **changes: object) -> dict[str, object]:
    names = re.findall(
        r'<input id="scoring-([a-z_0-9]+)" name="\1" type="text" value="([^"]*)"', page
    )
    found: dict[str, object] = dict(names)
    found["base_version"] = re.search(r'name="base_version" value="([^"]*)"', page).group(1)
    return {**found, **changes}


def test_changing_the_due_days_is_audited(coordinator_web: TestClient, db_session: Session) -> None:
    page = coordinator_web.get("/admin/settings")
    assert page.status_code == 200 and 'name="month" type="text" value="5"' in page.text
    assert "Chỉ quản trị hệ thống được đổi cấu hình chấm điểm." in page.text
    bad = post(coordinator_web, "/admin/settings/due-days", htmx=True, month="31", quarter="x")
    assert bad.status_code == 422
    assert bad.text.count('class="field-error"') == 2 and 'value="31"' in bad.text
    assert "Hãy nhập một số ngày từ 1 đến 28." in bad.text
    full = post(coordinator_web, "/admin/settings/due-days", month="0", quarter="10")
    assert full.status_code == 422 and "<html" in full.text
    done = post(coordinator_web, "/admin/settings/due-days", month="7", quarter="12")
    assert done.status_code == 303
    db_session.expire_all()
    plan = plan_service.get_plan(db_session=db_session, code=None)
    assert plan.due_days == {"month": 7, "quarter": 12}
    events, _ = audit_service.list_events(db_session=db_session, entity="plan")
    assert events[0].before == {"due_days": {"month": 5, "quarter": 10}}
    assert events[0].after == {"due_days": {"month": 7, "quarter": 12}}


def test_the_scoring_change_is_previewed_then_saved(
    admin_web: TestClient, db_session: Session
) -> None:
    page = admin_web.get("/admin/settings")
    data = scoring_fields(page.text, version="2026.1", w_reporting="60", note="Thử")
    assert data["amber_distance"] == "0,9"
    preview = post(admin_web, "/admin/settings/scoring", htmx=True, action="preview", **data)
    assert preview.status_code == 200
    assert preview.text.lstrip().startswith('<section id="scoring"')
    assert "nếu áp dụng cấu hình mới" in preview.text and "Lưu và áp dụng" in preview.text
    assert configuration.get_config(db_session=db_session).config.version == "2026.0"
    saved = post(admin_web, "/admin/settings/scoring", action="save", **data)
    assert saved.status_code == 303
    current = configuration.get_config(db_session=db_session)
    assert current.config.version == "2026.1" and current.config.weights.reporting == 60
    again = post(admin_web, "/admin/settings/scoring", htmx=True, action="save", **data)
    assert again.status_code == 409 and 'value="Thử"' in again.text


def test_a_bad_scoring_change_names_the_field(admin_web: TestClient) -> None:
    page = admin_web.get("/admin/settings")
    data = scoring_fields(page.text, version="2026.2", amber_distance="1,5", band_min_3="10")
    resp = post(admin_web, "/admin/settings/scoring", htmx=True, action="preview", **data)
    assert resp.status_code == 422
    assert 'id="scoring-amber_distance-err"' in resp.text and 'value="1,5"' in resp.text
    assert "Lưu và áp dụng" not in resp.text
    full = post(admin_web, "/admin/settings/scoring", action="save", **data)
    assert full.status_code == 422 and "<html" in full.text


def test_a_scoring_form_missing_fields_is_422_not_500(admin_web: TestClient) -> None:
    """A form cut short (a script, a proxy, a tampered page) names what is missing."""
    resp = post(admin_web, "/admin/settings/scoring", htmx=True, action="save", band_label_1="A")
    assert resp.status_code == 422
    assert 'id="scoring-amber_distance-err"' in resp.text


def test_only_admins_change_the_scoring(coordinator_web: TestClient) -> None:
    resp = post(coordinator_web, "/admin/settings/scoring", action="preview", version="x")
    assert resp.status_code == 403
