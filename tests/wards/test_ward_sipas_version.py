"""Each ward's SIPAS questionnaire version is its own: its administrator (or the city's) chooses
it, another ward's administrator cannot, and each ward's survey and kiosks draw its own."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.sipas.models import WardVersion
from app.wards.models import Ward
from tests.sipas.test_ward_version import NEW, NEW_TITLE, add_versions
from tests.wards.conftest import API, _bearer, _browser, _user

SETTING = f"{API}/sipas/ward-version"


def _chosen(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(Ward.code, WardVersion.questionnaire_id).join(
                WardVersion, WardVersion.ward_id == Ward.id
            )
        ).all()
    return dict(rows)


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/phuong-xa/cai-dat").text)
    assert found is not None
    return found.group(1)


def test_a_wards_admin_cannot_change_another_wards_version(
    application: FastAPI, city: Session, clean_db: Engine, clock: FixedClock
) -> None:
    add_versions(city, clock)
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        named = b_admin.put(f"{SETTING}?ward=phu-dinh", json={"questionnaire": NEW})
        assert named.status_code == 403 and named.json()["detail"]["code"] == "other_ward"
        assert b_admin.get(f"{SETTING}?ward=phu-dinh").status_code == 403
    with _browser(application, "admin.binh-dong") as browser:
        page = browser.post(
            "/phuong-xa/cai-dat/sipas?ward=phu-dinh",
            data={"questionnaire": NEW, "csrf_token": _csrf(browser)},
            follow_redirects=False,
        )
        assert page.status_code == 403
    assert _chosen(clean_db) == {}
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        own = b_admin.put(SETTING, json={"questionnaire": NEW})
        assert own.status_code == 200 and own.json()["ward"] == "binh-dong"
    assert list(_chosen(clean_db)) == ["binh-dong"]


def test_the_city_admin_chooses_for_the_ward_it_opened(
    application: FastAPI, city: Session, clean_db: Engine, clock: FixedClock
) -> None:
    add_versions(city, clock)
    _user(city, clock, username="qt.thanh.pho", role="city_admin", ward="phu-dinh")
    with _bearer(application, clean_db, clock, "qt.thanh.pho", "city_admin") as city_admin:
        no_ward = city_admin.put(SETTING, json={"questionnaire": NEW})
        assert no_ward.status_code == 422
        done = city_admin.put(f"{SETTING}?ward=chanh-hung", json={"questionnaire": NEW})
        assert done.status_code == 200 and done.json()["version"] == NEW
        other = city_admin.get(f"{SETTING}?ward=phu-dinh").json()
        assert (other["version"], other["chosen"]) == ("2025.1", False)
    with _browser(application, "so.noi.vu") as viewer:  # the city's viewer may not choose
        refused = viewer.post(
            "/phuong-xa/cai-dat/sipas?ward=phu-dinh",
            data={"questionnaire": NEW, "csrf_token": _csrf(viewer)},
        )
        assert refused.status_code == 403
    assert list(_chosen(clean_db)) == ["chanh-hung"]


def _kiosk_page(application: FastAPI, admin: str) -> str:
    """Enrol a kiosk of the admin's ward's centre in a fresh browser; its survey's first page."""
    with _browser(application, admin) as browser:
        enrolled = browser.post(
            "/sipas/may",
            data={"name": "Quầy 1", "csrf_token": _csrf(browser)},
            follow_redirects=False,
        )
        assert enrolled.status_code == 303, enrolled.text
        return browser.get("/khao-sat/kiosk").text


def test_each_wards_kiosk_and_codes_draw_its_own_version(
    application: FastAPI, city: Session, clean_db: Engine, clock: FixedClock
) -> None:
    add_versions(city, clock)
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        assert b_admin.put(SETTING, json={"questionnaire": NEW}).status_code == 200
        issued = b_admin.post(
            f"{API}/sipas/codes", json={"dossiers": [{"dossier_code": "H29-B-1"}]}
        ).json()
    assert NEW_TITLE in _kiosk_page(application, "admin.binh-dong")
    assert NEW_TITLE not in _kiosk_page(application, "admin.chanh-hung")
    code = issued["items"][0]["code"]
    with TestClient(application) as public:
        assert NEW_TITLE not in public.get("/khao-sat").text  # several wards: the city's
        started = public.get("/khao-sat", params={"ma": code})
        assert started.status_code == 200, started.text
        assert NEW_TITLE in started.text  # the code names a unit of binh-dong
