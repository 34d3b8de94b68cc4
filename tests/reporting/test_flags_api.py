"""The flags and the validation rules through the JSON API: the same rules as the pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.conftest import make_token

API = "/api/v1"


@pytest.fixture
def people(anon: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock) -> dict:
    tokens = {
        "reporter": make_token(
            clean_db, clock, username="bc.ttpv", role="reporter", unit="ttpvhcc"
        ),
        "other": make_token(clean_db, clock, username="bc.vp", role="reporter", unit="vp"),
        "coordinator": make_token(
            clean_db, clock, username="dp.vhxh", role="coordinator", unit="vhxh"
        ),
        "admin": make_token(clean_db, clock, username="qt", role="admin"),
    }
    return {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


def reading(anon: TestClient, who: dict, indicator: str, **numbers: object) -> None:
    body = {"indicator": indicator, "unit": "ttpvhcc", "period": "2025-10", **numbers}
    resp = anon.put(f"{API}/readings", headers=who, json=body)
    assert resp.status_code in (200, 201), resp.text


def test_flags_of_a_report_and_the_approval_that_needs_a_comment(
    anon: TestClient, people: dict
) -> None:
    reading(
        anon, people["reporter"], "digitized_components", numerator="1.200", denominator="1.500"
    )
    reading(anon, people["reporter"], "reuse_digitized", numerator="1.300", denominator="1.500")
    flags = anon.get(f"{API}/units/ttpvhcc/periods/2025-10/flags", headers=people["reporter"])
    assert flags.status_code == 200, flags.text
    body = flags.json()
    assert body["count"] == 1 and body["blocking"] == 0
    [flag] = body["items"]
    assert flag["kind"] == "rule" and flag["rule"] == "khai-thac-khong-vuot-so-hoa"
    assert flag["subject"] == "Tỷ lệ khai thác, sử dụng lại thông tin số hóa"
    assert "là 1.300" in flag["detail"] and "là 1.200" in flag["detail"]
    other = anon.get(f"{API}/units/ttpvhcc/periods/2025-10/flags", headers=people["other"])
    assert other.status_code == 403

    sent = anon.post(f"{API}/submissions/ttpvhcc/2025-10/submit", headers=people["reporter"])
    assert sent.status_code == 200, sent.text
    queue = anon.get(
        f"{API}/submissions", headers=people["coordinator"], params={"status": "submitted"}
    ).json()
    assert [(i["unit"], i["flag_count"]) for i in queue["items"]] == [("ttpvhcc", 1)]

    url = f"{API}/submissions/ttpvhcc/2025-10/approve"
    silent = anon.post(url, headers=people["coordinator"], json={})
    assert silent.status_code == 422
    detail = silent.json()["detail"]
    assert detail["errors"] == [
        {
            "field": "comment",
            "code": "flags_need_comment",
            "message": "Báo cáo còn 1 cảnh báo; hãy ghi nhận xét khi duyệt.",
        }
    ]
    ok = anon.post(url, headers=people["coordinator"], json={"comment": "Đã xác minh với đơn vị."})
    assert ok.status_code == 200 and ok.json()["review_comment"] == "Đã xác minh với đơn vị."


def test_a_blocking_rule_refuses_submit_with_each_rules_message(
    anon: TestClient, people: dict
) -> None:
    reading(anon, people["reporter"], "tthc_ontime", domain="ho-tich", numerator=9, denominator=10)
    reading(anon, people["reporter"], "electronic_results", numerator=12, denominator=12)
    refused = anon.post(f"{API}/submissions/ttpvhcc/2025-10/submit", headers=people["reporter"])
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert detail["code"] == "blocked_by_rules"
    assert detail["message"].startswith("Chưa gửi được báo cáo: số liệu vi phạm 1 quy tắc")
    assert [e["code"] for e in detail["errors"]] == ["ket-qua-dien-tu-khong-vuot-da-giai-quyet"]
    flags = anon.get(f"{API}/units/ttpvhcc/periods/2025-10/flags", headers=people["reporter"])
    assert flags.json()["blocking"] == 1


RULE = {
    "code": "dung-han-toi-da-100",
    "message": "Tỷ lệ đúng hạn không thể vượt 100%.",
    "severity": "flag",
    "left_indicator": "tthc_ontime",
    "left_domain": "ho-tich",
    "operator": "<=",
    "right_constant": 100,
}


def test_rule_crud(anon: TestClient, people: dict) -> None:
    url = f"{API}/validation-rules"
    assert anon.post(url, headers=people["reporter"], json=RULE).status_code == 403
    created = anon.post(url, headers=people["coordinator"], json=RULE)
    assert created.status_code == 201, created.text
    assert created.json()["text"] == (
        "giá trị của “Tỷ lệ hồ sơ TTHC giải quyết đúng hạn – Hộ tịch” ≤ 100"
    )
    assert anon.post(url, headers=people["admin"], json=RULE).status_code == 409
    listed = anon.get(url, headers=people["reporter"]).json()
    assert "dung-han-toi-da-100" in [r["code"] for r in listed]

    one = f"{url}/dung-han-toi-da-100"
    body = {k: v for k, v in RULE.items() if k != "code"} | {"severity": "block", "version": 1}
    changed = anon.put(one, headers=people["admin"], json=body)
    assert changed.status_code == 200 and changed.json()["severity"] == "block"
    stale = anon.put(one, headers=people["admin"], json=body)
    assert stale.status_code == 409 and stale.json()["detail"]["code"] == "stale_version"
    off = anon.post(f"{one}/active", headers=people["admin"], json={"active": False, "version": 2})
    assert off.status_code == 200 and off.json()["active"] is False
    active = anon.get(url, headers=people["admin"], params={"active": "true"}).json()
    assert "dung-han-toi-da-100" not in [r["code"] for r in active]
    assert anon.get(f"{url}/khong-co", headers=people["admin"]).status_code == 404


def test_a_bad_rule_is_a_vietnamese_422_naming_the_field(anon: TestClient, people: dict) -> None:
    url = f"{API}/validation-rules"
    unknown = anon.post(
        url, headers=people["admin"], json=RULE | {"left_indicator": "khong_co"}
    ).json()["detail"]
    assert unknown["errors"][0]["field"] == "left_indicator"
    assert unknown["errors"][0]["message"] == "Không có chỉ tiêu mã “khong_co”."
    no_operator = anon.post(
        url, headers=people["admin"], json={k: v for k, v in RULE.items() if k != "operator"}
    ).json()["detail"]
    assert no_operator["errors"][0] == {
        "field": "operator",
        "code": "invalid_rule",
        "message": "Hãy chọn phép so sánh.",
    }
    bad_severity = anon.post(url, headers=people["admin"], json=RULE | {"severity": "nang"})
    assert bad_severity.status_code == 422
    assert bad_severity.json()["detail"]["errors"][0]["field"] == "severity"
