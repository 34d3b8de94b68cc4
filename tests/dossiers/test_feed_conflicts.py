"""A feed's figure and a unit's own figure for one key: both kept, the computed one counts, the
difference flagged in the workspace, the review, the import summary, and the unit told."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.reminders.models import Notification
from tests.accounts.test_pages import login
from tests.conftest import make_user
from tests.dossiers.test_feeds import DOSSIERS, FEEDBACK, FEEDBACK_ROWS, OCTOBER, readings
from tests.uploads.conftest import send_csv

KEY = ("online_dossier", "ttpvhcc", None)
#: OCTOBER: ttpvhcc received D1..D6 in October, D1 and D4 online.
COMPUTED = 2 / 6 * 100
FLAG = "Số liệu tự tính từ hồ sơ TTHC: 33,3% — đơn vị nhập: 99%; số tự tính được dùng"


def _put_hand(api: TestClient, value: float, version: int | None = None) -> dict:
    body: dict = {"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10"}
    body["value"] = value
    if version is not None:
        body["version"] = version
    resp = api.put("/api/v1/readings", json=body)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def _notifications(engine: Engine, username: str) -> list[Notification]:
    from app.accounts.models import User

    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return list(
            session.exec(
                select(Notification)
                .where(Notification.user_id == user.id)
                .order_by(col(Notification.id))
            )
        )


def _pages(application: FastAPI, clean_db: Engine, clock: FixedClock) -> tuple[str, str]:
    """The unit's workspace (as its reporter) and the review page (as a coordinator)."""
    make_user(clean_db, clock, username="dieu.phoi", role="coordinator", unit="vhxh")
    with TestClient(application) as reporter:
        login(reporter, "tt.bc")
        workspace = reporter.get("/units/ttpvhcc/periods/2025-10")
    with TestClient(application) as coordinator:
        login(coordinator, "dieu.phoi")
        review = coordinator.get("/review/ttpvhcc/2025-10")
    assert workspace.status_code == 200 and review.status_code == 200, review.text
    return workspace.text, review.text


def test_a_feed_takes_over_a_figure_the_unit_typed_and_keeps_it(
    api: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="tt.bc", role="reporter", unit="ttpvhcc")
    typed = _put_hand(api, 99)
    assert typed["source"] == "api" and typed["conflict"] is False

    summary = send_csv(api, DOSSIERS, OCTOBER).json()
    assert summary["conflicts"] >= 1
    assert "online_dossier/ttpvhcc/2025-10/-" in summary["conflict_keys"]
    assert summary["conflicts"] == len(summary["conflict_keys"])

    r = readings(api, period="2025-10")[KEY]
    assert r["value"] == pytest.approx(COMPUTED) and r["source"] == "computed"  # counts
    assert (r["reported_value"], r["reported_source"]) == (99, "api")  # kept
    assert r["conflict"] is True and r["version"] == typed["version"] + 1

    [told] = _notifications(clean_db, "tt.bc")
    assert "Tháng 10/2025" in told.title and told.link == "/units/ttpvhcc/periods/2025-10"
    assert f"online_dossier: {FLAG}." in told.body
    with Session(clean_db) as session:
        event = session.exec(
            select(AuditEvent).where(
                AuditEvent.entity == "reading",
                AuditEvent.entity_key == "online_dossier/ttpvhcc/2025-10/-",
                AuditEvent.action == "update",
            )
        ).one()
    assert event.before["value"] == 99 and event.before["source"] == "api"
    assert event.after["source"] == "computed" and event.after["reported_value"] == 99

    workspace, review = _pages(application, clean_db, clock)
    assert FLAG in workspace and FLAG in review
    assert 'name="value" inputmode="decimal" size="8" value="99"' in workspace  # its own figure

    again = send_csv(api, DOSSIERS, OCTOBER).json()  # nothing changes: nobody is told again
    assert again["unchanged"] == 7 and len(_notifications(clean_db, "tt.bc")) == 1


def test_a_figure_typed_after_the_feed_is_kept_but_the_computed_one_counts(
    api: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="tt.bc", role="reporter", unit="ttpvhcc")
    assert send_csv(api, DOSSIERS, OCTOBER).json()["conflicts"] == 0
    computed = readings(api, period="2025-10")[KEY]

    typed = _put_hand(api, 99, version=computed["version"])
    assert typed["value"] == pytest.approx(COMPUTED) and typed["source"] == "computed"
    assert (typed["reported_value"], typed["reported_source"], typed["conflict"]) == (
        99,
        "api",
        True,
    )
    assert typed["reported_at"] is not None
    workspace, review = _pages(application, clean_db, clock)
    assert FLAG in workspace and FLAG in review

    # the same through a file: counted as a conflict in the summary, the computed value stays
    bulk = send_csv(
        api,
        "/api/v1/readings/bulk",
        "indicator,unit,period,value\nonline_dossier,ttpvhcc,2025-10,98\n",
    ).json()
    assert (bulk["updated"], bulk["conflicts"]) == (1, 1)
    assert bulk["conflict_keys"] == ["online_dossier/ttpvhcc/2025-10/-"]
    r = readings(api, period="2025-10")[KEY]
    assert (r["value"], r["reported_value"], r["reported_source"]) == (
        pytest.approx(COMPUTED),
        98,
        "import",
    )
    # a figure that agrees with the feed (as shown, one decimal) is no conflict
    agreeing = _put_hand(api, 33.3)
    assert agreeing["conflict"] is False and agreeing["reported_value"] == 33.3


def test_when_the_feed_stops_covering_a_key_the_units_figure_counts_again(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="vp.bc", role="reporter", unit="vp")
    resp = api.put(
        "/api/v1/readings",
        json={"indicator": "online_dossier", "unit": "vp", "period": "2025-10", "value": 80},
    )
    assert resp.status_code == 201
    send_csv(api, DOSSIERS, OCTOBER)  # D7: vp, online, received in October → 100%
    assert readings(api, period="2025-10")[("online_dossier", "vp", None)]["value"] == 100
    moved = OCTOBER.replace(  # D7 received and completed in November instead
        "online,2025-10-10,2025-10-20,2025-10-21", "online,2025-11-10,2025-11-20,2025-11-12"
    )
    assert send_csv(api, DOSSIERS, moved).json()["updated"] == 1
    back = readings(api, period="2025-10")[("online_dossier", "vp", None)]
    assert (back["value"], back["source"], back["reported_value"]) == (80, "api", None)
    told = _notifications(clean_db, "vp.bc")
    assert len(told) == 2
    assert "được dùng lại" in told[1].body and "80" in told[1].body


def test_feedback_conflicts_are_flagged_too(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="vp.bc", role="reporter", unit="vp")
    api.put(
        "/api/v1/readings",
        json={"indicator": "complaint_ontime", "unit": "vp", "period": "2025-10", "value": 100},
    )
    summary = send_csv(api, FEEDBACK, FEEDBACK_ROWS).json()
    assert summary["conflict_keys"] == ["complaint_ontime/vp/2025-10/-"]
    r = readings(api, period="2025-10")[("complaint_ontime", "vp", None)]
    assert (r["value"], r["reported_value"], r["conflict"]) == (50, 100, True)
    [told] = _notifications(clean_db, "vp.bc")
    assert "Số liệu tự tính từ phản ánh, kiến nghị: 50% — đơn vị nhập: 100%" in told.body


def test_computed_readings_still_cannot_be_deleted_by_hand(api: TestClient) -> None:
    send_csv(api, DOSSIERS, OCTOBER)
    reading = readings(api, period="2025-10")[KEY]
    assert api.delete(f"/api/v1/readings/{reading['id']}").status_code == 409


def test_the_upload_page_shows_the_conflicts(
    api: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    from tests.accounts.test_pages import hidden

    _put_hand(api, 99)
    make_user(clean_db, clock, username="quan.tri", role="admin")
    with TestClient(application) as browser:
        login(browser, "quan.tri")
        token = hidden(browser.get("/imports").text, "csrf_token")
        resp = browser.post(
            "/imports",
            data={"kind": "dossiers"},
            files={"file": ("ho-so.csv", OCTOBER.encode(), "text/csv")},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
    assert resp.status_code == 200, resp.text
    assert 'id="conflicts"' in resp.text
    assert "số tự tính được dùng" in resp.text
    conflict = '<li title="online_dossier/ttpvhcc/2025-10/-">'
    assert (
        conflict + "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến · TTPVHCC · Tháng 10/2025</li>"
        in resp.text
    )


def test_a_figure_typed_in_the_workspace_after_the_feed_is_kept_and_flagged(
    api: TestClient, application: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    from tests.accounts.test_pages import hidden

    make_user(clean_db, clock, username="tt.bc", role="reporter", unit="ttpvhcc")
    send_csv(api, DOSSIERS, OCTOBER)
    version = readings(api, period="2025-10")[KEY]["version"]
    with TestClient(application) as reporter:
        login(reporter, "tt.bc")
        page = reporter.get("/units/ttpvhcc/periods/2025-10")
        saved = reporter.post(
            "/units/ttpvhcc/periods/2025-10/readings/online_dossier",
            data={"value": "99", "version": str(version), "domain": "", "note": "Sổ theo dõi"},
            headers={"HX-Request": "true", "X-CSRF-Token": hidden(page.text, "csrf_token")},
        )
    assert saved.status_code == 200, saved.text
    assert f"{FLAG}." in saved.text  # the row the unit just saved says which figure counts
    r = readings(api, period="2025-10")[KEY]
    assert (r["value"], r["source"]) == (pytest.approx(COMPUTED), "computed")
    assert (r["reported_value"], r["reported_source"], r["reported_note"]) == (
        99,
        "form",
        "Sổ theo dõi",
    )
