"""Reporting pages without a browser: full page, htmx fragment and the 422 case of every form."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.actors import SYSTEM
from app.clock import FixedClock
from app.formatting import NumberError, parse_number
from app.kpis.models import Reading
from app.progress.models import ProgressUpdate
from app.reporting import transitions
from tests.accounts.test_pages import hidden, login
from tests.conftest import make_user

WS = "/units/ttpvhcc/periods/2025-10"
HX = {"HX-Request": "true", "HX-Request-Type": "partial"}


@pytest.fixture
def reporter(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc")
    with TestClient(application) as client:
        assert login(client, "bc.ttpv").status_code == 303
        client.csrf = hidden(client.get(WS).text, "csrf_token")  # type: ignore[attr-defined]
        yield client


@pytest.fixture
def coordinator(application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock):
    make_user(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh")
    with TestClient(application) as client:
        assert login(client, "dp.vhxh").status_code == 303
        client.csrf = hidden(client.get("/review").text, "csrf_token")  # type: ignore[attr-defined]
        yield client


def task(client: TestClient, code: str = "II.1.1.1", headers: dict | None = None, **fields):
    data = {"csrf_token": client.csrf, "version": "0", **fields}  # type: ignore[attr-defined]
    return client.post(
        f"{WS}/tasks/{code}", data=data, headers=headers or {}, follow_redirects=False
    )


def kpi(client: TestClient, code: str = "online_dossier", headers: dict | None = None, **fields):
    data = {"csrf_token": client.csrf, "version": "0", **fields}  # type: ignore[attr-defined]
    return client.post(
        f"{WS}/readings/{code}", data=data, headers=headers or {}, follow_redirects=False
    )


def test_a_reporter_lands_on_what_needs_action(reporter: TestClient) -> None:
    resp = reporter.get("/", follow_redirects=False)
    assert resp.status_code == 200
    # 20/11/2025: October is overdue (due 05/11), November comes due on 05/12.
    page = resp.text
    assert "Tháng 10/2025</strong>: quá hạn, chưa gửi" in page
    assert "Tháng 11/2025</strong>: sắp đến hạn" in page
    assert page.index("Tháng 10/2025</strong>") < page.index("Tháng 11/2025</strong>")
    assert "quá hạn 15 ngày" in page and "còn 15 ngày" in page
    assert 'href="/units/ttpvhcc/periods/2025-10"' in page
    assert "Báo cáo chờ duyệt" not in page  # a reporter reviews nothing
    resp = reporter.get("/units/ttpvhcc", follow_redirects=False)
    assert resp.headers["location"] == WS  # October is still open on 20/11/2025


def test_the_workspace_lists_the_units_tasks_and_indicators(reporter: TestClient) -> None:
    page = reporter.get(WS)
    assert page.status_code == 200
    assert "Trung tâm Phục vụ hành chính công · Tháng 10/2025" in page.text
    assert "Hạn gửi: <strong>05/11/2025</strong>" in page.text
    assert 'id="task-II-2-3-1"' in page.text  # a task it leads
    assert 'id="task-II-1-1-1"' in page.text  # an all-units task
    assert 'id="task-II-2-4-1"' not in page.text  # another unit's task
    assert 'id="kpi-tthc_ontime-ho-tich"' in page.text  # one row per domain
    assert '<option value="2025-11" >Tháng 11/2025</option>' in page.text  # the selector


def test_saving_a_task_returns_the_row_and_the_counter(
    reporter: TestClient, db_session: Session
) -> None:
    before = int(re.search(r"Còn trống: <strong>(\d+)", reporter.get(WS).text).group(1))
    resp = task(
        reporter,
        status="in_progress",
        percent_complete="40",
        result="Đã họp triển khai",
        headers=HX,
    )
    assert resp.status_code == 200
    assert resp.text.lstrip().startswith('<form id="task-II-1-1-1"')
    assert "✓ Đã lưu" in resp.text and "Đã họp triển khai" in resp.text
    counter = re.search(r'id="empty-counter"[^>]*hx-swap-oob="true"[^<]*<strong>(\d+)', resp.text)
    assert counter and int(counter.group(1)) == before - 1
    row = db_session.exec(select(ProgressUpdate)).one()
    assert (row.status, row.percent_complete) == ("in_progress", 40)


def test_a_bad_task_value_is_422_with_the_message_and_the_input_kept(
    reporter: TestClient, db_session: Session
) -> None:
    resp = task(
        reporter, status="in_progress", percent_complete="150", result="Nội dung dài", headers=HX
    )
    assert resp.status_code == 422
    assert "Phải nhỏ hơn hoặc bằng 100." in resp.text
    assert 'value="150"' in resp.text and "Nội dung dài" in resp.text
    assert 'value="in_progress" selected' in resp.text
    assert db_session.exec(select(ProgressUpdate)).first() is None


def test_without_javascript_a_task_form_posts_and_redirects(reporter: TestClient) -> None:
    ok = task(reporter, status="done")
    assert ok.status_code == 303 and ok.headers["location"] == f"{WS}#task-II-1-1-1"
    bad = task(reporter, code="II.1.1.2", status="")
    assert bad.status_code == 422
    assert "<html" in bad.text and "Hãy chọn tình trạng thực hiện." in bad.text


def test_a_reading_with_a_decimal_comma_is_saved_and_judged(
    reporter: TestClient, db_session: Session
) -> None:
    resp = kpi(reporter, value="85,5", headers=HX)
    assert resp.status_code == 200, resp.text
    assert "✓ Đạt" in resp.text and "85,50%" in resp.text
    assert db_session.exec(select(Reading)).one().value == 85.5
    low = kpi(reporter, code="reuse_digitized", value="40", headers=HX)
    assert "✗ Chưa đạt" in low.text


def test_a_reading_from_numerator_and_denominator(
    reporter: TestClient, db_session: Session
) -> None:
    resp = kpi(
        reporter,
        code="tthc_ontime",
        domain="ho-tich",
        numerator="197",
        denominator="200",
        headers=HX,
    )
    assert resp.status_code == 200, resp.text
    assert resp.text.lstrip().startswith('<form id="kpi-tthc_ontime-ho-tich"')
    assert db_session.exec(select(Reading)).one().value == pytest.approx(98.5)


def test_counts_typed_with_thousands_dots_are_stored_as_meant(
    reporter: TestClient, db_session: Session
) -> None:
    """1.100 / 1.125 once became 1,1 / 1,125; now 1100 / 1125 = 97,78% < 98%: not met."""
    resp = kpi(
        reporter,
        code="tthc_ontime",
        domain="ho-tich",
        numerator="1.100",
        denominator="1.125",
        headers=HX,
    )
    assert resp.status_code == 200, resp.text
    stored = db_session.exec(select(Reading)).one()
    assert (stored.numerator, stored.denominator) == (1100, 1125)
    assert stored.value == pytest.approx(1100 / 1125 * 100)  # stored unrounded
    assert "✗ Chưa đạt" in resp.text and "✓ Đạt" not in resp.text
    assert "Đã lưu: 97,78%" in resp.text
    # the inputs show what reads back the same on the next save: never 97,777778
    assert 'name="value" inputmode="decimal" size="8" value="97,78"' in resp.text
    assert 'name="numerator" inputmode="decimal" size="8" value="1100"' in resp.text
    again = kpi(
        reporter,
        code="tthc_ontime",
        domain="ho-tich",
        value="97,78",
        numerator="1100",
        denominator="1125",
        version="1",
        headers=HX,
    )
    assert again.status_code == 200, again.text
    db_session.expire_all()
    assert db_session.exec(select(Reading)).one().version == 1  # unchanged


def test_numerator_above_denominator_is_told_in_vietnamese_numbers(reporter: TestClient) -> None:
    resp = kpi(
        reporter, code="tthc_ontime", domain="ho-tich", numerator="1.250", denominator="1.150"
    )
    assert resp.status_code == 422
    assert "Tử số (1.250) không được lớn hơn mẫu số (1.150)." in resp.text


def test_an_unclear_count_is_refused_next_to_its_field_with_both_readings(
    reporter: TestClient, db_session: Session
) -> None:
    resp = kpi(
        reporter, code="tthc_ontime", domain="ho-tich", numerator="1,250", denominator="2.000"
    )
    assert resp.status_code == 422
    with pytest.raises(NumberError) as caught:
        parse_number("1,250", whole=True)
    assert caught.value.message in resp.text  # what PUT /readings and a CSV row say
    assert "1,25 (dấu phẩy là dấu thập phân)" in resp.text
    assert 'name="numerator" inputmode="decimal" size="8" value="1,250" aria-invalid="true"' in (
        resp.text
    )
    assert db_session.exec(select(Reading)).first() is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value": "101"}, "Tỷ lệ phải từ 0 đến 100%."),
        ({"value": "abc"}, "“abc” không phải là một số."),
        ({"numerator": "5", "denominator": "0"}, None),
        ({"numerator": "9", "denominator": "4"}, None),
        ({"value": "", "numerator": "", "denominator": ""}, "Nhập giá trị, hoặc tử số và mẫu số."),
    ],
)
def test_a_bad_reading_is_422_next_to_its_field(
    reporter: TestClient, db_session: Session, fields: dict, message: str | None
) -> None:
    resp = kpi(reporter, headers=HX, **fields)
    assert resp.status_code == 422
    assert 'class="field-error"' in resp.text
    if message:
        assert message in resp.text
    for name, typed in fields.items():
        assert f'name="{name}" inputmode="decimal" size="8" value="{typed}"' in resp.text
    assert db_session.exec(select(Reading)).first() is None


def test_a_reporter_cannot_write_for_another_unit(
    reporter: TestClient, db_session: Session
) -> None:
    data = {"csrf_token": reporter.csrf, "status": "done", "version": "0"}  # type: ignore[attr-defined]
    resp = reporter.post("/units/vp/periods/2025-10/tasks/II.1.1.1", data=data, headers=HX)
    assert resp.status_code == 403
    assert db_session.exec(select(ProgressUpdate)).first() is None


def test_a_form_without_its_csrf_token_is_refused(
    reporter: TestClient, db_session: Session
) -> None:
    resp = reporter.post(f"{WS}/tasks/II.1.1.1", data={"status": "done"})
    assert resp.status_code == 403
    assert db_session.exec(select(ProgressUpdate)).first() is None


def test_submitting_asks_for_confirmation_listing_what_is_empty(reporter: TestClient) -> None:
    task(reporter, status="done")
    confirm = reporter.get(f"{WS}/submit")
    assert confirm.status_code == 200
    assert "Nhiệm vụ II.1.1.2" in confirm.text and "Nhiệm vụ II.1.1.1" not in confirm.text
    fragment = reporter.get(f"{WS}/submit", headers=HX)
    assert fragment.text.lstrip().startswith('<section class="card" id="confirm-submit">')
    done = reporter.post(
        f"{WS}/submit",
        data={"csrf_token": reporter.csrf, "version": "0"},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert "Đã gửi báo cáo" in reporter.get(done.headers["location"]).text
    again = reporter.post(
        f"{WS}/submit",
        data={"csrf_token": reporter.csrf, "version": "1"},  # type: ignore[attr-defined]
    )
    assert again.status_code == 409 and "không thể chuyển" in again.text


def test_review_queue_review_page_and_actions(
    reporter: TestClient, coordinator: TestClient, seeded: Session, clock: FixedClock
) -> None:
    task(reporter, status="done", result="Hoàn thành kế hoạch")
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    queue = coordinator.get("/review")
    assert (
        "Trung tâm Phục vụ hành chính công" in queue.text
        and "/review/ttpvhcc/2025-10" in queue.text
    )
    page = coordinator.get("/review/ttpvhcc/2025-10")
    assert page.status_code == 200
    assert "Hoàn thành kế hoạch" in page.text and "kỳ trước (không có)" in page.text
    csrf = coordinator.csrf  # type: ignore[attr-defined]
    empty = coordinator.post(
        "/review/ttpvhcc/2025-10/return", data={"csrf_token": csrf, "comment": ""}, headers=HX
    )
    assert empty.status_code == 422
    assert empty.text.lstrip().startswith('<section id="review-actions"')
    assert "Hãy ghi rõ lý do trả lại" in empty.text
    returned = coordinator.post(
        "/review/ttpvhcc/2025-10/return",
        data={"csrf_token": csrf, "comment": "Bổ sung số liệu lĩnh vực hộ tịch"},
        follow_redirects=False,
    )
    assert returned.status_code == 303
    assert "Bổ sung số liệu lĩnh vực hộ tịch" in reporter.get(WS).text


def test_a_reporter_cannot_open_the_review_queue(reporter: TestClient) -> None:
    assert reporter.get("/review").status_code == 403


def test_an_approved_period_refuses_edits_with_the_reason(
    reporter: TestClient, seeded: Session, clock: FixedClock
) -> None:
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    transitions.approve(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-10"
    )
    page = reporter.get(WS)
    assert "Báo cáo đã được duyệt" in page.text and "<fieldset disabled>" in page.text
    resp = task(reporter, status="done", headers=HX)
    assert resp.status_code == 409
    assert "không sửa được nữa" in resp.text and "Phòng Văn hóa - Xã hội" in resp.text


def test_completeness_matrix_with_totals(
    coordinator: TestClient, seeded: Session, clock: FixedClock
) -> None:
    transitions.submit(
        db_session=seeded, actor=SYSTEM, clock=clock, unit="ttpvhcc", period="2025-11"
    )
    transitions.submit(db_session=seeded, actor=SYSTEM, clock=clock, unit="vp", period="2025-10")
    page = coordinator.get("/completeness")
    assert page.status_code == 200
    # On 20/11/2025 only October is due (05/11); November (due 05/12) counts nowhere yet, though
    # ttpvhcc already sent it. vp sent October today: late.
    assert "Phải nộp: <strong>5</strong>" in page.text
    assert "Đã nhận: <strong>1</strong> (20%)" in page.text
    assert "Đúng hạn: <strong>0</strong> (0%)" in page.text
    assert "Trễ hạn: <strong>1</strong>" in page.text
    assert "○ Chưa đến hạn" in page.text and "✗ Chưa gửi (quá hạn)" in page.text
    names = re.findall(r'<th scope="row" class="unit-h" title="([^"]+)">', page.text)[:5]
    assert names[0].startswith("Phòng Kinh tế") and names[-1].startswith("Văn phòng")
    part = coordinator.get("/completeness", params={"tu": "2025-11", "den": "2025-11"}, headers=HX)
    assert part.text.lstrip().startswith('<div id="matrix">')
    assert "Phải nộp: <strong>0</strong>" in part.text
    bad = coordinator.get("/completeness", params={"tu": "thang-10"})
    assert bad.status_code == 422


def test_a_tampered_hidden_field_is_refused_out_loud(
    reporter: TestClient, db_session: Session
) -> None:
    resp = task(reporter, status="done", version="abc", headers=HX)
    assert resp.status_code == 422
    assert 'class="field-error row-error"' in resp.text
    assert "“abc” không phải là một số nguyên." in resp.text
    assert db_session.exec(select(ProgressUpdate)).first() is None
    bad = reporter.post(
        f"{WS}/submit",
        data={"csrf_token": reporter.csrf, "version": "x"},  # type: ignore[attr-defined]
    )
    assert bad.status_code == 422 and "Phải là số nguyên." in bad.text


def test_an_unknown_review_action_is_404(coordinator: TestClient) -> None:
    resp = coordinator.post(
        "/review/ttpvhcc/2025-10/delete",
        data={"csrf_token": coordinator.csrf},  # type: ignore[attr-defined]
    )
    assert resp.status_code == 404


# --- names, not codes -----------------------------------------------------------------------


def rename(engine: Engine, username: str, full_name: str) -> None:
    """A full name that does not contain the username, so a page showing the username is caught."""
    with Session(engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        user.full_name = full_name
        session.add(user)
        session.commit()


def who(html: str) -> str:
    found = re.search(r'<a class="who" href="/account/password" title="([^"]*)">([^<]*)</a>', html)
    assert found, "no top bar"
    return f"{found.group(1)} | {found.group(2)}"


def test_the_top_bar_names_the_unit_and_the_role(reporter: TestClient, clean_db: Engine) -> None:
    bar = who(reporter.get(WS).text)
    assert bar == (
        "Người dùng bc.ttpv (Cán bộ báo cáo của đơn vị): tài khoản, đổi mật khẩu"
        " | Người dùng bc.ttpv · TTPVHCC"
    )
    refused = reporter.get("/review")  # an error page keeps the names it read
    assert refused.status_code == 403
    assert who(refused.text).endswith("· TTPVHCC") and "ttpvhcc" not in who(refused.text)
    assert clean_db.pool.checkedout() == 0  # …without opening a connection nobody closes


def test_who_sent_returned_and_approved_is_named_not_a_username(
    reporter: TestClient, coordinator: TestClient, clean_db: Engine
) -> None:
    rename(clean_db, "bc.ttpv", "Lê Văn Báo")
    rename(clean_db, "dp.vhxh", "Trần Thị Phối")
    csrf = reporter.csrf  # type: ignore[attr-defined]
    sent = reporter.post(f"{WS}/submit", data={"csrf_token": csrf, "version": "0"})
    assert sent.status_code == 200
    review = coordinator.get("/review/ttpvhcc/2025-10").text
    sent_line = re.search(r"gửi lúc [^<]*", review)
    assert sent_line and sent_line.group(0).endswith("bởi Lê Văn Báo")
    queue = coordinator.get("/review").text
    assert "<td>Trung tâm Phục vụ hành chính công</td>" in queue
    returned = coordinator.post(
        "/review/ttpvhcc/2025-10/return",
        data={"csrf_token": coordinator.csrf, "comment": "Thiếu số liệu"},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert returned.status_code == 303
    notice = re.search(r'id="return-comment">(.*?)</div>', reporter.get(WS).text, re.S)
    assert notice and "bởi Trần Thị Phối lúc" in notice.group(1)
    assert "dp.vhxh" not in notice.group(1)
    again = reporter.post(f"{WS}/submit", data={"csrf_token": csrf, "version": "2"})
    assert again.status_code == 200, again.text
    approved = coordinator.post(
        "/review/ttpvhcc/2025-10/approve",
        data={"csrf_token": coordinator.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert approved.status_code == 303
    lock = re.search(r'id="lock-notice">(.*?)</div>', reporter.get(WS).text, re.S)
    assert lock and "bởi Trần Thị Phối lúc" in lock.group(1) and "dp.vhxh" not in lock.group(1)
    done = coordinator.get("/review/ttpvhcc/2025-10").text
    assert "Đã duyệt bởi Trần Thị Phối lúc" in done and "dp.vhxh" not in done.split("<main")[1]
    refused = task(reporter, status="done", headers=HX)
    assert refused.status_code == 409
    assert "đã được Trần Thị Phối duyệt" in refused.text and "dp.vhxh" not in refused.text
