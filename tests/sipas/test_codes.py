"""One-time codes: issued by the service centre, spent once, and nothing joins an answer back."""

from __future__ import annotations

import base64
import json

import segno
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.sipas import codes
from app.sipas.models import Response, SurveyCode
from tests.sipas.conftest import bearer, hidden_fields

DOSSIER = {
    "dossier_code": "H29.99-251120-0042",
    "unit": "ttpvhcc",
    "domain": "ho-tich",
    "procedure_code": "1.001193",
    "procedure_name": "Đăng ký khai sinh",
    "channel": "counter",
    "month": "2025-11",
}


def _issue(client: TestClient, *dossiers: dict, qr: str = "none"):
    return client.post("/api/v1/sipas/codes", params={"qr": qr}, json={"dossiers": list(dossiers)})


def _answer(client: TestClient, code: str, **answers: str):
    page = client.get("/khao-sat", params={"ma": code})
    assert page.status_code == 200, page.text
    data = hidden_fields(page.text) | answers | {"go": "send"}
    return client.post("/khao-sat", data=data, follow_redirects=False)


def test_codes_are_one_per_dossier_and_come_with_a_qr_code(admin_api: TestClient) -> None:
    first = _issue(admin_api, DOSSIER, qr="svg")
    assert first.status_code == 201, first.text
    item = first.json()["items"][0]
    assert item["created"] is True and not item["spent"]
    assert item["url"] == f"http://testserver/khao-sat?ma={codes.normalise(item['code'])}"
    assert item["qr_svg"].startswith("<svg") and "style=" not in item["qr_svg"]
    assert item["qr_svg"] == segno.make(item["url"], error="m").svg_inline(
        scale=4, title="Mã QR khảo sát"
    )
    assert item["expires_on"] == "2026-01-19"  # 60 days
    again = _issue(admin_api, DOSSIER, {**DOSSIER, "dossier_code": "H29.99-251120-0043"}, qr="png")
    items = again.json()["items"]
    assert items[0]["code"] == item["code"] and items[0]["created"] is False
    assert items[1]["code"] != item["code"] and items[1]["created"] is True
    assert base64.b64decode(items[1]["qr_png_base64"]).startswith(b"\x89PNG")


def test_issuing_needs_the_service_centre_or_an_admin(
    small_app: FastAPI, clean_db: Engine, clock: FixedClock
) -> None:
    with bearer(
        small_app, clean_db, clock, username="vhxh.dp", role="coordinator", unit="vhxh"
    ) as coordinator:
        refused = _issue(coordinator, DOSSIER)
    assert refused.status_code == 403
    assert "Trung tâm Phục vụ hành chính công" in refused.json()["detail"]["message"]
    with bearer(
        small_app, clean_db, clock, username="tt.bc", role="reporter", unit="ttpvhcc"
    ) as centre:
        assert _issue(centre, DOSSIER).status_code == 201


def test_bad_dossier_details_are_named_in_vietnamese(admin_api: TestClient) -> None:
    resp = _issue(admin_api, {**DOSSIER, "domain": "khong-co"}, {**DOSSIER, "month": "2025-12"})
    assert resp.status_code == 422
    fields = {e["field"]: e["message"] for e in resp.json()["detail"]["errors"]}
    assert "lĩnh vực" in fields["dossiers.0"]
    assert fields["dossiers.1.month"] == "Tháng 2025-12 chưa tới."


def test_a_spent_code_is_refused_with_a_clear_message(
    admin_api: TestClient, public: TestClient, clean_db: Engine
) -> None:
    code = _issue(admin_api, DOSSIER).json()["items"][0]["code"]
    other_tab = public.get("/khao-sat", params={"ma": code}).text  # opened before sending
    sent = _answer(public, code, **{"r-tc1": "5", "r-cc1": "4"})
    assert sent.status_code == 303
    again = public.get("/khao-sat", params={"ma": code.lower().replace("-", " ")})
    assert again.status_code == 422
    assert "Mã khảo sát này đã được dùng để gửi phiếu. Mỗi hồ sơ chỉ khảo sát một lần" in again.text
    assert "Làm phiếu không cần mã" not in again.text  # no second, code-less answer offered
    data = hidden_fields(other_tab) | {"go": "send", "r-tc1": "1"}
    late = public.post("/khao-sat", data=data, follow_redirects=False)
    assert late.status_code == 422 and "đã được dùng" in late.text
    with Session(clean_db) as session:
        assert len(session.exec(select(Response)).all()) == 1
    assert _issue(admin_api, DOSSIER).json()["items"][0]["spent"] is True


def test_unknown_and_malformed_codes(public: TestClient) -> None:
    unknown = public.get("/khao-sat", params={"ma": "ABCD-EFGH-JK"})
    assert unknown.status_code == 422 and "Không tìm thấy mã khảo sát này" in unknown.text
    short = public.get("/khao-sat", params={"ma": "123"})
    assert "gồm 10 chữ và số" in short.text


def test_no_stored_answer_can_be_joined_to_a_dossier_or_person(
    admin_api: TestClient, public: TestClient, clean_db: Engine
) -> None:
    code = _issue(admin_api, DOSSIER).json()["items"][0]["code"]
    _answer(public, code, **{"r-tc1": "5", "e-mm2": "3", "comment": "Nhanh gọn."})
    with Session(clean_db) as session:
        answer = session.exec(select(Response)).one()
        code_row = session.exec(select(SurveyCode)).one()
    # The answer keeps what the index needs: unit, domain, procedure, month, channel.
    assert (answer.month, answer.procedure_name, answer.channel, answer.source) == (
        "2025-11",
        "Đăng ký khai sinh",
        "counter",
        "code",
    )
    # …and nothing that names the code, the dossier, a person, a device or a moment.
    columns = {c["name"] for c in inspect(clean_db).get_columns("sipas_response")}
    assert columns == {
        "id",
        "questionnaire_id",
        "month",
        "period_start",
        "unit_id",
        "domain_id",
        "procedure_code",
        "procedure_name",
        "channel",
        "source",
        "comment",
        "comment_hidden",
    }
    foreign = {fk["referred_table"] for fk in inspect(clean_db).get_foreign_keys("sipas_response")}
    assert foreign == {"sipas_questionnaire", "unit", "domain"}
    assert len(answer.id) == 32 and not answer.id.isdigit()  # random, not a sequence
    # The spent code keeps only its keyed hash: its dossier details were erased on use.
    assert code_row.spent and code_row.unit_id is None and code_row.procedure_name == ""
    assert code_row.month == "" and code_row.channel is None
    assert codes.normalise(code) not in code_row.code_hash
    # No table and no audit row holds the dossier code or the survey code in clear.
    needles = [DOSSIER["dossier_code"], codes.normalise(code), code]
    with clean_db.connect() as conn:
        for table in [t for t in inspect(clean_db).get_table_names() if t.startswith("sipas_")]:
            dump = json.dumps(
                [list(r) for r in conn.execute(text(f"SELECT * FROM {table}"))],
                default=str,
                ensure_ascii=False,
            )
            assert not any(n in dump for n in needles), table
    with Session(clean_db) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "sipas_code").order_by(col(AuditEvent.id))
        ).all()
        trail = json.dumps([[e.entity_key, e.after] for e in events], ensure_ascii=False)
    assert events and not any(n in trail for n in needles)
    assert events[0].after == {
        "requested": 1,
        "issued": 1,
        "units": ["ttpvhcc"],
        "expires_in_days": 60,
    }
