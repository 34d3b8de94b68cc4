"""The reviewer's flags in the browser: the review page lists each with its reason, the queue
counts them, approving with flags asks for a comment, and a blocking rule stops the submission
next to its button."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.actors import SYSTEM
from app.clock import FixedClock
from app.kpis.models import ReadingWrite
from app.kpis.readings import upsert_reading
from app.reporting import transitions
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user
from tests.reporting.test_pages import HX, WS


def signed_in(application: FastAPI, username: str, landing: str) -> Iterator[TestClient]:
    with TestClient(application) as client:
        assert login(client, username).status_code == 303
        client.csrf = hidden(client.get(landing).text, "csrf_token")  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def unit_web(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    yield from signed_in(application, "bc.ttpv", WS)


@pytest.fixture
def reviewer_web(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    yield from signed_in(application, "dp.vhxh", "/review")


def put(db: Session, clock: FixedClock, indicator: str, **numbers: object) -> None:
    data = ReadingWrite.model_validate(
        {"indicator": indicator, "unit": "ttpvhcc", "period": "2025-10", **numbers}
    )
    upsert_reading(db_session=db, actor=SYSTEM, clock=clock, data=data)


def test_review_page_and_queue_show_the_flags_and_approval_needs_a_comment(
    unit_web: TestClient, reviewer_web: TestClient, seeded: Session, clock: FixedClock
) -> None:
    put(seeded, clock, "digitized_components", numerator=30, denominator=50)
    put(seeded, clock, "reuse_digitized", numerator=45, denominator=50)
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    queue = reviewer_web.get("/review")
    assert "<th>Cảnh báo</th>" in queue.text
    assert '<td class="num flag-count"><span class="bad">⚠ 1</span></td>' in queue.text
    assert '<span class="bad">⚠ 1 cảnh báo</span>' in reviewer_web.get("/").text  # the landing

    page = reviewer_web.get("/review/ttpvhcc/2025-10")
    assert page.status_code == 200
    assert "Cảnh báo cho người duyệt" in page.text
    assert "<strong>Tỷ lệ khai thác, sử dụng lại thông tin số hóa</strong>" in page.text
    assert "Số hồ sơ khai thác, sử dụng lại dữ liệu số hóa không thể nhiều hơn" in page.text
    assert "bắt buộc khi trả lại, và khi duyệt vì báo cáo còn 1 cảnh báo" in page.text

    csrf = reviewer_web.csrf  # type: ignore[attr-defined]
    url = "/review/ttpvhcc/2025-10/approve"
    silent = reviewer_web.post(url, data={"csrf_token": csrf, "comment": ""}, headers=HX)
    assert silent.status_code == 422
    assert silent.text.lstrip().startswith('<section id="review-actions"')
    assert 'id="comment-error">Báo cáo còn 1 cảnh báo; hãy ghi nhận xét khi duyệt.' in silent.text
    whole = reviewer_web.post(url, data={"csrf_token": csrf, "comment": ""})
    assert whole.status_code == 422 and "<html" in whole.text
    approved = reviewer_web.post(
        url,
        data={"csrf_token": csrf, "comment": "Đơn vị giải thích: tính cả hồ sơ kỳ trước."},
        follow_redirects=False,
    )
    assert approved.status_code == 303


def test_a_report_without_flags_says_so(
    unit_web: TestClient, reviewer_web: TestClient, seeded: Session, clock: FixedClock
) -> None:
    put(seeded, clock, "online_dossier", value="85,5")
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    page = reviewer_web.get("/review/ttpvhcc/2025-10")
    assert "✓ Không có cảnh báo" in page.text
    assert '<span class="muted">0</span>' in reviewer_web.get("/review").text


def test_a_blocking_rule_is_listed_before_and_after_trying_to_send(
    unit_web: TestClient, seeded: Session, clock: FixedClock
) -> None:
    put(seeded, clock, "tthc_ontime", domain="ho-tich", numerator=9, denominator=10)
    put(seeded, clock, "electronic_results", numerator=12, denominator=12)
    confirm = unit_web.get(f"{WS}/submit")
    assert 'id="blocked-rules"' in confirm.text
    assert "Báo cáo vi phạm 1 quy tắc kiểm tra nên chưa gửi được" in confirm.text
    assert "Số hồ sơ được cấp kết quả điện tử không thể nhiều hơn" in confirm.text
    csrf = unit_web.csrf  # type: ignore[attr-defined]
    refused = unit_web.post(
        f"{WS}/submit", data={"csrf_token": csrf, "version": "0"}, follow_redirects=False
    )
    assert refused.status_code == 422
    assert "Chưa gửi được báo cáo: số liệu vi phạm 1 quy tắc kiểm tra" in refused.text
    assert "là 12" in refused.text and "là 10" in refused.text
    fragment = unit_web.post(f"{WS}/submit", data={"csrf_token": csrf, "version": "0"}, headers=HX)
    assert fragment.status_code == 422
    assert fragment.text.lstrip().startswith('<section class="card" id="confirm-submit">')


def test_the_unit_sees_its_flags_in_the_workspace_while_it_can_still_fix_them(
    unit_web: TestClient, seeded: Session, clock: FixedClock
) -> None:
    """What the reviewer will be shown, the unit sees first: on its own page, before sending;
    once sent the page is read-only and the list is gone (the reviewer has it)."""
    assert 'id="own-flags"' not in unit_web.get(WS).text  # nothing typed, nothing to flag
    put(seeded, clock, "digitized_components", numerator=30, denominator=50)
    put(seeded, clock, "reuse_digitized", numerator=45, denominator=50)
    page = unit_web.get(WS).text
    assert 'id="own-flags"' in page
    assert "Số liệu kỳ này có 1 điểm người duyệt sẽ được nhắc xem kỹ" in page
    assert "Số hồ sơ khai thác, sử dụng lại dữ liệu số hóa không thể nhiều hơn" in page
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    assert 'id="own-flags"' not in unit_web.get(WS).text
