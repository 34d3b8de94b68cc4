"""The city view: wards ranked from their own dashboards' figures, exported, and opened."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.db import make_engine
from app.main import create_app
from app.scores import cache
from app.wards.models import Ward
from tests.wards.conftest import API, MARKS, _bearer, _browser

READING = {"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10"}


def _readings(application: FastAPI, engine: Engine, clock: FixedClock) -> None:
    """Online dossiers in October: Bình Đông 92%, Phú Định 64%, Chánh Hưng nothing."""
    for username, value in (("admin.binh-dong", 92), ("admin.phu-dinh", 64)):
        with _bearer(application, engine, clock, username, "admin") as admin:
            response = admin.put(f"{API}/readings", json={**READING, "value": value})
            assert response.status_code in (200, 201), response.text


def test_wards_ranked_by_a_target_from_their_own_dashboards(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    _readings(application, clean_db, clock)
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as viewer:
        ranked = viewer.get(
            f"{API}/city/ranking", params={"period": "2025-10", "sort": "online_dossier"}
        )
        assert ranked.status_code == 200, ranked.text
        body = ranked.json()
        order = [(w["code"], w["rank"], w["values"].get("online_dossier")) for w in body["wards"]]
        assert order == [("binh-dong", 1, 92.0), ("phu-dinh", 2, 64.0), ("chanh-hung", None, None)]
        # the same number as the ward's own dashboard shows
        own = viewer.get(f"{API}/scores", params={"ward": "binh-dong", "period": "2025-10"})
        online = next(i for i in own.json()["indicators"] if i["code"] == "online_dossier")
        assert online["value"] == 92.0
        workbook = viewer.get(
            f"{API}/city/ranking.xlsx", params={"period": "2025-10", "sort": "online_dossier"}
        )
        assert workbook.status_code == 200
        sheet = load_workbook(io.BytesIO(workbook.content), read_only=True).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][:3] == ("Hạng", "Mã phường, xã", "Phường, xã")
        assert [r[1] for r in rows[1:]] == ["binh-dong", "phu-dinh", "chanh-hung"]
        assert viewer.get(f"{API}/city/ranking", params={"sort": "khong-co"}).status_code == 422


def test_a_ward_account_cannot_see_the_city_table(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as admin:
        assert admin.get(f"{API}/city/ranking").status_code == 403
        assert admin.get(f"{API}/city/ranking.csv").status_code == 403
        wards = admin.get(f"{API}/wards").json()
        assert [w["code"] for w in wards] == ["phu-dinh"]
        created = admin.post(f"{API}/wards", json={"code": "moi", "name": "Phường Mới"})
        assert created.status_code == 403


def test_a_city_viewer_lands_on_the_city_page_and_opens_a_ward(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    with _browser(application, "so.noi.vu") as browser:
        home = browser.get("/", follow_redirects=False)
        assert home.headers["location"] == "/thanh-pho"
        page = browser.get("/thanh-pho")
        assert page.status_code == 200
        assert "Phường Bình Đông" in page.text
        assert "/chon?ward=binh-dong&amp;next=/scores" in page.text
        before = browser.get("/scores")
        assert MARKS["binh-dong"] not in before.text
        opened = browser.get("/chon", params={"ward": "binh-dong", "next": "/scores"})
        assert opened.status_code == 200 and opened.url.path == "/scores"
        assert MARKS["binh-dong"] in opened.text  # its units, by their marked names
        again = browser.get("/plan")  # the choice is remembered
        assert MARKS["binh-dong"] in again.text


def test_a_ward_with_next_years_plan_is_ranked_on_the_plan_of_the_period_asked(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    """Bình Đông has issued its 2026 plan: October 2025 is still read from Plan 84; a period no
    plan of a ward has is said on that ward's row, not a refusal of the whole table."""
    _readings(application, clean_db, clock)
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        copied = b_admin.post(
            f"{API}/plans/kh-84-2025/copy",
            json={"code": "kh-cchc-2026", "number": "12/KH-UBND", "issued_date": "2025-11-15",
                  "first_year": 2026},
        )  # fmt: skip
        assert copied.status_code == 201, copied.text
    clock.advance(timedelta(days=80))  # February 2026: Bình Đông's current plan is the new one
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as viewer:
        ranked = viewer.get(
            f"{API}/city/ranking", params={"period": "2025-10", "sort": "online_dossier"}
        )
        assert ranked.status_code == 200, ranked.text
        by_code = {w["code"]: w for w in ranked.json()["wards"]}
        assert by_code["binh-dong"]["plan"] == "kh-84-2025"
        assert by_code["binh-dong"]["values"]["online_dossier"] == 92.0
        assert by_code["phu-dinh"]["values"]["online_dossier"] == 64.0
        early = viewer.get(f"{API}/city/ranking", params={"period": "2024-01"})
        assert early.status_code == 200, early.text
        assert all(w["problem"] and w["rank"] is None for w in early.json()["wards"])


def test_the_kept_ranking_follows_writes_made_through_another_engine(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session, database_url: str
) -> None:
    """The ranking is kept whole (``city.service.kept_ranking``); a reading written through
    another engine (another worker's pool), or a ward renamed, shows at the next read."""
    cache.RESULTS.clear()
    _readings(application, clean_db, clock)
    asked = {"period": "2025-10", "sort": "online_dossier"}
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as viewer:

        def values() -> list[tuple[str, object]]:
            response = viewer.get(f"{API}/city/ranking", params=asked)
            assert response.status_code == 200, response.text
            return [
                (w["code"], w["values"].get("online_dossier")) for w in response.json()["wards"]
            ]

        before = values()
        computed = cache.RESULTS.computed
        assert values() == before and cache.RESULTS.computed == computed  # kept
        other = make_engine(database_url)
        try:
            second = create_app(application.state.settings, engine=other, clock=clock)
            with _bearer(second, clean_db, clock, "admin.chanh-hung", "admin") as admin:
                written = admin.put(f"{API}/readings", json={**READING, "value": 99})
                assert written.status_code in (200, 201), written.text
        finally:
            other.dispose()
        assert dict(values())["chanh-hung"] == 99.0 and dict(before)["chanh-hung"] is None
        with Session(clean_db) as session:
            ward = session.exec(select(Ward).where(Ward.code == "binh-dong")).one()
            ward.name = "Phường Bình Đông Mới"
            session.add(ward)
            session.commit()
        page = _browser(application, "so.noi.vu").get("/thanh-pho", params=asked)
        assert page.status_code == 200 and "Phường Bình Đông Mới" in page.text


def test_a_kept_ranking_does_not_read_the_questionnaire_form(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    """A kept ranking checks which questionnaire each ward uses by ids; reading the published
    form whole (its questions' JSON) on every request was a fifth of its cost (issue #20)."""
    from tests.conftest import statements

    _readings(application, clean_db, clock)
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as viewer:
        first = viewer.get(f"{API}/city/ranking", params={"period": "2025-10"})
        assert first.status_code == 200, first.text
        with statements(clean_db) as seen:
            again = viewer.get(f"{API}/city/ranking", params={"period": "2025-10"})
        assert again.json() == first.json()
    assert seen and not [s for s in seen if "sipas_questionnaire.content" in s], seen
