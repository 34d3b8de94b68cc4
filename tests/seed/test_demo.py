"""`partrack demo`: a city of wards with their own accounts and reports, and only into an empty
database."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.clock import FixedClock
from app.errors import Conflict
from app.kpis.models import Reading
from app.seed import demo
from app.units.models import Unit
from app.wards.models import Ward


def test_a_demo_city_of_three_wards_each_with_its_own_plan_people_and_reports(
    db_session: Session, clock: FixedClock, application: FastAPI
) -> None:
    report = demo.build_city(db_session=db_session, clock=clock, wards=3, password="demo-2025!")
    assert report.wards == 3
    codes = [w.code for w in db_session.exec(select(Ward).order_by(Ward.id))]
    assert codes == ["phu-dinh", "binh-dong", "chanh-hung"]
    assert len(set(db_session.exec(select(Unit.ward_id).where(Unit.code == "vhxh")))) == 3
    assert (
        report.rows["readings"] == db_session.exec(select(func.count()).select_from(Reading)).one()
    )
    assert report.rows["readings"] > 0 and report.rows["progress"] > 0
    with TestClient(application) as browser:
        page = browser.get("/login")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        done = browser.post(
            "/login",
            data={"username": "binh-dong.vhxh", "password": "demo-2025!", "csrf_token": token,
                  "next": "/scores"},
            follow_redirects=True,
        )  # fmt: skip
        assert done.status_code == 200
        assert "Phường Bình Đông" in done.text
    with pytest.raises(Conflict):
        demo.build_city(db_session=db_session, clock=clock, wards=1, password="demo-2025!")


def test_ward_names_past_the_list_are_numbered() -> None:
    assert demo.ward_name(1) == ("phu-dinh", "Phường Phú Định")
    assert demo.ward_name(13) == ("cau-ong-lanh", "Phường Cầu Ông Lãnh")
    assert demo.ward_name(168) == ("phuong-168", "Phường số 168")
