"""Copying the plan in the browser: dates as officers type them, mistakes kept beside the field."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.plans.models import Plan
from tests.admin.conftest import post

FORM = {
    "code": "kh-cchc-2026",
    "number": "12/KH-UBND",
    "issued_date": "15/01/2026",
    "first_year": "2026",
    "last_year": "",
    "title": "",
    "with_targets": "1",
}


def test_a_coordinator_copies_the_plan_to_next_year(
    coordinator_web: TestClient, seeded: Session
) -> None:
    page = coordinator_web.get("/admin/plan/copy")
    assert page.status_code == 200
    assert 'value="2027"' in page.text  # the year after the plan's last one, as a default
    done = post(coordinator_web, "/admin/plan/copy", **FORM)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/chon?plan=kh-cchc-2026&next=/plan"
    opened = coordinator_web.get(done.headers["location"])
    assert "Số: 12/KH-UBND · ngày 15/01/2026" in opened.text
    copied = seeded.exec(select(Plan).where(Plan.code == "kh-cchc-2026")).one()
    assert (copied.first_year, copied.last_year, copied.reporting_start) == (2026, 2026, "2026-Q1")


def test_mistakes_are_named_beside_their_field_and_nothing_is_lost(
    coordinator_web: TestClient, seeded: Session
) -> None:
    wrong = post(
        coordinator_web, "/admin/plan/copy", htmx=True,
        **{**FORM, "issued_date": "31/02/2026", "first_year": "hai nghìn"},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert 'id="plan-copy-issued_date-err"' in wrong.text
    assert 'id="plan-copy-first_year-err"' in wrong.text
    assert 'value="12/KH-UBND"' in wrong.text and 'value="31/02/2026"' in wrong.text
    assert post(coordinator_web, "/admin/plan/copy", **FORM).status_code == 303
    again = post(coordinator_web, "/admin/plan/copy", htmx=True, **FORM)
    assert again.status_code == 409
    assert "đã có kế hoạch mã “kh-cchc-2026”" in again.text
    assert len(seeded.exec(select(Plan)).all()) == 2


def test_a_reporter_cannot_copy(application, seeded: Session, clean_db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.admin.conftest import _session
    from tests.conftest import make_user

    make_user(clean_db, clock, username="bc.vhxh", role="reporter", unit="vhxh")
    for client in _session(application, "bc.vhxh", "/"):
        refused = post(client, "/admin/plan/copy", **FORM)
        assert refused.status_code == 403
    assert len(seeded.exec(select(Plan)).all()) == 1
