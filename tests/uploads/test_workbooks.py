"""Files as the ward has them: Excel workbooks, Vietnamese-locale CSV, exports sent back, templates
filled in, files where most rows are wrong. Every file is built here, as Excel would write it."""

from __future__ import annotations

import codecs
import io
import re
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine

from tests.uploads.conftest import counts, send_csv

READINGS = "/api/v1/readings/bulk"
DOSSIERS = "/api/v1/dossiers/bulk"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_bytes(build) -> bytes:
    workbook = Workbook()
    build(workbook.active)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def send_xlsx(client: TestClient, path: str, body: bytes, **params: object):
    return client.post(path, content=body, params=params, headers={"Content-Type": XLSX})


def officer_sheet(sheet) -> None:
    """A title merged across the columns, a two-row header with merged cells, Vietnamese labels
    without diacritics in one column, Excel dates and numbers, a totals row at the bottom."""
    sheet.append(["BÁO CÁO SỐ LIỆU CHỈ TIÊU THÁNG 10/2025"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(["Mã chỉ tiêu", "DON VI", "Kỳ báo cáo", "Lĩnh vực", "Số liệu", None])
    sheet.merge_cells("E3:F3")
    sheet.append([None, None, None, None, "Tử số", "Mẫu số"])
    for name in ("A", "B", "C", "D"):
        sheet.merge_cells(f"{name}3:{name}4")
    sheet.append(["complaint_ontime", "vp", datetime(2025, 10, 1), None, 19, 20])
    sheet.append(["TTHC_ONTIME", "TTPVHCC", "2025-10", "ho-tich", 197, 200])
    sheet.append(["Tổng cộng", None, None, None, 216, 220])


def test_an_officers_workbook_imports_with_its_spreadsheet_rows(
    api: TestClient, clean_db: Engine
) -> None:
    resp = send_xlsx(api, READINGS, workbook_bytes(officer_sheet))
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 2
    items = api.get("/api/v1/readings", params={"period": "2025-10"}).json()["items"]
    by_code = {i["indicator"]: i for i in items}
    assert by_code["complaint_ontime"]["value"] == pytest.approx(95)
    assert by_code["tthc_ontime"]["unit"] == "ttpvhcc"

    def with_a_bad_row(sheet) -> None:
        officer_sheet(sheet)
        sheet.insert_rows(7)
        sheet["A7"], sheet["B7"], sheet["C7"], sheet["E7"], sheet["F7"] = (
            "online_dossier",
            "phong-x",
            "2025-10",
            1,
            2,
        )

    bad = send_xlsx(api, READINGS, workbook_bytes(with_a_bad_row), dry_run="true")
    assert bad.status_code == 422
    [error] = bad.json()["errors"]
    assert (error["row"], error["code"]) == (7, "unit_not_found")  # Excel's row 7


def test_a_named_sheet_and_a_missing_one(api: TestClient, clean_db: Engine) -> None:
    def two_sheets(sheet) -> None:
        sheet.append(["Ghi chú"])
        data = sheet.parent.create_sheet("Số liệu")
        data.append(["indicator", "unit", "period", "value"])
        data.append(["online_dossier", "ttpvhcc", "2025-10", 80.5])

    body = workbook_bytes(two_sheets)
    resp = send_xlsx(api, READINGS, body, sheet="so lieu")
    assert resp.status_code == 200 and resp.json()["created"] == 1
    missing = send_xlsx(api, READINGS, body, sheet="Tháng 11")
    assert missing.json()["errors"][0]["code"] == "sheet_not_found"


def test_an_old_xls_is_refused_with_the_fix(api: TestClient, clean_db: Engine) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    resp = api.post(READINGS, files={"file": ("so-lieu.xls", ole, "application/vnd.ms-excel")})
    assert resp.status_code == 422
    [error] = resp.json()["errors"]
    assert error["code"] == "xls_not_supported" and ".xlsx" in error["message"]


def test_excel_dates_in_a_dossier_workbook(api: TestClient, clean_db: Engine) -> None:
    def dossiers(sheet) -> None:
        sheet.append(
            [
                "Mã hồ sơ",
                "Đơn vị",
                "Lĩnh vực",
                "Kênh nộp",
                "Ngày tiếp nhận",
                "Ngày hẹn trả",
                "Ngày giải quyết xong",
                "Toàn trình",
            ]
        )
        sheet.append(
            [
                "HS-1",
                "ttpvhcc",
                "ho-tich",
                "online",
                datetime(2025, 10, 3, 8, 30),
                date(2025, 10, 6),
                datetime(2025, 10, 4, 10, 15),
                True,
            ]
        )
        sheet.append(
            [
                20251003,
                "ttpvhcc",
                "ho-tich",
                "direct",
                datetime(2025, 10, 3, 9, 0),
                date(2025, 10, 6),
                None,
                False,
            ]
        )

    resp = send_xlsx(api, DOSSIERS, workbook_bytes(dossiers))
    assert resp.status_code == 200, resp.text
    listed = api.get("/api/v1/dossiers").json()["items"]
    by_code = {d["code"]: d for d in listed}
    assert set(by_code) == {"HS-1", "20251003"}  # a number typed as a code stays its text
    assert by_code["HS-1"]["received_at"].startswith("2025-10-03T01:30")  # Vietnam time → UTC
    assert by_code["HS-1"]["fully_online"] is True
    assert by_code["20251003"]["digitized"] is None  # a column the file lacks is unknown


SEMICOLON = (
    "Mã chỉ tiêu;Đơn vị;Kỳ báo cáo;Lĩnh vực;Giá trị (%);Tử số;Mẫu số;Ghi chú\r\n"
    "tthc_ontime;ttpvhcc;Oct-25;ho-tich;98,5;;;Từ hệ thống một cửa\r\n"
    "complaint_ontime;vp;01/10/2025;;;19;20;\r\n"
)


@pytest.mark.parametrize(
    "body",
    [
        codecs.BOM_UTF8 + SEMICOLON.encode("utf-8"),
        SEMICOLON.encode("utf-8"),
        SEMICOLON.replace(";", "\t").encode("utf-16"),  # Excel's "Unicode Text"
    ],
    ids=["CSV UTF-8 (;)", "no BOM (;)", "Unicode Text (UTF-16, tab)"],
)
def test_vietnamese_locale_csv_imports_as_excel_saved_it(
    api: TestClient, clean_db: Engine, body: bytes
) -> None:
    resp = send_csv(api, READINGS, body)
    assert resp.status_code == 200, resp.text
    items = api.get("/api/v1/readings", params={"period": "2025-10"}).json()["items"]
    by_code = {i["indicator"]: i for i in items}
    assert by_code["tthc_ontime"]["value"] == pytest.approx(98.5)
    assert by_code["tthc_ontime"]["note"] == "Từ hệ thống một cửa"
    assert by_code["complaint_ontime"]["value"] == pytest.approx(95)


def test_a_period_excel_made_a_day_is_refused_with_the_hint(
    api: TestClient, clean_db: Engine
) -> None:
    body = "indicator;unit;period;value\r\nonline_dossier;ttpvhcc;10/01/2025;80\r\n"
    resp = send_csv(api, READINGS, body)
    [error] = resp.json()["errors"]
    assert (error["row"], error["field"], error["code"]) == (2, "period", "period_is_a_date")
    assert "Văn bản" in error["message"]


def test_exports_re_import_unchanged(api: TestClient, clean_db: Engine) -> None:
    first = send_csv(api, READINGS, SEMICOLON)
    assert first.status_code == 200, first.text
    for fmt, kind in (("csv", "text/csv"), ("xlsx", XLSX)):
        exported = api.get(f"/api/v1/exports/readings.{fmt}")
        assert exported.status_code == 200
        again = api.post(READINGS, content=exported.content, headers={"Content-Type": kind})
        assert again.status_code == 200, again.text
        assert (again.json()["unchanged"], again.json()["created"]) == (2, 0), fmt


def test_the_excel_template_has_lists_and_instructions_and_imports_back(
    api: TestClient, clean_db: Engine
) -> None:
    resp = api.get("/api/v1/imports/templates/readings.xlsx")
    assert resp.status_code == 200
    workbook = load_workbook(io.BytesIO(resp.content))
    assert workbook.sheetnames == ["Dữ liệu", "Danh mục", "Hướng dẫn"]
    data = workbook["Dữ liệu"]
    assert [c.value for c in data[1]][:3] == ["Mã chỉ tiêu", "Đơn vị", "Kỳ báo cáo"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in data.data_validations.dataValidation}
    assert {"A2", "B2", "C2", "D2"} <= set(lists)
    assert "Danh mục" in lists["B2"]
    units = [c.value for c in workbook["Danh mục"]["B"][1:] if c.value]
    assert "ttpvhcc" in units
    assert "Kỳ báo cáo" in " ".join(str(c.value) for c in workbook["Hướng dẫn"]["A"])
    back = api.post(READINGS, content=resp.content, headers={"Content-Type": XLSX})
    assert back.status_code == 200, back.text
    assert back.json()["created"] == 2


def test_a_file_of_wrong_rows_answers_small_and_the_full_list_downloads(
    api: TestClient, clean_db: Engine
) -> None:
    lines = ["indicator,unit,period,value"]
    lines += [f"online_dossier,phong-{i},2025-10,80" for i in range(20_000)]  # all distinct
    resp = send_csv(api, READINGS, "\n".join(lines) + "\n", partial="true")
    assert resp.status_code == 422
    body = resp.json()
    assert len(resp.content) < 100_000
    assert (body["rejected"], body["errors_total"]) == (20_000, 20_000)
    assert len(body["errors"]) == 100 and body["errors"][0]["row"] == 2
    groups = body["error_groups"]
    assert len(groups) == 50 and body["error_groups_total"] == 2001  # 2,000 values, then "others"
    others = groups[0]
    assert (others["value"], others["count"]) == ("(các giá trị khác)", 18_000)
    first = next(g for g in groups if g["value"] == "phong-0")
    assert (first["code"], first["count"], first["rows"]) == ("unit_not_found", 1, [2])
    report = api.get(body["errors_report"])
    assert report.status_code == 200
    rows = report.content.decode("utf-8-sig").splitlines()
    assert rows[0] == "Dòng,Cột,Mã lỗi,Lỗi,Giá trị" and len(rows) == 20_001
    assert counts(clean_db)["Reading"] == 0


def test_a_report_is_only_for_its_sender(
    api: TestClient, application, seeded, clean_db: Engine, clock
) -> None:
    from tests.conftest import make_token

    resp = send_csv(api, READINGS, "indicator,unit,period,value\nx,phong-x,2025-10,1\n")
    link = resp.json()["errors_report"]
    assert re.match(r"^/api/v1/imports/reports/[\w-]+/loi\.csv$", link)
    token = make_token(clean_db, clock, username="khac", role="coordinator")
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as other:
        assert other.get(link).status_code == 404


def test_many_duplicate_keys_name_five_rows_and_the_count(
    api: TestClient, clean_db: Engine
) -> None:
    lines = ["indicator,unit,period,value"] + ["online_dossier,ttpvhcc,2025-10,80"] * 5000
    body = send_csv(api, READINGS, "\n".join(lines) + "\n").json()
    [group] = body["error_groups"]
    assert (group["code"], group["count"], group["rows"]) == (
        "duplicate_key",
        5000,
        [2, 3, 4, 5, 6],
    )
    assert "5000 dòng" in group["message"] and "4995 dòng khác" in group["message"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_progress_and_dossier_exports_re_import_unchanged(
    api: TestClient, clean_db: Engine, fmt: str
) -> None:
    """Every export that has an import goes back in as it came out: Vietnamese headers, dates,
    numbers and all."""
    for body in (
        {"assignment": "II.1.1.1", "unit": "vp", "status": "done", "result": "Đã ban hành"},
        {"assignment": "II.2.2.1", "unit": "vp", "status": "in_progress", "percent_complete": 60},
    ):
        put = api.put("/api/v1/progress", json={**body, "period": "2025-10"})
        assert put.status_code in (200, 201), put.text
    dossiers = (
        "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at,"
        "digitized\n"
        "R1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2025-10-01 08:00,2025-10-03 17:00,"
        "2025-10-02 10:00,true\n"
        "R2,ttpvhcc,2.001,Chứng thực bản sao,chung-thuc,direct,2025-10-05,2025-10-05,,false\n"
    )
    assert send_csv(api, DOSSIERS, dossiers).status_code == 200
    kind = "text/csv" if fmt == "csv" else XLSX
    for dataset, path, n in (
        ("progress", "/api/v1/progress/bulk", 2),
        ("dossiers", DOSSIERS, 2),
    ):
        exported = api.get(f"/api/v1/exports/{dataset}.{fmt}")
        assert exported.status_code == 200, (dataset, exported.text[:300])
        again = api.post(path, content=exported.content, headers={"Content-Type": kind})
        assert again.status_code == 200, (dataset, again.text)
        assert (again.json()["unchanged"], again.json()["created"]) == (n, 0), (dataset, again.text)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_computed_readings_re_import_unchanged_and_stay_computed(
    api: TestClient, clean_db: Engine, fmt: str
) -> None:
    """An export holds the readings the dossier feed computed (2 of 3 on time: 66.66666667 in
    the file). Sent back as it came out, they are no unit's figure: nothing changes, no
    reported figure appears beside them (it would raise a false conflict at the next feed). A
    changed figure on the same row is still kept as the unit's, beside the computed one."""
    dossiers = (
        "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at\n"
        "C1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2025-10-01 08:00,2025-10-03 17:00,"
        "2025-10-02 10:00\n"
        "C2,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2025-10-01 08:00,2025-10-03 17:00,"
        "2025-10-03 09:00\n"
        "C3,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,direct,2025-10-01 08:00,2025-10-03 17:00,"
        "2025-10-06 09:00\n"
    )
    assert send_csv(api, DOSSIERS, dossiers).status_code == 200
    kind = "text/csv" if fmt == "csv" else XLSX
    exported = api.get(f"/api/v1/exports/readings.{fmt}?period=2025-10")
    assert exported.status_code == 200
    stored = api.get("/api/v1/readings?period=2025-10").json()["items"]
    computed = [r for r in stored if r["source"] == "computed"]
    assert any(r["value"] != round(r["value"], 8) for r in computed)  # a fraction, cut in the file
    again = api.post(READINGS, content=exported.content, headers={"Content-Type": kind})
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["unchanged"], body["updated"], body["created"]) == (len(stored), 0, 0), body
    after = api.get("/api/v1/readings?period=2025-10").json()["items"]
    assert all(r["reported_value"] is None for r in after)
    assert [r["version"] for r in after] == [r["version"] for r in stored]

    ontime = next(r for r in computed if r["indicator"] == "tthc_ontime")
    changed = (
        "indicator,unit,period,domain,value,numerator,denominator\n"
        f"tthc_ontime,ttpvhcc,2025-10,{ontime['domain']},100,3,3\n"
    )
    sent = send_csv(api, READINGS, changed)
    assert sent.status_code == 200 and sent.json()["updated"] == 1, sent.text
    row = next(
        r
        for r in api.get("/api/v1/readings?period=2025-10").json()["items"]
        if r["indicator"] == "tthc_ontime"
    )
    assert (row["source"], row["value"], row["reported_value"]) == (
        "computed",
        ontime["value"],
        100,
    )
