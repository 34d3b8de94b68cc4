"""A period's kept scores depend on the data of the periods that begin by its end, and on
nothing later (issue #17): a row saved for November leaves October's dashboard kept, and no
write ever leaves a kept answer that differs from the one computed afresh.

The hand-computed ward of ``conftest.py`` (clock 2025-11-20) has October's data; the writes of
``test_versions.WRITES`` touch October, November or the plan itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import data_versions
from app.clock import FixedClock
from app.kpis.models import Reading
from app.scores import cache
from tests.scores.conftest import browser_for, open_for_edit, progress, reading
from tests.scores.test_versions import WRITES, body_of, ok

URL = "/api/v1/scores"
OCTOBER, NOVEMBER = date(2025, 10, 1), date(2025, 11, 1)


def answers(client: TestClient) -> dict[str, Any]:
    """Everything of the scores a reader may have kept: both periods and the default, a unit's
    breakdown and its trend, the ward's trend."""
    got: dict[str, Any] = {}
    for period in ("2025-10", "2025-11", None):
        params = {"period": period} if period else {}
        got[f"summary {period}"] = ok(client.get(URL, params=params)).json()
        got[f"vp {period}"] = ok(client.get(f"{URL}/units/vp", params=params)).json()
    for unit in ("vp", None):
        params = {"period_to": "2025-11"} | ({"unit": unit} if unit else {})
        got[f"trend {unit}"] = ok(client.get(f"{URL}/trend", params=params)).json()
    return got


@pytest.mark.parametrize("write", [w for _, w, _ in WRITES], ids=[name for name, _, _ in WRITES])
def test_after_any_write_a_kept_answer_is_the_fresh_one(
    ward: TestClient, write: Callable[[TestClient], object]
) -> None:
    cache.RESULTS.clear()
    answers(ward)  # everything kept
    write(ward)
    served = answers(ward)  # from memory where the keys say nothing changed
    cache.RESULTS.clear()
    assert served == answers(ward)


def period_versions(engine: Engine) -> dict[date, int]:
    with Session(engine) as session:
        found = data_versions.read(session).periods
    (periods,) = found.values()
    return dict(periods)


def vp_score(client: TestClient, period: str) -> float:
    resp = ok(client.get(URL, params={"period": period}))
    return next(u["score"] for u in resp.json()["units"] if u["code"] == "vp")


def test_a_later_periods_write_keeps_the_earlier_periods_scores(
    ward: TestClient, clean_db: Engine
) -> None:
    cache.RESULTS.clear()
    october, november = vp_score(ward, "2025-10"), vp_score(ward, "2025-11")
    computed = cache.RESULTS.computed
    before = period_versions(clean_db)
    progress(ward, assignment="II.1.1.3", unit="vp", period="2025-11", status="done")
    after = period_versions(clean_db)
    assert after[NOVEMBER] != before.get(NOVEMBER) and after[OCTOBER] == before[OCTOBER]
    assert vp_score(ward, "2025-10") == october
    assert cache.RESULTS.computed == computed  # October served as kept
    assert vp_score(ward, "2025-11") != november  # November's first data: a score at all
    assert cache.RESULTS.computed > computed


def test_an_earlier_periods_write_changes_the_later_periods_scores(ward: TestClient) -> None:
    """A task done in October is done in November too (the latest report up to the period's
    end): October's write must reach November's kept score."""
    reading(ward, indicator="disbursement", unit="kthtdt", period="2025-11", value=90)
    cache.RESULTS.clear()
    october, november = vp_score(ward, "2025-10"), vp_score(ward, "2025-11")
    open_for_edit(ward, "vp")
    progress(ward, assignment="II.1.1.3", unit="vp", period="2025-10", status="done")
    assert vp_score(ward, "2025-10") > october
    assert vp_score(ward, "2025-11") > november


def test_the_default_period_follows_a_write(ward: TestClient) -> None:
    """Without ``?period=`` the dashboard shows the latest period with data (October here);
    the first November figure moves it, at the next read."""
    cache.RESULTS.clear()
    assert ok(ward.get(URL)).json()["period"] == "2025-10"
    reading(ward, indicator="disbursement", unit="kthtdt", period="2025-11", value=90)
    assert ok(ward.get(URL)).json()["period"] == "2025-11"


def test_a_reading_moved_to_another_period_changes_both(ward: TestClient, clean_db: Engine) -> None:
    """No screen moves a reading between periods today; the ORM could, and both periods'
    results change when it does."""
    reading(ward, indicator="disbursement", unit="kthtdt", period="2025-11", value=90)
    before = period_versions(clean_db)
    with Session(clean_db) as session:
        row = session.exec(select(Reading).where(Reading.period == "2025-11")).one()
        row.period, row.period_start, row.period_end = (
            "2025-12",
            date(2025, 12, 1),
            date(2025, 12, 31),
        )
        session.add(row)
        session.commit()
    after = period_versions(clean_db)
    assert after[NOVEMBER] != before[NOVEMBER] and date(2025, 12, 1) in after
    assert after[OCTOBER] == before[OCTOBER]


def test_last_months_dashboard_is_kept_while_this_month_is_reported(
    application: FastAPI, ward: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """The page the committee takes to its meeting, through the fast path of every worker
    (``kept.locate``: one query on the event loop)."""
    viewer = browser_for(application, clean_db, clock, username="lanh.dao", role="viewer")
    cache.RESULTS.clear()
    first = ok(viewer.get("/scores", params={"period": "2025-10"})).text
    computed = cache.RESULTS.computed
    progress(ward, assignment="II.1.1.3", unit="vp", period="2025-11", status="done")
    again = ok(viewer.get("/scores", params={"period": "2025-10"})).text
    assert cache.RESULTS.computed == computed and body_of(again) == body_of(first)
    november = ok(viewer.get("/scores", params={"period": "2025-11"})).text
    assert cache.RESULTS.computed > computed and body_of(november) != body_of(first)
    viewer.close()


def test_a_period_that_cannot_be_read_keys_on_the_whole_plan() -> None:
    stamp = cache.Stamp(1, 2, 3, ((OCTOBER, 10), (NOVEMBER, 11)))
    scope = cache.Scope(7, date(2025, 11, 20), stamp, 1)
    assert scope.key_for("tháng mười", "x") == scope.key("x")
    assert scope.key_for(None, "x") == scope.key("x")
    assert scope.key_for("2025-10", "x") != scope.key_for("2025-11", "x")
    assert stamp.until(date(2025, 10, 31)) == (10,)
    assert cache.Scope(7, date(2025, 11, 20), None, 1).key_for("2025-10") is None
