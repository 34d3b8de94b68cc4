"""The registers through the API: every register adds, lists, filters, changes, exports and
re-imports its rows by code, with the unit rules and the version check of every other write."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.registers.specs import REGISTERS, RegisterSpec
from tests.conftest import make_token

API = "/api/v1"


@pytest.fixture
def who(seeded: Session, clean_db: Engine, clock: FixedClock) -> dict[str, dict[str, str]]:
    made = {
        "vp": make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp"),
        "ttpv": make_token(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc"),
        "coordinator": make_token(
            clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
        ),
        "viewer": make_token(clean_db, clock, username="ld", role="viewer"),
        "admin": make_token(clean_db, clock, username="qt", role="admin"),
    }
    return {k: {"Authorization": f"Bearer {v}"} for k, v in made.items()}


def _example(spec: RegisterSpec) -> dict[str, Any]:
    return {f.name: f.example for f in spec.fields if f.example is not None}


@pytest.mark.parametrize("spec", REGISTERS, ids=[s.slug for s in REGISTERS])
def test_every_register_adds_changes_and_keeps_history(
    anon: TestClient, who: dict, spec: RegisterSpec, db_session: Session
) -> None:
    url = f"{API}{spec.api}"
    r = anon.post(url, json={**_example(spec), "tasks": ["II.2.2.5"]}, headers=who["vp"])
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["unit"] == "vp" and made["code"].startswith(f"{spec.prefix}-20")
    assert made["tasks"] == ["II.2.2.5"]
    # another unit's officer (even the coordinating office's) may not change it; an admin may
    first_text = next(f.name for f in spec.fields if f.kind.value in ("text", "long"))
    for other in ("ttpv", "coordinator"):
        r = anon.patch(f"{url}/{made['code']}", json={first_text: "Khác"}, headers=who[other])
        assert r.status_code == 403
    r = anon.patch(
        f"{url}/{made['code']}",
        json={first_text: "Đã cập nhật", "version": made["version"]},
        headers=who["admin"],
    )
    assert r.status_code == 200, r.text
    stale = anon.patch(
        f"{url}/{made['code']}", json={first_text: "x", "version": made["version"]},
        headers=who["vp"],
    )  # fmt: skip
    assert stale.status_code == 409
    history = anon.get(f"{url}/{made['code']}/history", headers=who["viewer"]).json()
    assert [e["action"] for e in history] == ["update", "create"]
    listed = anon.get(url, headers=who["viewer"]).json()
    assert listed["total"] == 1 and listed["items"][0][first_text] == "Đã cập nhật"
    # an officer reads only its own unit's rows
    assert anon.get(url, headers=who["ttpv"]).json()["total"] == 0
    r = anon.get(f"{url}?unit=vp", headers=who["ttpv"])
    assert r.status_code == 403
    events = db_session.exec(select(AuditEvent).where(AuditEvent.entity == spec.entity)).all()
    assert len(events) == 2


@pytest.mark.parametrize("spec", REGISTERS, ids=[s.slug for s in REGISTERS])
def test_an_export_re_imports_unchanged(anon: TestClient, who: dict, spec: RegisterSpec) -> None:
    url = f"{API}{spec.api}"
    for _ in range(3):
        assert anon.post(url, json=_example(spec), headers=who["coordinator"]).status_code == 201
    exported = anon.get(f"{url}.xlsx", headers=who["coordinator"])
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None and sheet.max_row == 4
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    r = anon.post(
        f"{url}/bulk", content=exported.content,
        headers={**who["coordinator"], "Content-Type": xlsx},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["unchanged"] == 3 and r.json()["created"] == 0
    csv = anon.get(f"{url}.csv", headers=who["coordinator"])
    assert csv.status_code == 200 and csv.content.startswith(b"\xef\xbb\xbf")


def test_conclusions_as_the_office_types_them(anon: TestClient, who: dict) -> None:
    # a CSV saved by Excel on a Vietnamese Windows: ";" between cells, dd/mm/yyyy, labels
    body = (
        "Mã;Đơn vị;Loại;Văn bản;Nội dung;Thời hạn;Tình trạng\r\n"
        "kl-45-1;ttpvhcc;Kết luận của UBND phường;Thông báo 45/TB-UBND;"
        "Công khai TTHC tại bộ phận một cửa;31/10/2025;Đang thực hiện\r\n"
        "kl-45-2;vp;city_task;Công văn 12/UBND;Báo cáo kết quả CCHC quý IV;15/12/2025;open\r\n"
        "kl-45-3;vp;conclusion;;Sai ngày;31/02/2025;open\r\n"
    ).encode("utf-8-sig")
    url = f"{API}/conclusions"
    headers = {**who["admin"], "Content-Type": "text/csv"}
    r = anon.post(f"{url}/bulk", content=body, headers=headers)
    assert r.status_code == 422  # row 4's date does not exist: nothing written
    assert "31/02/2025" in r.text
    assert anon.get(url, headers=who["coordinator"]).json()["total"] == 0
    fixed = body.replace(b"31/02/2025", b"28/02/2025")
    r = anon.post(f"{url}/bulk?dry_run=true", content=fixed, headers=headers)
    assert r.status_code == 200 and r.json()["created"] == 3
    assert anon.get(url, headers=who["coordinator"]).json()["total"] == 0
    r = anon.post(f"{url}/bulk", content=fixed, headers=headers)
    assert r.status_code == 200 and r.json()["created"] == 3
    # today is 20/11/2025: the first is overdue, the second is not yet
    overdue = anon.get(f"{url}?overdue=true", headers=who["coordinator"]).json()
    assert [c["code"] for c in overdue["items"]] == ["kl-45-1", "kl-45-3"]
    assert overdue["items"][0]["overdue"] is True
    r = anon.patch(
        f"{url}/kl-45-1", json={"state": "done", "done_on": "05/11/2025"}, headers=who["ttpv"]
    )
    assert r.status_code == 200 and r.json()["done_late"] is True


def test_training_attendees_are_read_as_typed(anon: TestClient, who: dict) -> None:
    r = anon.post(
        f"{API}/trainings",
        json={"title": "Kỹ năng số", "topic": "Chuyển đổi số", "starts_on": "03/11/2025",
              "hours": "7,5", "attendees": "Nguyễn Văn An (ttpvhcc); Trần Thị Bình"},
        headers=who["coordinator"],
    )  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["topic"] == "digital" and body["hours"] == 7.5
    assert body["attendees"] == [
        {"name": "Nguyễn Văn An", "unit": "ttpvhcc"},
        {"name": "Trần Thị Bình", "unit": ""},
    ]
    bad = anon.post(
        f"{API}/trainings", json={"title": "x", "topic": "bơi lội", "starts_on": "2025-13-01"},
        headers=who["coordinator"],
    )  # fmt: skip
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["detail"]["errors"]}
    assert {"topic", "starts_on"} <= fields


def test_a_code_is_unique_in_the_ward_and_tasks_must_exist(anon: TestClient, who: dict) -> None:
    url = f"{API}/initiatives"
    body = {"code": "sk-mot-cua", "kind": "model", "title": "Một cửa số", "state": "proposed"}
    assert anon.post(url, json=body, headers=who["coordinator"]).status_code == 201
    again = anon.post(url, json=body, headers=who["coordinator"])
    assert again.status_code == 409
    r = anon.post(
        url, json={**body, "code": "sk-2", "tasks": ["II.9.9"]}, headers=who["coordinator"]
    )
    assert r.status_code == 422 and "II.9.9" in r.text
