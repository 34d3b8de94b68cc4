"""The city ranking for a period nobody could mean (``abc``, ``2025-13``) is the asker's 422 in
Vietnamese, on the JSON route, its CSV and Excel twins and the page — not a 200 whose every row
says the period is wrong."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.clock import FixedClock
from tests.wards.conftest import API, _bearer, _browser

RANKING = f"{API}/city/ranking"


@pytest.mark.parametrize("period", ["abc", "2025-13", "2025-1"])
def test_a_period_nobody_could_mean_is_a_422_on_every_twin(
    application: FastAPI, clean_db: Engine, clock: FixedClock, city: Session, period: str
) -> None:
    with _bearer(application, clean_db, clock, "so.noi.vu", "city_viewer") as viewer:
        for url in (RANKING, f"{RANKING}.csv", f"{RANKING}.xlsx"):
            refused = viewer.get(url, params={"period": period})
            assert refused.status_code == 422, (url, refused.text[:300])
            detail = refused.json()["detail"]
            assert detail["errors"][0]["field"].endswith("period")
            assert f'Kỳ báo cáo "{period}" không hợp lệ' in detail["errors"][0]["message"]
        fine = viewer.get(RANKING, params={"period": "2025-q4"})
        assert fine.status_code == 200 and fine.json()["period"] == "2025-Q4"
        assert viewer.get(RANKING, params={"period": ""}).status_code == 200
    with _browser(application, "so.noi.vu") as browser:
        page = browser.get("/thanh-pho", params={"period": period})
        assert page.status_code == 422
        assert 'id="city-period-err"' in page.text and 'aria-invalid="true"' in page.text
        assert "Kỳ báo cáo" in page.text and "không hợp lệ" in page.text
        fragment = browser.get(
            "/thanh-pho", params={"period": period}, headers={"HX-Request": "true"}
        )
        assert fragment.status_code == 422 and 'id="city-period-err"' in fragment.text
        assert browser.get("/thanh-pho", params={"period": ""}).status_code == 200
