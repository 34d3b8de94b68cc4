"""The self-assessment probed as an attacker and a clumsy officer would: two wards with the same
year and codes, two coordinators deciding at once, out-of-range and malformed input, an all-bad
appraisal file, a renamed executable as evidence. Each must end in a clear 4xx and nothing lost."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.par.models import ParItem
from tests.conftest import make_token
from tests.wards.conftest import MARKS, _bearer, city  # noqa: F401  (the three wards)

API = "/api/v1/par-assessments"
MARK = MARKS["binh-dong"]


def test_a_ward_never_sees_another_wards_assessment(
    city: Session,  # noqa: F811
    application: FastAPI,
    clean_db: Engine,
    clock: FixedClock,
) -> None:
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b:
        assert b.post(API, json={"year": 2025}).status_code == 201
        link = {"url": "https://binhdong.gov.vn/van-ban", "note": f"Văn bản {MARK}"}
        made = b.post(f"{API}/2025/items/3.5/evidence", json=link)
        assert made.status_code == 201, made.text
        key = made.json()["key"]
        r = b.put(f"{API}/2025/items/3.5/proposal", json={"points": "3", "note": MARK})
        assert r.status_code == 200, r.text
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a:
        assert a.get(API).json() == []
        assert a.get(f"{API}/2025").status_code == 404
        assert a.get(f"{API}/2025/items").status_code == 404
        assert a.get(f"{API}/evidence/{key}").status_code == 404
        assert a.delete(f"{API}/evidence/{key}").status_code == 404
        # the same year and the same codes in A are A's own
        assert a.post(API, json={"year": 2025}).status_code == 201
        items = a.get(f"{API}/2025/items").text
        assert MARK not in items
        r = a.put(f"{API}/2025/items/3.5/proposal", json={"points": "1", "reason": "Chưa có"})
        assert r.status_code == 200
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as city_viewer:
        r = city_viewer.get(f"{API}/2025/items/3.5?ward=binh-dong")
        assert r.status_code == 200 and r.json()["proposed_points"] == 3
        r = city_viewer.put(f"{API}/2025/items/3.5/proposal?ward=binh-dong", json={"points": "0"})
        assert r.status_code == 403  # the city reads; it does not score for the ward
    rows = city.exec(select(ParItem).where(ParItem.proposed_points.is_not(None))).all()  # type: ignore[union-attr]
    assert sorted(r.proposed_points for r in rows) == [1, 3]


@pytest.fixture
def round_open(seeded: Session, anon: TestClient, clean_db: Engine, clock: FixedClock) -> dict:
    made = {
        "dp": make_token(clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"),
        "dp2": make_token(clean_db, clock, username="dp.vp", role="coordinator", unit="vp"),
        "ttpv": make_token(clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc"),
    }
    who = {k: {"Authorization": f"Bearer {v}"} for k, v in made.items()}
    assert anon.post(API, json={"year": 2025}, headers=who["dp"]).status_code == 201
    r = anon.put(
        f"{API}/2025/items/3.5/proposal",
        json={"points": "2", "reason": "Văn bản lưu tại bộ phận một cửa."},
        headers=who["ttpv"],
    )
    assert r.status_code == 200
    return {"who": who, "version": r.json()["version"]}


def test_two_coordinators_deciding_at_once_one_wins(anon: TestClient, round_open: dict) -> None:
    who, version = round_open["who"], round_open["version"]

    def decide(args: tuple[str, str, str | None]) -> int:
        person, decision, points = args
        body: dict[str, Any] = {"decision": decision, "version": version, "points": points,
                                "comment": "Cần bổ sung"}  # fmt: skip
        return anon.post(f"{API}/2025/items/3.5/review", json=body, headers=who[person]).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(decide, [("dp", "accept", "2"), ("dp2", "return", None)]))
    assert codes == [200, 409]
    item = anon.get(f"{API}/2025/items/3.5", headers=who["dp"]).json()
    assert item["version"] == version + 1  # one decision, not two half-applied


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"points": "abc"}, "points"),
        ({"points": "1e309"}, "points"),
        ({"points": "-1"}, "points"),
        ({"points": "2", "note": "x" * 5000}, "note"),
        ({"points": "2", "reason": "a\x00b"}, "reason"),
        ({"points": "2", "version": 2**40}, "version"),
    ],
)
def test_malformed_proposals_are_422_with_the_field(
    anon: TestClient, round_open: dict, body: dict, field: str
) -> None:
    r = anon.put(f"{API}/2025/items/3.5/proposal", json=body, headers=round_open["who"]["ttpv"])
    assert r.status_code == 422, r.text
    assert any(field in e["field"] for e in r.json()["detail"]["errors"])


@pytest.mark.parametrize(
    "path",
    ["/99999", "/2025/items/3.5%00", "/2025/items/" + "9" * 40, "/-1/items", "/2025/items/3.5.x"],
)
def test_odd_paths_are_4xx_not_500(anon: TestClient, round_open: dict, path: str) -> None:
    r = anon.get(f"{API}{path}", headers=round_open["who"]["dp"])
    assert 400 <= r.status_code < 500, r.text


def test_an_all_bad_appraisal_file_writes_nothing(anon: TestClient, round_open: dict) -> None:
    rows = "\n".join(f"9.{n};{n},5;x" for n in range(1, 2001))
    body = ("Mã tiêu chí;Điểm thẩm định;Ý kiến thẩm định\n" + rows).encode("utf-8")
    r = anon.post(
        f"{API}/2025/appraisal/import",
        content=body,
        headers={**round_open["who"]["dp"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 422
    assert r.json()["rejected"] == 2000 and r.json()["errors_total"] >= 2000
    assert len(r.json()["errors"]) < 2000  # the answer stays small; the rest is the CSV report
    summary = anon.get(f"{API}/2025", headers=round_open["who"]["dp"]).json()
    assert summary["status"] == "open" and summary["appraised"] == 0
    too_many = [{"criterion": "3.5", "points": 1}] * 2001
    r = anon.put(f"{API}/2025/appraisal", json=too_many, headers=round_open["who"]["dp"])
    assert r.status_code == 422


def test_a_renamed_program_is_not_evidence(anon: TestClient, round_open: dict) -> None:
    exe = b"MZ\x90\x00" + b"\x00" * 200
    r = anon.post(
        f"{API}/2025/items/3.5/evidence",
        files={"file": ("bao-cao.pdf", io.BytesIO(exe), "application/pdf")},
        headers=round_open["who"]["ttpv"],
    )
    assert r.status_code == 422
    assert "không phải" in r.json()["detail"]["message"]
    item = anon.get(f"{API}/2025/items/3.5", headers=round_open["who"]["dp"]).json()
    assert item["evidence"] == []
