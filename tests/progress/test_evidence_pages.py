"""The workspace's evidence part and the review list, without a browser (CSRF as pages send it)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.reporting import transitions
from tests.progress.evidence_helpers import PDF, PRODUCT, TASK
from tests.reporting.test_pages import HX, WS, coordinator, reporter, task  # noqa: F401

EV = f"{WS}/tasks/{TASK}/evidence"
PART = 'id="ev-task-II-1-6-1"'


def attach(client: TestClient, data: bytes = PDF, name: str = "Kế hoạch giải ngân.pdf", **kw):
    return client.post(
        EV,
        data={"csrf_token": client.csrf},  # type: ignore[attr-defined]
        files={"file": (name, data, "application/pdf")},
        follow_redirects=False,
        **kw,
    )


def test_attaching_answers_the_evidence_part_only(reporter: TestClient) -> None:  # noqa: F811
    page = reporter.get(WS).text
    assert PART in page and "Đính kèm" in page and "Thêm liên kết" in page
    resp = attach(reporter, headers=HX)
    assert resp.status_code == 200
    assert resp.text.lstrip().startswith(f"<div {PART}") or PART in resp.text.split(">")[0]
    assert "Kế hoạch giải ngân.pdf" in resp.text and "<textarea" not in resp.text
    assert 'name="status"' not in resp.text  # the row's fields are left as typed
    key = re.search(r'href="/api/v1/evidence/([^"]+)"', resp.text)
    assert key is not None
    download = reporter.get(f"/api/v1/evidence/{key.group(1)}")
    assert download.status_code == 200 and download.content == PDF


def test_a_refused_file_is_422_next_to_the_file_field(reporter: TestClient) -> None:  # noqa: F811
    resp = attach(reporter, data=b"<script>alert(1)</script>", name="bao-cao.pdf", headers=HX)
    assert resp.status_code == 422
    assert 'class="field-error"' in resp.text and "không phải PDF" in resp.text
    assert 'aria-invalid="true"' in resp.text


def test_a_link_keeps_what_was_typed_when_refused(reporter: TestClient) -> None:  # noqa: F811
    data = {"csrf_token": reporter.csrf, "url": "khong-phai-lien-ket", "note": "Quyết định 12"}  # type: ignore[attr-defined]
    resp = reporter.post(f"{EV}/link", data=data, headers=HX)
    assert resp.status_code == 422 and 'value="khong-phai-lien-ket"' in resp.text
    assert 'value="Quyết định 12"' in resp.text
    data["url"] = "https://phudinh.hochiminhcity.gov.vn/vb/12"
    ok = reporter.post(f"{EV}/link", data=data, headers=HX)
    assert ok.status_code == 200 and 'href="https://phudinh.hochiminhcity.gov.vn/vb/12"' in ok.text


def test_without_javascript_attaching_redirects_and_csrf_is_required(
    reporter: TestClient,  # noqa: F811
) -> None:
    resp = attach(reporter)
    assert resp.status_code == 303 and resp.headers["location"].endswith("#task-II-1-6-1")
    assert "Kế hoạch giải ngân.pdf" in reporter.get(WS).text
    forged = reporter.post(
        EV, files={"file": ("a.pdf", PDF, "application/pdf")}, follow_redirects=False
    )
    assert forged.status_code == 403


def test_done_on_the_page_names_the_product_then_saves_with_a_file(
    reporter: TestClient,  # noqa: F811
) -> None:
    typed = {"status": "done", "result": "Đã ban hành kế hoạch giải ngân."}
    refused = task(reporter, TASK, headers=HX, **typed)
    assert refused.status_code == 422 and PRODUCT in refused.text
    assert "Đính kèm tệp, thêm liên kết" in refused.text
    assert "Đã ban hành kế hoạch giải ngân." in refused.text  # what was typed is kept
    attach(reporter, headers=HX)
    assert task(reporter, TASK, headers=HX, **typed).status_code == 200


def test_removing_and_the_locked_report(
    reporter: TestClient,  # noqa: F811
    seeded: Session,
    clock: FixedClock,
) -> None:
    first = attach(reporter, headers=HX).text
    key = re.search(r'action="([^"]+/delete)"', first)
    assert key is not None
    removed = reporter.post(key.group(1), data={"csrf_token": reporter.csrf}, headers=HX)  # type: ignore[attr-defined]
    assert removed.status_code == 200 and "Chưa có tệp hoặc liên kết minh chứng." in removed.text
    attach(reporter, headers=HX)
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    page = reporter.get(WS).text
    part = page[page.index(PART) :]
    part = part[: part.index("</div>")]
    assert "Kế hoạch giải ngân.pdf" in part and "Đính kèm" not in part and "Gỡ" not in part
    refused = attach(reporter, headers=HX)
    assert refused.status_code == 409 and 'role="alert"' in refused.text


def test_the_review_page_lists_the_files(
    reporter: TestClient,  # noqa: F811
    coordinator: TestClient,  # noqa: F811
) -> None:
    attach(reporter, headers=HX)
    page = coordinator.get("/review/ttpvhcc/2025-10")
    assert page.status_code == 200
    assert "Kế hoạch giải ngân.pdf" in page.text and 'href="/api/v1/evidence/' in page.text
