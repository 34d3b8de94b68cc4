"""POST /readings/bulk: the bad-file catalogue, atomic vs partial, dry runs, idempotency, audit."""

from __future__ import annotations

import hashlib
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.kpis.models import Reading
from app.uploads.models import ImportBatch
from tests.conftest import make_token
from tests.uploads.conftest import counts, lock_period, send_csv

URL = "/api/v1/readings/bulk"
HEADER = "indicator,unit,period,domain,value,numerator,denominator,note\n"
GOOD = (
    HEADER
    + "tthc_ontime,ttpvhcc,2025-10,ho-tich,98.5,,,Từ hệ thống một cửa\n"
    + "complaint_ontime,vp,2025-10,,,19,20,\n"
    + "online_dossier,ttpvhcc,2025-11,,81,,,\n"
)


def error_of(resp, row: int) -> dict:
    found = [e for e in resp.json()["errors"] if e["row"] == row]
    assert found, f"no error for row {row}: {resp.json()}"
    return found[0]


def test_a_good_file_is_written_and_summarised(api: TestClient, clean_db: Engine) -> None:
    resp = send_csv(api, URL, GOOD)
    assert resp.status_code == 200
    assert resp.json() == {
        "status": "ok",
        "dry_run": False,
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "conflicts": 0,
        "conflict_keys": [],
        "errors": [],
        "errors_total": 0,
        "error_groups": [],
        "error_groups_total": 0,
        "errors_report": None,
        "rejected_report": None,
    }
    items = api.get("/api/v1/readings", params={"period": "2025-10"}).json()["items"]
    by_code = {i["indicator"]: i for i in items}
    assert by_code["complaint_ontime"]["value"] == pytest.approx(95)
    assert by_code["tthc_ontime"]["source"] == "import"
    assert by_code["tthc_ontime"]["note"] == "Từ hệ thống một cửa"


def test_resending_the_same_file_changes_nothing(api: TestClient, clean_db: Engine) -> None:
    send_csv(api, URL, GOOD)
    before = counts(clean_db)
    resp = send_csv(api, URL, GOOD)
    assert resp.status_code == 200
    body = resp.json()
    assert (body["created"], body["updated"], body["unchanged"], body["rejected"]) == (0, 0, 3, 0)
    assert counts(clean_db) == before  # not even an audit row


def test_changed_rows_are_updated_and_audited_as_an_import(
    api: TestClient, clean_db: Engine
) -> None:
    send_csv(api, URL, GOOD)
    changed = GOOD.replace("98.5", "99")
    resp = send_csv(api, URL, changed)
    assert (resp.json()["updated"], resp.json()["unchanged"]) == (1, 2)
    with Session(clean_db) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "reading").order_by(col(AuditEvent.id))
        ).all()
        imports = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "import_batch")
            .order_by(col(AuditEvent.id))
        ).all()
        batches = session.exec(select(ImportBatch).order_by(col(ImportBatch.id))).all()
        created_by = {r.import_batch_id for r in session.exec(select(Reading)).all()}
    # the creations are the first batch's; the change keeps its own event with both values
    assert [e.action for e in events] == ["update"]
    assert {e.via for e in events} == {"import"}
    assert events[-1].before["value"] == 98.5 and events[-1].after["value"] == 99
    assert events[-1].entity_key == "tthc_ontime/ttpvhcc/2025-10/ho-tich"
    assert [(b.created, b.updated, b.unchanged, b.kind) for b in batches] == [
        (3, 0, 0, "readings"),
        (0, 1, 2, "readings"),
    ]
    assert created_by == {batches[0].id}
    assert [e.entity_key for e in imports] == [str(b.id) for b in batches]
    assert imports[0].after["sha256"] == hashlib.sha256(GOOD.encode()).hexdigest()
    assert imports[0].actor_username == "admin" and imports[0].via == "import"


def test_json_lists_are_accepted_too(api: TestClient) -> None:
    rows = [
        {"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10", "value": 80},
        {"indicator": "disbursement", "unit": "kthtdt", "period": "2025-10", "value": 60.5},
    ]
    resp = api.post(URL, json=rows)
    assert resp.status_code == 200 and resp.json()["created"] == 2


def test_a_multipart_file_with_a_bom_is_accepted(api: TestClient) -> None:
    body = ("\ufeff" + GOOD).encode("utf-8")
    resp = api.post(URL, files={"file": ("so-lieu.csv", body, "text/csv")})
    assert resp.status_code == 200 and resp.json()["created"] == 3


def test_dry_run_validates_against_the_database_and_writes_nothing(
    api: TestClient, clean_db: Engine
) -> None:
    send_csv(api, URL, GOOD)
    before = counts(clean_db)
    resp = send_csv(
        api,
        URL,
        GOOD.replace("98.5", "97") + "disbursement,kthtdt,2025-10,,50,,,\n",
        dry_run="true",
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["dry_run"] is True
    assert (body["created"], body["updated"], body["unchanged"]) == (1, 1, 2)
    assert counts(clean_db) == before


BAD_FILES = [
    ("empty file", b"", 0, "file", "empty_file"),
    ("header only", HEADER.encode(), 0, "file", "no_rows"),
    (
        "missing column",
        b"indicator,unit,value\nonline_dossier,ttpvhcc,80\n",
        1,
        "period",
        "missing_column",
    ),
    (
        "unknown column",
        b"indicator,unit,period,valeur\nonline_dossier,ttpvhcc,2025-10,80\n",
        1,
        "valeur",
        "unknown_column",
    ),
    (
        "wrong delimiter",
        b"indicator|unit|period|value\nonline_dossier|ttpvhcc|2025-10|80\n",
        1,
        "file",
        "wrong_delimiter",
    ),
    (
        "not UTF-8",
        (HEADER + "online_dossier,ttpvhcc,2025-10,,80,,,Ghi chú\n").encode("cp1258"),
        1,
        "file",
        "legacy_encoding",
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "row", "field", "code"), BAD_FILES, ids=[c[0] for c in BAD_FILES]
)
def test_files_that_cannot_be_read_are_refused_whole(
    api: TestClient, clean_db: Engine, case: str, body: bytes, row: int, field: str, code: str
) -> None:
    before = counts(clean_db)
    resp = send_csv(api, URL, body, partial="true")
    assert resp.status_code == 422, resp.text
    assert resp.json()["status"] == "error"
    err = error_of(resp, row)
    assert (err["field"], err["code"]) == (field, code)
    assert err["message"]  # Vietnamese, for the person who fixes the file
    assert counts(clean_db) == before


BAD_ROWS = [
    (
        "non-numeric value",
        "online_dossier,ttpvhcc,2025-10,,tám mươi,,,",
        "value",
        "not_a_number",
        "“tám mươi” không phải là một số. Hãy viết như 1.250 (dấu chấm phân cách hàng nghìn) "
        "hoặc 98,5 (dấu phẩy thập phân).",
    ),
    (
        "percent above 100",
        "online_dossier,ttpvhcc,2025-10,,101,,,",
        "value",
        "out_of_range",
        "Tỷ lệ phải từ 0 đến 100%.",
    ),
    (
        "numerator above denominator",
        "online_dossier,ttpvhcc,2025-10,,,21,20,",
        "numerator",
        "numerator_above_denominator",
        "Tử số (21) không được lớn hơn mẫu số (20).",
    ),
    (
        "unknown unit",
        "online_dossier,phong-x,2025-10,,80,,,",
        "unit",
        "unit_not_found",
        "Không có đơn vị mã “phong-x” (unit).",
    ),
    (
        "unknown indicator",
        "ty_le_x,ttpvhcc,2025-10,,80,,,",
        "indicator",
        "indicator_not_found",
        "Không có chỉ tiêu mã “ty_le_x” (indicator).",
    ),
    (
        "unknown domain",
        "tthc_ontime,ttpvhcc,2025-10,thue,80,,,",
        "domain",
        "domain_not_found",
        "Không có lĩnh vực TTHC mã “thue” (domain).",
    ),
    ("unknown period", "online_dossier,ttpvhcc,2025-13,,80,,,", "period", "period_invalid", None),
    (
        "period against the cadence",
        "online_dossier,ttpvhcc,2025-Q4,,80,,,",
        "period",
        "period_invalid",
        None,
    ),
    ("future period", "online_dossier,ttpvhcc,2025-12,,80,,,", "period", "period_invalid", None),
]


@pytest.mark.parametrize(
    ("case", "line", "field", "code", "message"), BAD_ROWS, ids=[c[0] for c in BAD_ROWS]
)
def test_bad_rows_are_refused_with_the_single_endpoints_message(
    api: TestClient,
    clean_db: Engine,
    case: str,
    line: str,
    field: str,
    code: str,
    message: str | None,
) -> None:
    before = counts(clean_db)
    resp = send_csv(api, URL, GOOD + line + "\n")
    assert resp.status_code == 422
    body = resp.json()
    assert body["status"] == "error" and body["rejected"] == 1
    err = error_of(resp, 5)  # the fourth data row is the spreadsheet's row 5
    assert (err["field"], err["code"]) == (field, code)
    if message:
        assert err["message"] == message
    assert counts(clean_db) == before  # atomic: the three good rows are not written either


def _single_body(line: str) -> dict:
    names = ["indicator", "unit", "period", "domain", "value", "numerator", "denominator", "note"]
    return {k: v for k, v in zip(names, line.split(","), strict=True) if v}


@pytest.mark.parametrize("line", [b[1] for b in BAD_ROWS if b[0] not in {"non-numeric value"}])
def test_same_message_as_put_readings(api: TestClient, line: str) -> None:
    single = api.put("/api/v1/readings", json=_single_body(line)).json()["detail"]
    bulk = send_csv(api, URL, HEADER + line + "\n").json()["errors"][0]
    assert bulk["message"] == single["message"]


def test_partial_writes_the_valid_rows_and_reports_the_others(
    api: TestClient, clean_db: Engine
) -> None:
    resp = send_csv(api, URL, GOOD + "online_dossier,ttpvhcc,2025-10,,101,,,\n", partial="true")
    assert resp.status_code == 200
    body = resp.json()
    assert (body["status"], body["created"], body["rejected"]) == ("warning", 3, 1)
    assert error_of(resp, 5)["field"] == "value"
    assert counts(clean_db)["Reading"] == 3


def test_a_key_named_twice_rejects_both_rows_even_in_partial_mode(
    api: TestClient, clean_db: Engine
) -> None:
    text = GOOD + "TTHC_ONTIME,ttpvhcc,2025-10,ho-tich,90,,,\n"
    resp = send_csv(api, URL, text, partial="true")
    body = resp.json()
    assert body["rejected"] == 2 and body["created"] == 2
    for row in (2, 5):  # spreadsheet rows: the header is row 1
        err = error_of(resp, row)
        assert err["code"] == "duplicate_key"
        assert "2 dòng" in err["message"] and "dòng 2, 5" in err["message"]
    assert counts(clean_db)["Reading"] == 2


def test_a_locked_period_is_refused_with_the_lock_message(
    api: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    lock_period(clean_db, clock, "ttpvhcc", "2025-10")
    resp = send_csv(api, URL, GOOD)
    err = error_of(resp, 2)
    assert (err["field"], err["code"]) == ("period", "period_locked")
    single = api.put(
        "/api/v1/readings",
        json={
            "indicator": "tthc_ontime",
            "unit": "ttpvhcc",
            "period": "2025-10",
            "domain": "ho-tich",
            "value": 98.5,
        },
    )
    assert single.status_code == 409 and single.json()["detail"]["message"] == err["message"]
    assert resp.json()["rejected"] == 1  # the vp row and the November row are fine


def test_a_stale_version_is_refused(api: TestClient) -> None:
    send_csv(api, URL, GOOD)
    resp = send_csv(
        api, URL, "indicator,unit,period,value,version\nonline_dossier,ttpvhcc,2025-11,82,7\n"
    )
    assert error_of(resp, 2)["code"] == "stale_version"


def test_a_reporter_cannot_import_rows_for_another_unit(
    application, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="bao.cao", role="reporter", unit="ttpvhcc")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as reporter:
        resp = send_csv(reporter, URL, GOOD)
        assert resp.status_code == 403  # refused whole: not the sender's data to write
        detail = resp.json()["detail"]
        assert detail["code"] == "other_unit" and detail["message"].startswith("Dòng 3: ")
        assert [(e["row"], e["field"]) for e in detail["summary"]["errors"]] == [(3, "unit")]
        assert counts(clean_db)["Reading"] == 0
        ok = send_csv(reporter, URL, GOOD, partial="true")
        assert (ok.json()["created"], ok.json()["rejected"]) == (2, 1)
        assert ok.json()["errors"][0]["code"] == "other_unit"
        assert counts(clean_db)["Reading"] == 2


def test_a_viewer_may_not_import_at_all(
    application, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="lanh.dao", role="viewer")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as viewer:
        assert send_csv(viewer, URL, GOOD).status_code == 403


def test_a_file_over_the_limit_gets_413_with_the_limit(
    app_factory, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    token = make_token(clean_db, clock, username="admin", role="admin")
    small = app_factory(max_upload_bytes=200)
    with TestClient(small, headers={"Authorization": f"Bearer {token}"}) as client:
        big = GOOD * 3
        resp = send_csv(client, URL, big)
        assert resp.status_code == 413
        assert resp.json()["detail"]["limit_bytes"] == 200
        assert "tối đa" in resp.json()["detail"]["message"]

        def chunks():  # no Content-Length: counted while it streams
            for _ in range(10):
                yield GOOD.encode()

        streamed = client.post(URL, content=chunks(), headers={"Content-Type": "text/csv"})
        assert streamed.status_code == 413
        multipart = client.post(URL, files={"file": ("x.csv", big.encode(), "text/csv")})
        assert multipart.status_code == 413
        assert counts(clean_db)["Reading"] == 0


def test_unsupported_content_type_is_415(api: TestClient) -> None:
    resp = api.post(URL, content=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert resp.status_code == 415


def test_a_broken_json_file_names_the_row(api: TestClient, clean_db: Engine) -> None:
    body = (
        json.dumps(
            [{"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10", "value": 80}]
        )[:-1]
        + ', {"indicator": }]'
    )
    resp = api.post(URL, content=body.encode(), headers={"Content-Type": "application/json"})
    assert resp.status_code == 422
    assert error_of(resp, 2)["code"] == "json_invalid"
    assert counts(clean_db)["Reading"] == 0


def test_numbers_are_read_the_vietnamese_way(api: TestClient, clean_db: Engine) -> None:
    resp = send_csv(
        api,
        URL,
        HEADER
        + 'complaint_ontime,vp,2025-10,,,1.150,"1.250",\n'  # dotted thousands in counts
        + 'online_dossier,ttpvhcc,2025-10,,"31,5",,,\n'  # a decimal comma, quoted in CSV
        + "online_dossier,ttpvhcc,2025-11,,12.345,,,\n",  # a percent: 12345 is ruled out
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 3
    with Session(clean_db) as session:
        stored = {
            (r.indicator_id, r.period): (r.value, r.numerator, r.denominator)
            for r in session.exec(select(Reading))
        }
    values = sorted(stored.values(), key=lambda v: v[0])
    assert values[0] == (12.345, None, None)
    assert values[1] == (31.5, None, None)
    assert values[2] == (pytest.approx(92), 1150, 1250)


def test_an_unclear_number_is_refused_with_the_message_put_gives(
    api: TestClient, clean_db: Engine
) -> None:
    row = 'complaint_ontime,vp,2025-10,,,"1,250",2000,\n'
    resp = send_csv(api, URL, HEADER + row, partial="true")
    assert resp.status_code == 422, resp.text
    err = error_of(resp, 2)
    single = api.put(
        "/api/v1/readings",
        json={
            "indicator": "complaint_ontime",
            "unit": "vp",
            "period": "2025-10",
            "numerator": "1,250",
            "denominator": 2000,
        },
    )
    assert single.status_code == 422
    [expected] = single.json()["detail"]["errors"]
    assert (err["field"], err["code"], err["message"]) == (
        expected["field"],
        "ambiguous_number",
        expected["message"],
    )
    assert "1,25" in err["message"] and "1250" in err["message"]
