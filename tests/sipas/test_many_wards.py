"""The survey in a city of wards: an answer counts for the centre of the ward it came from, and an
answer that cannot say its ward is refused rather than given to some ward."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.seed import service as seed_service
from app.sipas.models import Response
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
