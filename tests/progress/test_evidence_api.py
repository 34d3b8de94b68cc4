"""Evidence over the JSON API: attach (multipart or JSON link), list, download, remove."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_token
from tests.progress.evidence_helpers import PDF, PRODUCT, TASK

URL = f"/api/v1/units/ttpvhcc/periods/2025-10/tasks/{TASK}/evidence"


def as_user(client: TestClient, engine: Engine, clock: FixedClock, name: str, unit: str) -> dict:
    token = make_token(engine, clock, username=name, role="reporter", unit=unit)
    return {"Authorization": f"Bearer {token}"}


def test_a_reporter_attaches_lists_downloads_and_removes(
    api: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    own = as_user(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    resp = api.post(
        URL,
        headers=own,
        files={"file": ("Kế hoạch giải ngân.pdf", PDF, "text/html")},  # the label is ignored
        data={"note": "Kế hoạch số\x00 45/KH-TTPVHCC\x07"},
    )
    assert resp.status_code == 201, resp.text
    item = resp.json()
    assert item["note"] == "Kế hoạch số 45/KH-TTPVHCC"  # control characters dropped
    assert (
        item["content_type"] == "application/pdf" and item["filename"] == "Kế hoạch giải ngân.pdf"
    )
    link = api.post(URL, headers=own, json={"url": "https://phudinh.hochiminhcity.gov.vn/vb/12"})
    assert link.status_code == 201 and link.json()["kind"] == "link"
    listed = api.get(URL, headers=own).json()
    assert [i["key"] for i in listed] == [item["key"], link.json()["key"]]

    download = api.get(item["download_url"], headers=own)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "sandbox"
    assert download.headers["cache-control"].startswith("private")
    assert download.headers["content-disposition"] == (
        "inline; filename=\"Ke hoach giai ngan.pdf\"; filename*=UTF-8''"
        "K%E1%BA%BF%20ho%E1%BA%A1ch%20gi%E1%BA%A3i%20ng%C3%A2n.pdf"
    )

    assert api.delete(f"/api/v1/evidence/{item['key']}", headers=own).status_code == 204
    assert api.get(item["download_url"], headers=own).status_code == 404


def test_another_unit_gets_404_for_a_key_and_403_for_the_list(
    api: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    own = as_user(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    other = as_user(api, clean_db, clock, "bc.vp", "vp")
    item = api.post(URL, headers=own, files={"file": ("a.pdf", PDF, "application/pdf")}).json()
    assert api.get(f"/api/v1/evidence/{item['key']}", headers=other).status_code == 404
    assert api.get("/api/v1/evidence/khong-co-khoa-nay", headers=other).status_code == 404
    assert api.delete(f"/api/v1/evidence/{item['key']}", headers=other).status_code == 404
    assert api.get(URL, headers=other).status_code == 403
    refused = api.post(URL, headers=other, files={"file": ("a.pdf", PDF, "application/pdf")})
    assert refused.status_code == 403
    assert api.get(f"/api/v1/evidence/{item['key']}").status_code == 200  # the admin reads all


def test_bad_files_and_links_are_refused_in_the_error_envelope(
    api: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    own = as_user(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    renamed = api.post(URL, headers=own, files={"file": ("virus.pdf", b"MZ\x90\x00", "x/y")})
    assert renamed.status_code == 422
    assert renamed.json()["detail"]["errors"][0]["code"] == "file_content_not_allowed"
    link = api.post(URL, headers=own, json={"url": "ftp://example.com/a.pdf"})
    assert link.status_code == 422 and link.json()["detail"]["errors"][0]["field"] == "url"
    big = api.post(
        URL,
        headers=own,
        files={"file": ("lon.pdf", PDF + b"0" * (20 * 1024 * 1024), "application/pdf")},
    )
    assert big.status_code == 413 and "20 MB" in big.json()["detail"]["message"]
    assert api.get(URL, headers=own).json() == []


def test_done_over_the_api_names_the_product_until_evidence_is_attached(
    api: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    own = as_user(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    body = {
        "assignment": TASK,
        "unit": "ttpvhcc",
        "period": "2025-10",
        "status": "done",
        "result": "Đã ban hành kế hoạch giải ngân năm 2025.",
    }
    refused = api.put("/api/v1/progress", headers=own, json=body)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert PRODUCT in detail["message"] and [e["field"] for e in detail["errors"]] == ["evidence"]
    api.post(URL, headers=own, files={"file": ("kh.pdf", PDF, "application/pdf")})
    assert api.put("/api/v1/progress", headers=own, json=body).status_code == 201


def test_a_bulk_import_obeys_the_done_rule_with_the_same_message(
    api: TestClient, seeded: Session
) -> None:
    row = {
        "assignment": TASK,
        "unit": "ttpvhcc",
        "period": "2025-10",
        "status": "done",
        "result": "Đã ban hành kế hoạch giải ngân năm 2025.",
    }
    refused = api.post("/api/v1/progress/bulk", json=[row])
    assert refused.status_code == 422, refused.text
    assert PRODUCT in refused.text and "evidence_required" in refused.text
    named = row | {"evidence": "Kế hoạch số 45/KH-TTPVHCC ngày 20/10/2025"}
    assert api.post("/api/v1/progress/bulk", json=[named]).status_code == 200


def test_a_period_s_evidence_in_one_call_task_by_task(
    api: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    own = as_user(api, clean_db, clock, "bc.ttpv", "ttpvhcc")
    period_url = "/api/v1/units/ttpvhcc/periods/2025-10/evidence"
    assert api.get(period_url, headers=own).json() == []
    first = api.post(URL, headers=own, files={"file": ("a.pdf", PDF, "application/pdf")}).json()
    other_task = "/api/v1/units/ttpvhcc/periods/2025-10/tasks/II.2.3.6/evidence"
    second = api.post(
        other_task, headers=own, json={"url": "https://phudinh.hochiminhcity.gov.vn/vb/45"}
    ).json()
    listed = api.get(period_url, headers=own).json()
    assert [(i["task"], i["key"]) for i in listed] == [
        (TASK, first["key"]),
        ("II.2.3.6", second["key"]),
    ]
    # another period holds none of them; another unit's reporter may not look
    assert api.get("/api/v1/units/ttpvhcc/periods/2025-11/evidence", headers=own).json() == []
    other = as_user(api, clean_db, clock, "bc.vp", "vp")
    assert api.get(period_url, headers=other).status_code == 403
