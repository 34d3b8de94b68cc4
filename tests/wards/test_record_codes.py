"""Record codes are unique per ward: each ward's TTHC system numbers its own dossiers and feedback,
and two wards' kiosks may hold the same code. The same code sent by two wards is two records."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import tenancy
from app.actors import Actor
from app.clock import FixedClock
from app.dossiers.models import Dossier, Feedback
from app.sipas import codes, kiosks
from app.sipas.models import Kiosk, SurveyCode
from app.sipas.survey_screen_pages import KIOSK_COOKIE
from app.units.models import Unit
from app.wards.models import Ward
from tests.conftest import TEST_SECRET
from tests.uploads.conftest import send_csv
from tests.wards.conftest import API, _bearer

DOSSIER_HEAD = (
    "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at\n"
)
FEEDBACK_HEAD = "code,unit,channel,kind,received_at,due_at,resolved_at,satisfied\n"


def _ward_id(session: Session, code: str) -> int:
    ward_id = session.exec(select(Ward.id).where(Ward.code == code)).one()
    assert ward_id is not None
    return ward_id


def _rows(session: Session, model: type[Dossier] | type[Feedback], code: str) -> dict[str, int]:
    """Each ward's record with that code: ward code → the record's unit's ward (must agree)."""
    session.expire_all()
    found = session.exec(
        select(Ward.code, Unit.ward_id, model.ward_id)  # type: ignore[call-overload]
        .join(Unit, col(Unit.id) == model.unit_id)
        .join(Ward, col(Ward.id) == model.ward_id)
        .where(model.code == code)
    ).all()
    assert all(unit_ward == row_ward for _, unit_ward, row_ward in found)
    return {ward: row_ward for ward, _, row_ward in found}


def test_two_wards_send_the_same_dossier_code_and_each_keeps_its_own(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    first = DOSSIER_HEAD + "H29-0001,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,"
    with (
        _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a_admin,
        _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin,
    ):
        a = send_csv(a_admin, f"{API}/dossiers/bulk", first + "2025-10-01,2025-10-03,\n")
        assert a.status_code == 200 and a.json()["created"] == 1, a.text
        b = send_csv(b_admin, f"{API}/dossiers/bulk", first + "2025-10-02,2025-10-04,2025-10-03\n")
        assert b.status_code == 200 and b.json()["created"] == 1, b.text
        assert set(_rows(city, Dossier, "H29-0001")) == {"phu-dinh", "binh-dong"}
        # A's update by code changes A's record, never B's
        again = send_csv(
            a_admin, f"{API}/dossiers/bulk", first + "2025-10-01,2025-10-03,2025-10-02\n"
        )
        assert again.status_code == 200 and again.json()["updated"] == 1, again.text
        a_items = a_admin.get(f"{API}/dossiers").json()["items"]
        b_items = b_admin.get(f"{API}/dossiers").json()["items"]
    assert [(d["code"], d["received_at"][:10]) for d in a_items] == [("H29-0001", "2025-09-30")]
    assert [(d["code"], d["received_at"][:10]) for d in b_items] == [("H29-0001", "2025-10-01")]
    city.expire_all()
    versions = {
        row.ward_id: row.version
        for row in city.exec(select(Dossier).execution_options(all_wards=True))
    }
    assert versions == {_ward_id(city, "phu-dinh"): 2, _ward_id(city, "binh-dong"): 1}


def test_two_wards_send_the_same_feedback_code_and_each_keeps_its_own(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    row = FEEDBACK_HEAD + "PA-7,vp,1022,complaint,2025-10-05,2025-10-10,2025-10-08,true\n"
    for username in ("admin.phu-dinh", "admin.binh-dong"):
        with _bearer(application, clean_db, clock, username, "admin") as admin:
            sent = send_csv(admin, f"{API}/feedback/bulk", row)
            assert sent.status_code == 200 and sent.json()["created"] == 1, sent.text
    assert set(_rows(city, Feedback, "PA-7")) == {"phu-dinh", "binh-dong"}


def _enrol(session: Session, clock: FixedClock, ward: str, name: str) -> Kiosk:
    ward_id = _ward_id(session, ward)
    tenancy.enter(session, tenancy.Scope(ward_id=ward_id))
    try:
        actor = Actor(username=f"admin.{ward}", role="admin", ward_id=ward_id, ward_code=ward)
        kiosk = kiosks.enrol_kiosk(
            db_session=session, actor=actor, clock=clock, name=name, centre="ttpvhcc"
        )
        assert kiosk.ward_id == ward_id
        return kiosk
    finally:
        tenancy.leave(session)


def _kiosk_page(application: FastAPI, key: str) -> str:
    with TestClient(application) as device:
        cookie = kiosks.kiosk_serializer(TEST_SECRET).dumps(key)
        device.cookies.set(KIOSK_COOKIE, cookie, path="/khao-sat")
        page = device.get("/khao-sat/kiosk")
        return page.text if page.status_code == 200 else f"{page.status_code}"


def test_two_wards_kiosks_may_hold_the_same_code_and_each_opens_its_own_ward(
    application: FastAPI, clock: FixedClock, city: Session
) -> None:
    a = _enrol(city, clock, "phu-dinh", "Quầy 1")
    b = _enrol(city, clock, "binh-dong", "Quầy 1")
    city.execute(update(Kiosk).where(col(Kiosk.id) == b.id).values(code=a.code))
    city.commit()
    city.expire_all()
    shared = city.exec(select(Kiosk).where(Kiosk.code == a.code)).all()
    assert {k.ward_id for k in shared} == {_ward_id(city, "phu-dinh"), _ward_id(city, "binh-dong")}
    assert '<span class="ward">UBND phường Phú Định</span>' in _kiosk_page(application, a.key)
    b_page = _kiosk_page(application, b.key)
    assert '<span class="ward">UBND phường Bình Đông</span>' in b_page
    assert "giúp phường Bình Đông phục vụ" in b_page and "Phú Định" not in b_page
    # a bare code two wards share is not guessed between
    assert kiosks.active_kiosk(db_session=city, code=a.code) is None
    assert _kiosk_page(application, a.code) == "403"


def _issue(client: TestClient, dossier_code: str) -> Any:
    return client.post(
        f"{API}/sipas/codes",
        json={"dossiers": [{"dossier_code": dossier_code, "unit": "ttpvhcc", "domain": "ho-tich"}]},
    )


def _code_ward(session: Session, code: str) -> str:
    """The ward a survey code counts for, as the public survey resolves it (no ward)."""
    details = codes.check_code(
        db_session=session, signing_key=TEST_SECRET, text=code, today=date(2025, 11, 20)
    )
    unit = session.get(Unit, details.unit_id)
    assert unit is not None
    ward = session.get(Ward, unit.ward_id)
    assert ward is not None
    return ward.code


def test_two_wards_get_survey_codes_for_the_same_dossier_number_each_for_itself(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    issued: dict[str, str] = {}
    for ward in ("phu-dinh", "binh-dong"):
        with _bearer(application, clean_db, clock, f"admin.{ward}", "admin") as admin:
            first = _issue(admin, "H29-0001")
            assert first.status_code == 201, first.text
            item = first.json()["items"][0]
            assert item["created"] is True
            again = _issue(admin, "H29-0001").json()["items"][0]  # same dossier, same code
            assert (again["code"], again["created"]) == (item["code"], False)
            issued[ward] = item["code"]
    assert issued["phu-dinh"] != issued["binh-dong"]
    city.expire_all()
    assert {w: _code_ward(city, c) for w, c in issued.items()} == {w: w for w in issued}


def test_a_code_issued_before_codes_named_their_ward_is_still_the_dossiers_code(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    """A database from before: the code was derived from the dossier number alone."""
    old = codes.code_for_dossier(TEST_SECRET, "H29-0002")
    ward = _ward_id(city, "phu-dinh")
    unit = city.exec(select(Unit).where(Unit.code == "ttpvhcc", Unit.ward_id == ward)).one()
    city.add(
        SurveyCode(
            code_hash=codes.code_hash(TEST_SECRET, old),
            unit_id=unit.id,
            expires_on=date(2026, 1, 1),
        )
    )
    city.commit()
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a_admin:
        a_item = _issue(a_admin, "H29-0002").json()["items"][0]
    assert (codes.normalise(a_item["code"]), a_item["created"]) == (old, False)
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        b_item = _issue(b_admin, "H29-0002").json()["items"][0]  # A's old code is not B's
    assert b_item["created"] is True and codes.normalise(b_item["code"]) != old
    assert _code_ward(city, b_item["code"]) == "binh-dong"


def test_a_dossier_whose_old_code_was_spent_gets_no_second_code(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    """Spending erases the code row's unit; the old code is still the dossier's, and spent."""
    old = codes.code_for_dossier(TEST_SECRET, "H29-0003")
    city.add(
        SurveyCode(
            code_hash=codes.code_hash(TEST_SECRET, old), expires_on=date(2026, 1, 1), spent=True
        )
    )
    city.commit()
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a_admin:
        item = _issue(a_admin, "H29-0003").json()["items"][0]
    assert (codes.normalise(item["code"]), item["created"], item["spent"]) == (old, False, True)
