"""A one-stop-shop export goes in as it is: the bulk API and the upload page read it with the
shipped profile, named or recognised from its header row; personal data is never stored."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import VIETNAM_TZ, FixedClock
from app.dossiers.models import Dossier
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user
from tests.imports.test_profiles import HEADERS, ROWS

DOSSIERS = "/api/v1/dossiers/bulk"


def export_csv(rows: list[list[str]] = ROWS, sep: str = ";") -> bytes:
    """As a Vietnamese-locale Excel saves the export: `;`, UTF-8 with BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    writer.writerow(HEADERS)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def send(client: TestClient, body: bytes, **params: str):
    return client.post(DOSSIERS, content=body, params=params, headers={"Content-Type": "text/csv"})


def stored(engine: Engine) -> dict[str, Dossier]:
    with Session(engine) as session:
        return {d.code: d for d in session.exec(select(Dossier))}


def test_the_export_is_recognised_from_its_header_row(api: TestClient, clean_db: Engine) -> None:
    resp = send(api, export_csv())
    assert resp.status_code == 200, resp.text
    assert resp.json()["created"] == 2
    dossiers = stored(clean_db)
    first = dossiers["000.00.12.H29-251003-0001"]
    assert (first.channel, first.unit_id is not None) == ("online", True)
    # "03/10/2025 08:30" in the export is Vietnam time.
    assert first.received_at.astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M") == "03/10/2025 08:30"
    second = dossiers["000.00.12.H29-251006-0002"]
    assert second.channel == "direct" and second.completed_at is None
    assert second.digitized is None  # no such column in the export: unknown, never false
    # Personal data is never stored: no column of the table holds the applicant or the phone.
    with clean_db.connect() as conn:
        raw = " ".join(str(v) for row in conn.exec_driver_sql("SELECT * FROM dossier") for v in row)
    assert "Nguyễn Văn An" not in raw and "0903123456" not in raw


def test_the_profile_named_by_code_and_a_wrong_kind(api: TestClient) -> None:
    named = send(api, export_csv(), profile="mot-cua-hcm", dry_run="true")
    assert named.status_code == 200, named.text
    assert named.json()["created"] == 2 and named.json()["dry_run"] is True
    wrong = api.post(
        "/api/v1/readings/bulk",
        content=export_csv(),
        params={"profile": "mot-cua-hcm"},
        headers={"Content-Type": "text/csv"},
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"]["errors"][0]["code"] == "profile_kind"
    unknown = send(api, export_csv(), profile="khong-co")
    assert unknown.status_code == 404


def test_an_unmapped_value_is_reported_once_with_the_nearest_choice(api: TestClient) -> None:
    rows = [list(r) for r in ROWS] + [list(ROWS[0]) for _ in range(5)]
    for i, row in enumerate(rows[2:], start=3):
        row[1] = f"000.00.12.H29-251003-01{i:02d}"
        row[3] = "Hộ tịc"  # a typo on five rows (diacritics alone would still match)
    resp = send(api, export_csv(rows))
    assert resp.status_code == 422
    body = resp.json()
    groups = [g for g in body["error_groups"] if g["field"] == "domain"]
    assert len(groups) == 1 and groups[0]["count"] == 5
    assert "Hộ tịch" in groups[0]["message"]


@pytest.fixture
def admin_browser(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="quan.tri", role="admin")
    with TestClient(application) as browser:
        assert login(browser, "quan.tri").status_code == 303
        yield browser


def test_the_upload_page_offers_the_profile_and_uses_it(
    admin_browser: TestClient, clean_db: Engine
) -> None:
    page = admin_browser.get("/imports").text
    assert '<option value="mot-cua-hcm">' in page and "Tự nhận biết theo dòng tiêu đề" in page
    resp = admin_browser.post(
        "/imports",
        data={"kind": "dossiers", "profile": "mot-cua-hcm"},
        files={"file": ("xuat-mot-cua.csv", export_csv(), "text/csv")},
        headers={"HX-Request": "true", "X-CSRF-Token": hidden(page, "csrf_token")},
    )
    assert resp.status_code == 200, resp.text
    assert len(stored(clean_db)) == 2
