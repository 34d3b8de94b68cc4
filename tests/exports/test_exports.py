"""Exports: same filters as the lists, Vietnamese headers, typed Excel cells, no formulas."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from app.exports.writers import neutralise
from tests.conftest import make_token
from tests.dossiers.test_feeds import OCTOBER
from tests.uploads.conftest import send_csv

EVIL = '=HYPERLINK("http://x","bấm")'


def _seed(api: TestClient) -> None:
    send_csv(
        api,
        "/api/v1/readings/bulk",
        "indicator,unit,period,value,note\n"
        f'disbursement,kthtdt,2025-10,76.5,"{EVIL.replace(chr(34), chr(34) * 2)}"\n'
        "disbursement,kthtdt,2025-11,80,+84 912\n"
        "plan_targets_completed,vhxh,2025-10,50,@nguoi\n",
    )
    send_csv(api, "/api/v1/dossiers/bulk", OCTOBER)


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert [neutralise(v) for v in ("+1", "-1", "@a", "\tx", "bình thường")] == [
        "'+1",
        "'-1",
        "'@a",
        "'\tx",
        "bình thường",
    ]


def test_readings_csv_has_vietnamese_headers_filters_and_no_formula(api: TestClient) -> None:
    _seed(api)
    resp = api.get("/api/v1/exports/readings.csv", params={"unit": "kthtdt"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/csv")
    text = resp.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][:5] == ["Mã chỉ tiêu", "Đơn vị", "Kỳ báo cáo", "Lĩnh vực", "Giá trị (%)"]
    assert [r[2] for r in rows[1:]] == ["2025-10", "2025-11"]  # only kthtdt
    assert rows[1][7] == "'" + EVIL and rows[2][7] == "'+84 912"


def test_readings_xlsx_has_numbers_dates_and_text_only(api: TestClient) -> None:
    _seed(api)
    resp = api.get("/api/v1/exports/readings.xlsx", params={"period": "2025-10"})
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = list(sheet.iter_rows(values_only=False))
    header = [c.value for c in rows[0]]
    assert header[4] == "Giá trị (%)" and header[-1] == "Cập nhật lúc"
    data = {r[0].value: r for r in rows[1:]}
    disbursement = data["disbursement"]
    assert disbursement[4].value == 76.5 and disbursement[4].data_type == "n"
    assert isinstance(disbursement[11].value, datetime)
    assert disbursement[7].value == "'" + EVIL and disbursement[7].data_type == "s"
    for row in rows:
        for cell in row:
            assert cell.data_type != "f"


def test_dossiers_export_uses_the_list_filters(api: TestClient) -> None:
    _seed(api)
    resp = api.get("/api/v1/exports/dossiers.xlsx", params={"status": "overdue"})
    sheet = load_workbook(io.BytesIO(resp.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Mã hồ sơ" and [r[0] for r in rows[1:]] == ["D4"]
    assert isinstance(rows[1][6], datetime) and rows[1][6].hour == 0  # Vietnam wall-clock time


def test_progress_and_submissions_export(api: TestClient) -> None:
    resp = api.get("/api/v1/exports/progress.csv")
    assert resp.status_code == 200 and "Mã nhiệm vụ" in resp.content.decode()
    subs = api.get("/api/v1/exports/submissions.csv", params={"period": "2025-10"})
    assert subs.status_code == 200
    lines = subs.content.decode().strip().splitlines()
    assert lines[0].removeprefix("\ufeff").startswith("Đơn vị,Kỳ báo cáo,Trạng thái")
    assert len(lines) == 1 + 5  # every expected unit, reported or not


def test_an_unknown_filter_is_refused(api: TestClient) -> None:
    resp = api.get("/api/v1/exports/readings.csv", params={"donvi": "vp"})
    assert resp.status_code == 422
    assert resp.json()["detail"]["errors"][0]["field"] == "donvi"


def test_a_reporter_exports_only_its_own_unit(
    application, seeded: Session, clean_db: Engine, clock: FixedClock, api: TestClient
) -> None:
    _seed(api)
    token = make_token(clean_db, clock, username="bc.kt", role="reporter", unit="kthtdt")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as reporter:
        own = reporter.get("/api/v1/exports/readings.csv").content.decode()
        assert "kthtdt" in own and "vhxh" not in own
        assert (
            reporter.get("/api/v1/exports/readings.csv", params={"unit": "vhxh"}).status_code == 403
        )


def test_templates_are_downloadable_and_importable(api: TestClient) -> None:
    for kind in ("readings", "progress", "dossiers", "feedback"):
        resp = api.get(f"/api/v1/imports/templates/{kind}.csv")
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/csv")
        dry = send_csv(api, f"/api/v1/{kind}/bulk", resp.content, dry_run="true")
        assert dry.status_code == 200, (kind, dry.json())
        assert dry.json()["rejected"] == 0


def test_scores_export_lists_the_ranked_units(api: TestClient) -> None:
    resp = api.get("/api/v1/exports/scores.xlsx", params={"period": "2025-10"})
    assert resp.status_code == 200, resp.text
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("Kỳ", "Mã đơn vị", "Đơn vị", "Điểm")
    assert {r[1] for r in rows[1:]} >= {"vhxh", "ttpvhcc"}


def test_numbers_are_excel_numbers_with_a_number_format(api: TestClient) -> None:
    send_csv(
        api,
        "/api/v1/readings/bulk",
        "indicator,unit,period,value,numerator,denominator\n"
        'disbursement,kthtdt,2025-10,,"1.250,5",2500\n'
        "complaint_ontime,vp,2025-10,,1.100,1.125\n",
    )
    resp = api.get("/api/v1/exports/readings.xlsx", params={"period": "2025-10"})
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=False))
    data = {r[0].value: r for r in rows[1:]}
    money, count = data["disbursement"], data["complaint_ontime"]
    assert (money[5].value, money[5].data_type, money[5].number_format) == (1250.5, "n", "#,##0.00")
    assert (count[5].value, count[5].data_type, count[5].number_format) == (1100, "n", "#,##0")
    assert count[4].value == pytest.approx(1100 / 1125 * 100)  # the stored value, unrounded
    assert count[4].number_format == "0.00"
    assert count[10].number_format == "#,##0"  # the version
    text = api.get("/api/v1/exports/readings.csv", params={"period": "2025-10"}).text
    assert "1250.5,2500" in text  # machine numbers, read back alike by the importer
