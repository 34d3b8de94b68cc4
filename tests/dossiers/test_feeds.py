"""Dossier and feedback feeds: records upserted by code, rates computed and checked by hand."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.actors import SYSTEM
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.reporting import transitions
from tests.conftest import make_token
from tests.uploads.conftest import counts, lock_period, send_csv

DOSSIERS = "/api/v1/dossiers/bulk"
FEEDBACK = "/api/v1/feedback/bulk"
HEAD = (
    "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at,"
    "returned_at,rescheduled,fully_online,digitized,e_result,reused_data,paid_online\n"
)
#: Hand-counted below: ttpvhcc, October 2025.
OCTOBER = HEAD + "\n".join(
    [
        # early, online, everything electronic
        "D1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,01/10/2025 08:00,03/10/2025 17:00,"
        "02/10/2025 10:00,02/10/2025 15:00,,true,true,true,,true",
        # on the due day itself: on time
        "D2,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,direct,2025-10-02,2025-10-04,"
        "2025-10-04T16:00,,,,true,,,",
        # late (rescheduled, and still counted late against the receipt's date)
        "D3,ttpvhcc,1.002,Đăng ký kết hôn,ho-tich,direct,2025-10-03,2025-10-06,2025-10-08,,"
        "true,,,,true,",
        # still open after its due date: overdue
        "D4,ttpvhcc,1.002,Đăng ký kết hôn,ho-tich,online,2025-10-20,2025-10-25,,,,,,,,",
        "D5,ttpvhcc,2.001,Chứng thực bản sao,chung-thuc,direct,2025-10-05,2025-10-05,"
        "2025-10-05,,,,,true,,",
        # received in October, completed in November
        "D6,ttpvhcc,2.001,Chứng thực bản sao,chung-thuc,postal,2025-10-30,2025-11-05,"
        "2025-11-04,,,,,,,",
        "D7,vp,3.001,Cấp giấy chứng nhận,dat-dai,online,2025-10-10,2025-10-20,2025-10-21,,,,,,,",
    ]
)


def readings(client: TestClient, **params: str) -> dict[tuple[str, str, str | None], dict]:
    items = client.get("/api/v1/readings", params={"limit": 1000, **params}).json()["items"]
    return {(i["indicator"], i["unit"], i["domain"]): i for i in items}


def test_rates_are_computed_per_unit_domain_and_period(api: TestClient) -> None:
    resp = send_csv(api, DOSSIERS, OCTOBER)
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 7
    october = readings(api, period="2025-10")
    expected = {
        # completed in October: D1 D2 D3 (ho-tich), D5 (chung-thuc); on time: D1 D2 D5
        ("tthc_ontime", "ttpvhcc", "ho-tich"): (2, 3),
        ("tthc_ontime", "ttpvhcc", "chung-thuc"): (1, 1),
        ("electronic_results", "ttpvhcc", None): (2, 4),  # D1 D5
        # received in October: D1..D6
        ("online_dossier", "ttpvhcc", None): (2, 6),  # D1 D4
        ("digitized_components", "ttpvhcc", None): (2, 6),  # D1 D2
        ("reuse_digitized", "ttpvhcc", None): (1, 6),  # D3
        ("tthc_ontime", "vp", "dat-dai"): (0, 1),  # D7, a day late
        ("online_dossier", "vp", None): (1, 1),
        ("digitized_components", "vp", None): (0, 1),
        ("reuse_digitized", "vp", None): (0, 1),
        ("electronic_results", "vp", None): (0, 1),
    }
    assert set(october) == set(expected)
    for key, (numerator, denominator) in expected.items():
        r = october[key]
        assert (r["numerator"], r["denominator"]) == (numerator, denominator), key
        assert r["value"] == pytest.approx(numerator / denominator * 100)
        assert r["source"] == "computed"
    november = readings(api, period="2025-11")
    assert (november[("tthc_ontime", "ttpvhcc", "chung-thuc")]["numerator"],) == (1,)  # D6
    assert november[("electronic_results", "ttpvhcc", None)]["value"] == 0


def test_a_computed_reading_shows_the_records_behind_it(api: TestClient) -> None:
    send_csv(api, DOSSIERS, OCTOBER)
    reading = readings(api, period="2025-10")[("tthc_ontime", "ttpvhcc", "ho-tich")]
    basis = api.get(f"/api/v1/readings/{reading['id']}/records").json()
    assert basis["total"] == 3
    assert {i["code"]: i["counted"] for i in basis["items"]} == {
        "D1": True,
        "D2": True,
        "D3": False,
    }


def test_recomputation_touches_only_the_periods_imported(api: TestClient, clean_db: Engine) -> None:
    send_csv(api, DOSSIERS, OCTOBER)
    october = readings(api, period="2025-10")
    with Session(clean_db) as session:
        last_event = session.exec(select(AuditEvent.id).order_by(col(AuditEvent.id).desc())).first()
    november_only = HEAD + (
        "N1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2025-11-03,2025-11-05,"
        "2025-11-04,,,,true,true,,\n"
    )
    assert send_csv(api, DOSSIERS, november_only).json()["created"] == 1
    assert readings(api, period="2025-10") == october
    with Session(clean_db) as session:
        keys = session.exec(
            select(AuditEvent.entity_key).where(col(AuditEvent.id) > last_event)
        ).all()
    assert keys and not [k for k in keys if "2025-10" in k]
    assert readings(api, period="2025-11")[("tthc_ontime", "ttpvhcc", "ho-tich")]["numerator"] == 1


def test_an_unchanged_feed_writes_nothing_and_a_fix_updates_the_rate(
    api: TestClient, clean_db: Engine
) -> None:
    send_csv(api, DOSSIERS, OCTOBER)
    before = counts(clean_db)
    again = send_csv(api, DOSSIERS, OCTOBER).json()
    assert (again["unchanged"], again["created"], again["updated"]) == (7, 0, 0)
    assert counts(clean_db) == before
    fixed = OCTOBER.replace("2025-10-06,2025-10-08", "2025-10-06,2025-10-06")  # D3 on time
    assert send_csv(api, DOSSIERS, fixed).json()["updated"] == 1
    r = readings(api, period="2025-10")[("tthc_ontime", "ttpvhcc", "ho-tich")]
    assert (r["numerator"], r["denominator"], r["version"]) == (3, 3, 2)
    with Session(clean_db) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "dossier", AuditEvent.action == "update")
        ).one()
    assert event.via == "import" and event.entity_key == "D3"
    assert event.before["completed_at"].startswith("2025-10-07T17:00")
    assert event.after["completed_at"].startswith("2025-10-05T17:00")


CONTRADICTIONS = [
    ("due before received", "2025-10-05,2025-10-04,,", "due_at", "due_before_received"),
    (
        "completed before received",
        "2025-10-05,2025-10-09,2025-10-04,",
        "completed_at",
        "completed_before_received",
    ),
    (
        "returned before completed",
        "2025-10-05,2025-10-09,2025-10-08,2025-10-07",
        "returned_at",
        "returned_before_completed",
    ),
    (
        "returned, never completed",
        "2025-10-05,2025-10-09,,2025-10-07",
        "completed_at",
        "returned_without_completed",
    ),
    ("received in the future", "2025-11-25,2025-11-29,,", "received_at", "in_future"),
    ("not a date", "32/10/2025,2025-10-09,,", "received_at", "invalid"),
]


@pytest.mark.parametrize(
    ("case", "dates", "field", "code"), CONTRADICTIONS, ids=[c[0] for c in CONTRADICTIONS]
)
def test_contradictory_dates_are_refused_by_row(
    api: TestClient, clean_db: Engine, case: str, dates: str, field: str, code: str
) -> None:
    row = f"X1,ttpvhcc,1.001,Khai sinh,ho-tich,direct,{dates},,,,,,\n"
    resp = send_csv(api, DOSSIERS, OCTOBER + "\n" + row)
    assert resp.status_code == 422
    [err] = [e for e in resp.json()["errors"] if e["row"] == 9]
    assert (err["field"], err["code"]) == (field, code)
    assert counts(clean_db)["Dossier"] == 0


def test_other_row_problems(api: TestClient) -> None:
    rows = [
        "Y1,ttpvhcc,1,Khai sinh,ho-tich,fax,2025-10-01,2025-10-02,,,,,,,,",
        "Y2,ttpvhcc,1,Khai sinh,ho-tich,direct,2025-10-01,2025-10-02,,,,true,,,,",
        "Y3,ttpvhcc,1,Khai sinh,thue,direct,2025-10-01,2025-10-02,,,,,,,,",
        "Y4,ttpvhcc,1,Khai sinh,ho-tich,direct,2025-10-01,2025-10-02,,,co le,,,,,",
    ]
    resp = send_csv(api, DOSSIERS, HEAD + "\n".join(rows) + "\n", partial="true")
    errors = {e["row"]: (e["field"], e["code"]) for e in resp.json()["errors"]}
    assert errors == {
        2: ("channel", "invalid"),
        3: ("fully_online", "not_online"),
        4: ("domain", "domain_not_found"),
        5: ("rescheduled", "invalid"),
    }


def test_dossiers_in_a_locked_period_are_refused(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    lock_period(clean_db, clock, "vp", "2025-10")
    resp = send_csv(api, DOSSIERS, OCTOBER, partial="true")
    body = resp.json()
    assert (body["rejected"], body["created"]) == (1, 6)
    assert body["errors"][0]["row"] == 8 and body["errors"][0]["code"] == "period_locked"


def test_a_report_waiting_for_review_still_takes_the_feed_but_not_the_units_edits(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """Sent is not final: the one-stop-shop's late completions keep arriving every night while
    the coordinator reviews, and the readings computed from them follow; the unit's own figures
    wait for review (409 period_locked), as the page says."""
    with Session(clean_db, expire_on_commit=False) as session:
        transitions.submit(
            db_session=session, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
        )
    resp = send_csv(api, DOSSIERS, OCTOBER)
    assert resp.status_code == 200, resp.text
    assert resp.json()["rejected"] == 0
    computed = api.get("/api/v1/readings?unit=ttpvhcc&period=2025-10&indicator=online_dossier")
    assert computed.json()["items"][0]["source"] == "computed"
    typed = api.put(
        "/api/v1/readings",
        json={"indicator": "disbursement", "unit": "ttpvhcc", "period": "2025-10", "value": 90},
    )
    assert typed.status_code == 409 and typed.json()["detail"]["code"] == "period_locked"
    assert "chờ duyệt" in typed.json()["detail"]["message"]


def test_a_reporter_feeds_only_its_own_unit(
    application, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="mot.cua", role="reporter", unit="ttpvhcc")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as reporter:
        resp = send_csv(reporter, DOSSIERS, OCTOBER)
        assert resp.status_code == 403
        summary = resp.json()["detail"]["summary"]
        assert [(e["row"], e["code"]) for e in summary["errors"]] == [(8, "other_unit")]
        assert counts(clean_db)["Dossier"] == 0
        listed = reporter.get("/api/v1/dossiers", params={"unit": "vp"})
        assert listed.status_code == 403


def test_overdue_dossiers_are_listed_for_chasing(api: TestClient) -> None:
    send_csv(api, DOSSIERS, OCTOBER)
    resp = api.get("/api/v1/dossiers", params={"status": "overdue", "unit": "ttpvhcc"})
    assert [d["code"] for d in resp.json()["items"]] == ["D4"]
    by_domain = api.get(
        "/api/v1/dossiers", params={"domain": "ho-tich", "period": "2025-10"}
    ).json()
    assert by_domain["total"] == 4
    late = api.get("/api/v1/dossiers", params={"status": "late"}).json()
    assert {d["code"] for d in late["items"]} == {"D3", "D7"}


FEEDBACK_HEAD = "code,unit,channel,kind,received_at,due_at,resolved_at,satisfied\n"
FEEDBACK_ROWS = FEEDBACK_HEAD + "\n".join(
    [
        "F1,vp,1022,petition,2025-10-01,2025-10-10,2025-10-05,true",
        "F2,vp,national_portal,complaint,2025-10-02,2025-10-15,2025-10-20,false",
        "F3,vp,direct,denunciation,2025-10-03,2025-10-30,2025-10-25,",
        "F4,vp,1022,petition,2025-10-25,2025-11-05,,",
    ]
)


def test_complaints_handled_on_time_are_computed_from_feedback(api: TestClient) -> None:
    resp = send_csv(api, FEEDBACK, FEEDBACK_ROWS)
    assert resp.json()["created"] == 4
    r = readings(api, period="2025-10")[("complaint_ontime", "vp", None)]
    assert (r["numerator"], r["denominator"]) == (1, 2)  # F3 on time, F2 late; petitions apart
    basis = api.get(f"/api/v1/readings/{r['id']}/records").json()
    assert {i["code"]: i["counted"] for i in basis["items"]} == {"F2": False, "F3": True}
    listed = api.get("/api/v1/feedback", params={"unit": "vp", "kind": "petition"}).json()
    assert {f["code"] for f in listed["items"]} == {"F1", "F4"}


def test_feedback_contradictions(api: TestClient) -> None:
    rows = FEEDBACK_HEAD + "G1,vp,1022,petition,2025-10-05,2025-10-10,2025-10-01,\n"
    rows += "G2,vp,1022,rumour,2025-10-05,2025-10-10,,\nG3,vp,1022,petition,2025-10-05,"
    rows += "2025-10-10,,true\n"
    errors = send_csv(api, FEEDBACK, rows).json()["errors"]
    assert [(e["row"], e["field"], e["code"]) for e in errors] == [
        (2, "resolved_at", "resolved_before_received"),
        (3, "kind", "invalid"),
        (4, "satisfied", "not_resolved"),
    ]


# --- a column a feed does not carry is unknown, not false ------------------------------------

NO_FLAGS_HEAD = (
    "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at\n"
)
NO_FLAGS = NO_FLAGS_HEAD + "\n".join(
    [
        "U1,ttpvhcc,1.001,Khai sinh,ho-tich,online,2025-10-01,2025-10-03,2025-10-02",
        "U2,ttpvhcc,1.001,Khai sinh,ho-tich,direct,2025-10-02,2025-10-04,2025-10-06",
    ]
)


def test_a_file_without_the_flag_columns_leaves_their_rates_unknown(
    api: TestClient, clean_db: Engine
) -> None:
    assert send_csv(api, DOSSIERS, NO_FLAGS).json()["created"] == 2
    october = readings(api, period="2025-10")
    # what the file does carry is still computed
    assert (october[("online_dossier", "ttpvhcc", None)]["numerator"],) == (1,)
    assert october[("tthc_ontime", "ttpvhcc", "ho-tich")]["denominator"] == 2
    # ... what it does not is no reading at all, never 0%
    for code in ("digitized_components", "electronic_results", "reuse_digitized"):
        assert (code, "ttpvhcc", None) not in october, code
    listed = api.get("/api/v1/dossiers", params={"unit": "ttpvhcc"}).json()["items"]
    assert {d["code"]: d["digitized"] for d in listed} == {"U1": None, "U2": None}
    card = api.get("/api/v1/scorecards/766", params={"unit": "ttpvhcc", "period": "2025-10"})
    metrics = {m["code"]: m for g in card.json()["groups"] for m in g["metrics"]}
    assert metrics["digitized"]["status"] == "not_measured"
    assert metrics["digitized"]["reason"] == "Chưa có số liệu kỳ này."
    assert metrics["online_dossiers"]["status"] == "measured"


def test_a_partly_known_flag_is_computed_over_the_known_records_and_says_so(
    api: TestClient,
) -> None:
    send_csv(api, DOSSIERS, OCTOBER)  # D1..D6 carry every flag: digitised D1, D2
    assert send_csv(api, DOSSIERS, NO_FLAGS).json()["created"] == 2
    r = readings(api, period="2025-10")[("digitized_components", "ttpvhcc", None)]
    assert (r["numerator"], r["denominator"]) == (2, 6)
    assert (
        "6/8 hồ sơ TTHC" in r["note"] and "2 hồ sơ chưa có thông tin ở cột digitized" in (r["note"])
    )
    basis = api.get(f"/api/v1/readings/{r['id']}/records").json()
    assert basis["total"] == 6 and "U1" not in {i["code"] for i in basis["items"]}
    # re-sending a record without the column keeps what an earlier file said
    again = HEAD.replace(",rescheduled,fully_online,digitized,e_result,reused_data,paid_online", "")
    d1 = "D1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,01/10/2025 08:00,03/10/2025 17:00,"
    d1 += "02/10/2025 10:00,02/10/2025 15:00\n"
    assert send_csv(api, DOSSIERS, again + d1).json()["unchanged"] == 1
    listed = api.get("/api/v1/dossiers", params={"unit": "ttpvhcc"}).json()["items"]
    assert {d["code"]: d["digitized"] for d in listed}["D1"] is True


def test_json_rows_say_unknown_with_null_or_by_leaving_the_key_out(api: TestClient) -> None:
    rows = [
        {
            "code": "J1",
            "unit": "ttpvhcc",
            "domain": "ho-tich",
            "channel": "direct",
            "received_at": "2025-10-01",
            "due_at": "2025-10-03",
            "digitized": True,
        },
        {
            "code": "J2",
            "unit": "ttpvhcc",
            "domain": "ho-tich",
            "channel": "direct",
            "received_at": "2025-10-01",
            "due_at": "2025-10-03",
            "digitized": None,
        },
    ]
    assert api.post(DOSSIERS, json=rows).json()["created"] == 2
    r = readings(api, period="2025-10")[("digitized_components", "ttpvhcc", None)]
    assert (r["numerator"], r["denominator"]) == (1, 1)
    assert ("reuse_digitized", "ttpvhcc", None) not in readings(api, period="2025-10")
