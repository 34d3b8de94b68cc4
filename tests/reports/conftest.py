"""The report's HTML preview is a page (``/reports/consolidated/preview``), read through a logged-in
browser session; the JSON API answers files and JSON only."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.clock import FixedClock
from tests.scores.conftest import browser_for

PREVIEW = "/reports/consolidated/preview"


@pytest.fixture
def preview(
    application: FastAPI, clean_db: Engine, clock: FixedClock
) -> Iterator[Callable[..., str]]:
    """``preview(period=..., basis=...)``: the preview page's HTML, as a coordinator sees it.
    The coordinator logs in on the first call, at the test's clock, not at fixture setup."""
    browsers: list[TestClient] = []

    def get(**params: str) -> str:
        if not browsers:
            browsers.append(
                browser_for(
                    application,
                    clean_db,
                    clock,
                    username="xem.baocao",
                    role="coordinator",
                    unit="vhxh",
                )
            )
        resp = browsers[0].get(PREVIEW, params=params)
        assert resp.status_code == 200, resp.text
        return resp.text

    yield get
    for browser in browsers:
        browser.close()
