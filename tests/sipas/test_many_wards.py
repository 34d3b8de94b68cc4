"""The survey in a city of wards: an answer counts for the centre of the ward it came from, and an
answer that cannot say its ward is refused rather than given to some ward."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.seed import service as seed_service
from app.sipas.models import Response
from app.sipas.questionnaire import DEFAULT_PATH, parse_content
from app.units.models import Unit
from app.wards.models import Ward
from tests.sipas.conftest import hidden_fields


def _second_ward(session: Session, clock: FixedClock) -> None:
    data = seed_service.load_data()
    data["ward"] = {"code": "binh-dong", "name": "Phường Bình Đông"}
    seed_service.seed_plan(db_session=session, clock=clock, data=data)


def _send_open_answer(public: TestClient):
    page = public.get("/khao-sat").text
    data = hidden_fields(page) | {"domain": "ho-tich", "channel": "counter", "r-tc1": "5"}
    return public.post("/khao-sat", data={**data, "go": "send"}, follow_redirects=False)


def test_with_one_ward_an_open_answer_counts_for_its_centre(
    public: TestClient, seeded: Session, clean_db: Engine
) -> None:
    sent = _send_open_answer(public)
    assert sent.status_code == 303, sent.text
    with Session(clean_db) as session:
        response = session.exec(select(Response)).one()
        unit = session.get(Unit, response.unit_id)
        assert unit is not None and unit.code == "ttpvhcc"


def test_with_several_wards_an_answer_without_code_or_kiosk_is_refused_not_guessed(
    public: TestClient, seeded: Session, clean_db: Engine, clock: FixedClock
) -> None:
    _second_ward(seeded, clock)
    assert len(seeded.exec(select(Ward)).all()) == 2
    refused = _send_open_answer(public)
    assert refused.status_code in (200, 400), refused.text
    assert "để biết phiếu đánh giá nơi nào" in refused.text
    with Session(clean_db) as session:
        assert session.exec(select(Response)).all() == []


def test_the_survey_names_the_only_ward_and_no_ward_when_there_are_several(
    public: TestClient, seeded: Session, clock: FixedClock
) -> None:
    assert "UBND phường Phú Định" in public.get("/khao-sat").text
    _second_ward(seeded, clock)
    page = public.get("/khao-sat").text
    assert '<span class="ward">' not in page and "Bình Đông" not in page


def test_the_intro_names_the_wards_own_name_never_phu_dinh_for_another_ward(
    public: TestClient, seeded: Session, clock: FixedClock
) -> None:
    """The questionnaire is shared; its intro says ``{phuong_xa}`` and each ward's page its name."""
    assert "Ý kiến của bạn giúp phường Phú Định phục vụ tốt hơn." in public.get("/khao-sat").text
    _second_ward(seeded, clock)
    page = public.get("/khao-sat").text  # two wards, no code or kiosk: no ward is named
    assert "Ý kiến của bạn giúp chính quyền phục vụ tốt hơn." in page
    assert "Phú Định" not in page and "{phuong_xa}" not in page


def test_a_database_holding_the_old_shipped_intro_still_names_its_own_ward() -> None:
    """Version 2025.1 was stored with "phường Phú Định" written out: read as the placeholder."""
    content = parse_content(json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))
    old = content.model_copy(
        update={"intro": content.intro.replace("{phuong_xa}", "phường Phú Định")}
    )
    assert old.version == "2025.1"
    assert old.intro_for("Phường Bình Đông").startswith("Ý kiến của bạn giúp phường Bình Đông ")
    assert old.intro_for("Xã Bình Hưng").startswith("Ý kiến của bạn giúp xã Bình Hưng ")
    assert old.intro_for(None).startswith("Ý kiến của bạn giúp chính quyền ")
    newer = old.model_copy(update={"version": "2026.1"})  # a ward's own new text is left alone
    assert newer.intro_for("Phường Bình Đông") == old.intro
