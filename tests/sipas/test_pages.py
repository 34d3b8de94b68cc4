"""Officers' SIPAS pages: full page, htmx fragment and the 422 case, on a browser session."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.accounts.models import User
from app.clock import FixedClock
from app.sipas.models import Kiosk
from app.sipas.survey_screen_pages import KIOSK_COOKIE
from tests.conftest import make_user
from tests.sipas.conftest import HAND_FIXTURE, add_answer, hidden

PASSWORD = "mat-khau-thu-nghiem"


def login(client: TestClient, username: str) -> str:
    """Log in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    resp = client.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "next": "/sipas/gop-y",
            "csrf_token": hidden(page.text, "csrf_token"),
        },
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    return hidden(client.get("/sipas/gop-y").text, "csrf_token")


@pytest.fixture
def data(seeded: Session, clock: FixedClock) -> list[str]:
    ids = [add_answer(seeded, clock, ratings=r, domain="ho-tich") for r in HAND_FIXTURE]
    ids.append(add_answer(seeded, clock, ratings={"tc1": 4}, comment="Nhân viên <b>thô lỗ</b>"))
    return ids


@pytest.fixture
def coordinator(small_app: FastAPI, clean_db: Engine, clock: FixedClock) -> Iterator[TestClient]:
    make_user(clean_db, clock, username="vhxh.dp", role="coordinator", unit="vhxh")
    with TestClient(small_app) as client:
        client.headers["X-Test-Csrf"] = login(client, "vhxh.dp")
        yield client


def test_index_page_full_fragment_and_invalid_period(coordinator: TestClient, data) -> None:
    page = coordinator.get("/sipas", params={"period": "2025-11"})
    assert page.status_code == 200
    assert "<html" in page.text and "Tháng 11/2025" in page.text
    # tc1 3/4 → tiếp cận (75 + 100)/2 = 87,5; with 66,67, 66,67 and 0: 55,21
    assert 'id="sipas-index">55,2%<' in page.text
    assert "<svg" in page.text and "style=" not in page.text  # the strict CSP holds
    fragment = coordinator.get(
        "/sipas", params={"period": "2025-11"}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<section id="sipas-report">')
    bad = coordinator.get("/sipas", params={"period": "2025-13"})
    assert bad.status_code == 422 and "tháng phải từ 01 đến 12" in bad.text


def test_index_page_numbers_are_vietnamese(coordinator: TestClient, seeded, clock) -> None:
    for ratings in HAND_FIXTURE:
        add_answer(seeded, clock, ratings=ratings)
    page = coordinator.get("/sipas", params={"period": "2025-11"}).text
    assert re.search(r'id="sipas-index">54,2%<', page)
    assert "mục tiêu ≥ 90%" in page and ">3,29<" in page


def test_index_page_warns_below_the_minimum_sample(
    application: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    add_answer(seeded, clock, ratings={"tc1": 5})
    make_user(clean_db, clock, username="ld", role="viewer")
    with TestClient(application) as client:
        login(client, "ld")
        page = client.get("/sipas").text
    assert 'id="sipas-index">—<' in page
    assert "Mới có 1 phiếu, dưới cỡ mẫu tối thiểu 30 phiếu" in page
    assert "Ghi chỉ số kỳ này" not in page  # a viewer cannot store it


def test_storing_the_reading_from_the_page(coordinator: TestClient, data) -> None:
    csrf = coordinator.headers["X-Test-Csrf"]
    done = coordinator.post(
        "/sipas/chi-so", data={"period": "2025-11", "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    page = coordinator.get(done.headers["location"]).text
    assert "Đã ghi chỉ số 55,21% vào chỉ tiêu" in page
    refused = coordinator.post("/sipas/chi-so", data={"period": "2025-10", "csrf_token": csrf})
    assert refused.status_code == 422 and "Chưa ghi chỉ số vào chỉ tiêu" in refused.text


def test_hiding_a_comment_needs_a_reason_next_to_the_field(coordinator: TestClient, data):
    csrf = coordinator.headers["X-Test-Csrf"]
    page = coordinator.get("/sipas/gop-y", params={"period": "2025-11"})
    assert "Nhân viên &lt;b&gt;thô lỗ&lt;/b&gt;" in page.text  # escaped, shown as written
    cid = data[-1]
    url = f"/sipas/gop-y/{cid}/an"
    refused = coordinator.post(url, data={"reason": " ", "csrf_token": csrf, "period": "2025-11"})
    assert refused.status_code == 422
    assert f'id="reason-{cid}-error"' in refused.text and "Hãy ghi lý do ẩn" in refused.text
    done = coordinator.post(
        url,
        data={"reason": "Xúc phạm", "csrf_token": csrf, "period": "2025-11"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith(f"#c-{cid}")
    shown = coordinator.post(
        f"/sipas/gop-y/{cid}/hien",
        data={"csrf_token": csrf, "period": "2025-11"},
        headers={"HX-Request": "true"},
    )
    assert shown.status_code == 200 and shown.text.lstrip().startswith(
        '<section id="sipas-comments"'
    )
    assert "Đã ẩn" not in shown.text
    no_csrf = coordinator.post(url, data={"reason": "x", "period": "2025-11"})
    assert no_csrf.status_code == 403


def test_export_page_and_download(coordinator: TestClient, data) -> None:
    page = coordinator.get("/sipas/xuat", params={"period": "2025-11"})
    assert 'href="/sipas/xuat.csv?period=2025-11"' in page.text
    csv = coordinator.get("/sipas/xuat.csv", params={"period": "2025-11"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").count("\n") == 5


def test_counter_code_with_qr_and_the_422_case(
    small_app: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="tt.quay", role="reporter", unit="ttpvhcc")
    with TestClient(small_app) as client:
        csrf = login(client, "tt.quay")
        empty = client.post("/sipas/ma", data={"dossier_code": " ", "csrf_token": csrf})
        assert empty.status_code == 422 and 'id="dossier_code-error"' in empty.text
        made = client.post(
            "/sipas/ma",
            data={"dossier_code": "H29-0001", "domain": "ho-tich", "csrf_token": csrf},
            headers={"HX-Request": "true"},
        )
    assert made.status_code == 200 and "<html" not in made.text
    assert 'src="data:image/svg+xml' in made.text and 'id="issued-code"' in made.text


def test_enrolling_a_kiosk_logs_the_officer_out(
    small_app: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="tt.quay", role="reporter", unit="ttpvhcc")
    with TestClient(small_app) as client:
        csrf = login(client, "tt.quay")
        refused = client.post("/sipas/may", data={"name": "", "csrf_token": csrf})
        assert refused.status_code == 422 and "Hãy đặt tên cho máy" in refused.text
        done = client.post(
            "/sipas/may", data={"name": "Quầy 1", "csrf_token": csrf}, follow_redirects=False
        )
        assert done.status_code == 303 and done.headers["location"] == "/khao-sat/kiosk"
        assert KIOSK_COOKIE in done.headers["set-cookie"]
        assert client.get("/khao-sat/kiosk").status_code == 200
        assert client.get("/sipas", follow_redirects=False).status_code == 303  # logged out
    with Session(clean_db) as session:
        assert session.exec(select(Kiosk.name)).one() == "Quầy 1"


def test_a_coordinator_of_another_unit_cannot_enrol_kiosks(coordinator: TestClient) -> None:
    csrf = coordinator.headers["X-Test-Csrf"]
    refused = coordinator.post("/sipas/may", data={"name": "Quầy 9", "csrf_token": csrf})
    assert refused.status_code == 403
    assert "Trung tâm Phục vụ hành chính công" in refused.text


def test_comments_name_the_unit_and_the_domain(
    coordinator: TestClient, seeded: Session, clock: FixedClock
) -> None:
    add_answer(seeded, clock, ratings={"tc1": 5}, domain="dat-dai", comment="Rất nhanh")
    page = coordinator.get("/sipas/gop-y", params={"period": "2025-11"}).text
    meta = re.findall(r'<p class="comment-meta">(.*?)</p>', page, re.S)
    assert meta == ["Tháng 11/2025 · TTPVHCC · Đất đai"]
    assert "ttpvhcc" not in meta[0] and "dat-dai" not in meta[0]


def test_the_index_page_names_the_target_it_writes_to(coordinator: TestClient, data) -> None:
    page = coordinator.get("/sipas", params={"period": "2025-11"}).text
    button = re.search(r"Ghi chỉ số kỳ này vào chỉ tiêu ([^<]*)</button>", page)
    name = "Chỉ số hài lòng của người dân (SIPAS) đo tại Trung tâm Phục vụ hành chính công"
    assert button and button.group(1) == f"“{name}”"


def test_kiosks_say_who_enrolled_them_by_name(
    small_app: FastAPI, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    make_user(clean_db, clock, username="tt.quay", role="reporter", unit="ttpvhcc")
    with Session(clean_db) as session:
        user = session.exec(select(User).where(User.username == "tt.quay")).one()
        user.full_name = "Phạm Thị Quầy"
        session.add(user)
        session.commit()
    with TestClient(small_app) as client:
        csrf = login(client, "tt.quay")
        client.post("/sipas/may", data={"name": "Quầy 1", "csrf_token": csrf})
    with TestClient(small_app) as client:
        login(client, "tt.quay")
        page = client.get("/sipas/may").text
    assert "<tr><td>Quầy 1</td><td>Phạm Thị Quầy</td>" in page
    assert "tt.quay" not in page.split("<main", 1)[1]
