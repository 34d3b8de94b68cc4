"""Three wards on one database: no route lets one ward's people see or change another's data.

The wards run the same plan template, so they share every code (each has its "vhxh" and its
task II.1.1.1). Wards B and C carry a marker in every name, title and note; ward A's accounts
then call every GET route of the app (API and pages, read from the route table, so a new route is
covered without anyone remembering to), with path parameters filled from B's own rows, and the
markers must never appear. Writes by code land in A; by B's ids they find nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app.clock import FixedClock
from app.kpis.models import Reading
from app.units.models import Unit
from app.wards.models import Ward
from tests.wards.conftest import API, MARKS, _bearer, _browser


@pytest.fixture
def ward_b_rows(city: Session, application: FastAPI, clean_db: Engine, clock: FixedClock) -> dict:
    """B's own reading, progress note and token, written through the API by B's own admin."""
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        reading = b_admin.put(
            f"{API}/readings",
            json={"indicator": "online_dossier", "unit": "vhxh", "period": "2025-10",
                  "value": 81.5},
        )  # fmt: skip
        assert reading.status_code in (200, 201), reading.text
        note = b_admin.put(
            f"{API}/progress",
            json={"assignment": "II.1.1.1", "unit": "vhxh", "period": "2025-10",
                  "status": "in_progress", "percent_complete": 50,
                  "result": f"Kết quả {MARKS['binh-dong']}"},
        )  # fmt: skip
        assert note.status_code in (200, 201), note.text
    b_ward = city.exec(select(Ward).where(Ward.code == "binh-dong")).one()
    reading_id = city.exec(
        select(Reading.id).join(Unit, Unit.id == Reading.unit_id).where(Unit.ward_id == b_ward.id)
    ).one()
    return {"reading_id": str(reading_id), "username": "vhxh.binh-dong"}


def _fill(path: str, b: dict[str, str]) -> str:
    """A GET path with its parameters: codes every ward has, and B's own ids and names."""
    by_prefix = [
        ("/units/{code}", "vhxh"),
        ("/plans/{code}", "kh-84-2025"),
        ("/assignments/{code}", "II.1.1.1"),
        ("/tasks/{code}", "II.1.1.1"),
        ("/indicators/{code}", "online_dossier"),
        ("/targets/{code}", "online_dossier"),
        ("/scores/units/{code}", "vhxh"),
    ]
    for fragment, value in by_prefix:
        if fragment in path:
            path = path.replace(fragment, fragment.replace("{code}", value))
    values = {
        "unit": "vhxh",
        "period": "2025-10",
        "username": b["username"],
        "reading_id": b["reading_id"],
        "code": "x",
        "kind": "readings",
        "dataset": "readings",
        "fmt": "csv",
        "version": "1",
        "key": "x",
        "token": "x",
        "name": "x",
    }
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: values.get(m.group(1), "x"), path)


def _get_routes(application: FastAPI) -> Iterator[str]:
    def flat(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from route.effective_route_contexts()
            else:
                yield route

    skip = ("/static", "/docs", "/openapi.json", "/healthz", "/readyz", "/logout", "/login")
    for route in flat(application.routes):
        methods = getattr(route, "methods", None) or set()
        if "GET" in methods and not route.path.startswith(skip):
            yield route.path


def _assert_no_other_ward(response: Any, path: str) -> None:
    assert response.status_code < 500, f"{path}: {response.status_code} {response.text[:300]}"
    body = response.content.decode("utf-8", errors="replace")
    for ward, mark in MARKS.items():
        assert mark not in body, f"{path} shows ward {ward}'s data"


def test_no_get_route_shows_another_wards_data(
    application: FastAPI, clean_db: Engine, clock: FixedClock, ward_b_rows: dict
) -> None:
    paths = sorted(set(_get_routes(application)))
    assert len(paths) > 100, len(paths)
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a_admin:
        api_paths = [p for p in paths if p.startswith(API)]
        for path in api_paths:
            url = _fill(path, ward_b_rows)
            _assert_no_other_ward(a_admin.get(url), url)
        # B's own rows by id and name are not found, not refused with a hint that they exist
        assert a_admin.get(f"{API}/readings/{ward_b_rows['reading_id']}/records").status_code == 404
        assert a_admin.get(f"{API}/users/{ward_b_rows['username']}").status_code == 404
        # and A's own data is there: the filter is not simply hiding everything
        units = a_admin.get(f"{API}/units").json()["items"]
        assert {u["code"] for u in units} >= {"vhxh", "phu-dinh"}
        assert all("ZZ" not in u["name"] for u in units)
    with _browser(application, "admin.phu-dinh") as browser:
        for path in [p for p in paths if not p.startswith(API)]:
            url = _fill(path, ward_b_rows)
            _assert_no_other_ward(browser.get(url, follow_redirects=False), url)


def test_a_ward_account_asking_for_another_ward_is_refused(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a_admin:
        response = a_admin.get(f"{API}/units", params={"ward": "binh-dong"})
    assert response.status_code == 403
    assert response.json()["detail"]["code"] == "other_ward"
    assert "binh-dong" in response.json()["detail"]["message"]


def test_a_write_by_code_lands_in_the_own_ward_and_by_another_wards_id_finds_nothing(
    application: FastAPI, clean_db: Engine, clock: FixedClock, ward_b_rows: dict, city: Session
) -> None:
    def value_in(ward: str) -> list[float]:
        return list(
            city.exec(
                select(Reading.value)
                .join(Unit, Unit.id == Reading.unit_id)
                .join(Ward, Ward.id == Unit.ward_id)
                .where(Ward.code == ward)
            )
        )

    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as a_admin:
        written = a_admin.put(
            f"{API}/readings",
            json={"indicator": "online_dossier", "unit": "vhxh", "period": "2025-10",
                  "value": 64},
        )  # fmt: skip
        assert written.status_code in (200, 201), written.text
        gone = a_admin.delete(f"{API}/readings/{ward_b_rows['reading_id']}")
    assert gone.status_code == 404
    city.expire_all()
    assert value_in("phu-dinh") == [64]
    assert value_in("binh-dong") == [81.5]  # neither overwritten nor deleted
    assert value_in("chanh-hung") == []


def test_a_city_viewer_opens_any_ward_read_only_and_sees_none_before_choosing(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as viewer:
        nothing = viewer.get(f"{API}/units")
        assert nothing.status_code == 200 and nothing.json()["items"] == []
        asks = viewer.get(f"{API}/scores")
        assert asks.status_code == 422
        assert asks.json()["detail"]["errors"][0]["code"] == "ward_required"
        b_units = viewer.get(f"{API}/units", params={"ward": "binh-dong"}).json()["items"]
        assert b_units and all(MARKS["binh-dong"] in u["name"] for u in b_units)
        refused = viewer.put(
            f"{API}/readings",
            params={"ward": "binh-dong"},
            json={"indicator": "online_dossier", "unit": "vhxh", "period": "2025-10",
                  "value": 1},
        )  # fmt: skip
        assert refused.status_code == 403
        unknown = viewer.get(f"{API}/units", params={"ward": "khong-co"})
        assert unknown.status_code == 404


def test_the_same_codes_live_side_by_side_in_each_ward(city: Session) -> None:
    """Unit and plan codes are unique per ward: three wards, three "vhxh", three Plan 84s."""
    rows = city.exec(select(Unit.ward_id).where(Unit.code == "vhxh")).all()
    assert len(set(rows)) == 3


def test_what_every_ward_shares_is_changed_only_by_the_city(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session
) -> None:
    """Scoring rules, TTHC domains, mapping profiles: one ward's admin would change them for all."""
    domain = {"code": "tu-phap", "name": "Tư pháp"}
    with _bearer(application, clean_db, clock, "admin.phu-dinh", "admin") as ward_admin:
        refused = ward_admin.post(f"{API}/domains", json=domain)
        assert refused.status_code == 403
        assert refused.json()["detail"]["code"] == "shared_setting"
        assert ward_admin.delete(f"{API}/scores/config").status_code == 403
    with _bearer(application, clean_db, clock, "thanh.pho", "city_admin") as city_admin:
        assert city_admin.post(f"{API}/domains", json=domain).status_code == 201
