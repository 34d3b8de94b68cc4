"""Every write the scores read changes the plan's version, and a kept score is never served
after one (issue 20): the safety net of ``app/data_versions.py``.

Each case is one write through the API, as users and feeds make it, on the hand-computed ward of
``conftest.py``; the version of the plan (or the shared one, for units, domains and the rules)
must have changed when the answer comes back, and a refused write must change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import data_versions
from app.clock import FixedClock
from app.formatting import format_number
from app.plans.models import Plan
from app.scores import cache, service
from app.scoring.config import load_default_config
from tests.conftest import statements
from tests.scores.conftest import (
    ADMIN,
    EXPECTED,
    browser_for,
    open_for_edit,
    progress,
    reading,
)
from tests.uploads.conftest import send_csv

PLAN = "kh-84-2025"
PARTIAL = {"HX-Request": "true", "HX-Request-Type": "partial"}
URL = "/api/v1/scores"
DOSSIERS = (
    "code,unit,procedure_code,procedure_name,domain,channel,received_at,due_at,completed_at\n"
    "D1,ttpvhcc,1.001,Đăng ký khai sinh,ho-tich,online,2025-10-01,2025-10-03,2025-10-02\n"
)


def versions(engine: Engine) -> dict[int, int]:
    with Session(engine) as session:
        return data_versions.versions(session)


def ok(resp: Any) -> Any:
    assert resp.status_code in (200, 201, 204), resp.text
    return resp


def _delete_reading(client: TestClient) -> None:
    made = reading(client, indicator="disbursement", unit="kthtdt", period="2025-11", value=70)
    ok(client.delete(f"/api/v1/readings/{made['id']}"))


def _new_task(client: TestClient) -> None:
    ok(
        client.post(
            "/api/v1/assignments",
            json={
                "code": "II.2.3.7",
                "text": "Tổ chức tập huấn nghiệp vụ tiếp nhận hồ sơ trực tuyến cho công chức.",
                "area": "par3",
                "scope": "lead_unit",
                "lead_unit": "ttpvhcc",
                "coordinating_units": ["vp"],
                "cadence": "once",
                "due_date": "2025-12-31",
                "expected_product": "Báo cáo kết quả tập huấn",
            },
        )
    )


def _config(client: TestClient) -> None:
    new = load_default_config().model_dump(mode="json")
    new.update(version="2025.9-versions", late_credit=0.25)
    ok(client.put(f"{URL}/config", json={"config": new}))


#: (what is written, the write, whether it concerns one plan or all of them)
WRITES: list[tuple[str, Callable[[TestClient], object], bool]] = [
    (
        "a reading",
        lambda c: reading(c, indicator="disbursement", unit="kthtdt", period="2025-11", value=90),
        False,
    ),
    ("a reading deleted", _delete_reading, False),
    (
        "readings imported (COPY / executemany)",
        lambda c: ok(
            send_csv(
                c,
                "/api/v1/readings/bulk",
                "indicator,unit,period,domain,value,numerator,denominator,note\n"
                "disbursement,kthtdt,2025-11,,95,,,\n",
            )
        ),
        False,
    ),
    (
        "a task's progress",
        lambda c: progress(
            c, assignment="II.1.1.1", unit="kthtdt", period="2025-10", status="done"
        ),
        False,
    ),
    (
        "progress imported",
        lambda c: ok(
            send_csv(
                c,
                "/api/v1/progress/bulk",
                "assignment,unit,period,status,percent_complete\nII.1.1.1,mttq,2025-10,in_progress,40\n",
            )
        ),
        False,
    ),
    ("a report approved", lambda c: ok(c.post("/api/v1/submissions/vp/2025-10/approve")), False),
    (
        "a report returned",
        lambda c: ok(
            c.post("/api/v1/submissions/ttpvhcc/2025-10/return", json={"comment": "Sửa lại."})
        ),
        False,
    ),
    ("the dossier feed", lambda c: ok(send_csv(c, "/api/v1/dossiers/bulk", DOSSIERS)), False),
    (
        "an indicator's targets",
        lambda c: ok(
            c.patch("/api/v1/indicators/tthc_ontime", json={"domain_targets": {"ho-tich": 90}})
        ),
        False,
    ),
    (
        "a task's due date",
        lambda c: ok(c.patch("/api/v1/assignments/II.1.1.1", json={"due_date": "2025-10-15"})),
        False,
    ),
    ("a task created", _new_task, False),
    (
        "a task deleted",
        lambda c: (_new_task(c), ok(c.delete("/api/v1/assignments/II.2.3.7"))),
        False,
    ),
    (
        "the report due days",
        lambda c: ok(c.put(f"/api/v1/plans/{PLAN}/due-days", json={"month": 25, "quarter": 15})),
        False,
    ),
    (
        "a unit renamed",  # its ward's plans, not every ward's (issue 20)
        lambda c: ok(c.patch("/api/v1/units/vp", json={"short_name": "Văn phòng UBND"})),
        False,
    ),
    (
        "a TTHC domain",
        lambda c: ok(c.post("/api/v1/domains", json={"code": "thu-y", "name": "Thú y"})),
        True,
    ),
    ("the scoring rules", _config, True),
]


@pytest.mark.parametrize(
    ("write", "shared"), [(w, s) for _, w, s in WRITES], ids=[name for name, _, _ in WRITES]
)
def test_every_write_the_scores_read_changes_the_version(
    ward: TestClient, clean_db: Engine, write: Callable[[TestClient], object], shared: bool
) -> None:
    plan_id = _plan_id(clean_db)
    before = versions(clean_db)
    assert before.get(plan_id) and before.get(data_versions.EVERY_PLAN)
    write(ward)
    after = versions(clean_db)
    key = data_versions.EVERY_PLAN if shared else plan_id
    assert after[key] != before[key]


def _plan_id(engine: Engine) -> int:
    with Session(engine) as session:
        plan = session.exec(select(Plan)).one()
        assert plan.id is not None
        return plan.id


def test_a_refused_write_changes_nothing(ward: TestClient, clean_db: Engine) -> None:
    before = versions(clean_db)
    resp = ward.put(  # ttpvhcc's October report is sent: its figures are locked
        "/api/v1/readings",
        json={"indicator": "online_dossier", "unit": "ttpvhcc", "period": "2025-10", "value": 1},
    )
    assert resp.status_code == 409, resp.text
    assert versions(clean_db) == before


def vp_score(client: TestClient) -> float:
    resp = ok(client.get(URL, params={"period": "2025-10"}))
    return next(u["score"] for u in resp.json()["units"] if u["code"] == "vp")


def test_a_score_is_computed_once_and_a_write_is_seen_at_the_next_read(ward: TestClient) -> None:
    cache.RESULTS.clear()
    first = vp_score(ward)
    assert first == pytest.approx(EXPECTED["vp"])
    computed = cache.RESULTS.computed
    for _ in range(3):
        assert vp_score(ward) == first
    assert cache.RESULTS.computed == computed  # served as kept
    # vp finishes another of its 47 tasks: (2 + 0,6) / 46 instead of (1 + 0,6) / 46
    open_for_edit(ward, "vp")
    progress(ward, assignment="II.1.1.3", unit="vp", period="2025-10", status="done")
    assert vp_score(ward) == pytest.approx(EXPECTED["vp"] + 40 / 46)
    assert cache.RESULTS.computed > computed


def test_the_explanation_comes_from_the_kept_computation(ward: TestClient) -> None:
    """The "Vì sao?" breakdown and the ranking row of a unit agree, hit or miss."""
    cache.RESULTS.clear()
    for _ in range(2):
        summary = ok(ward.get(URL, params={"period": "2025-10"})).json()
        row = next(u for u in summary["units"] if u["code"] == "vp")
        why = ok(ward.get(f"{URL}/units/vp", params={"period": "2025-10"})).json()
        assert why["score"] == row["score"] and why["formula"] == row["formula"]
        assert why["rank"] == row["rank"]


def body_of(html: str) -> str:
    start = html.index('<div id="scores-body">')
    return html[start : html.index("</main>", start)]


def test_the_dashboard_body_is_kept_and_the_frame_is_each_readers(
    application: FastAPI, ward: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """The kept body is the same for every reader; the top bar (name, CSRF token) is each one's
    own; a write is on the page at the next read."""
    readers = [
        browser_for(application, clean_db, clock, username=name, role=role)
        for name, role in (("lanh.dao", "viewer"), ("dieu.phoi", "coordinator"))
    ]
    cache.RESULTS.clear()
    pages = [ok(r.get("/scores", params={"period": "2025-10"})).text for r in readers]
    computed = cache.RESULTS.computed
    again = ok(readers[0].get("/scores", params={"period": "2025-10"})).text
    assert cache.RESULTS.computed == computed
    assert body_of(pages[0]) == body_of(pages[1]) == body_of(again)
    assert "Người dùng lanh.dao" in pages[0] and "Người dùng dieu.phoi" not in pages[0]
    assert 'href="/review"' in pages[1] and 'href="/review"' not in pages[0]
    fragment = readers[1].get("/scores", params={"period": "2025-10"}, headers=PARTIAL).text
    assert fragment.strip() in pages[1]  # the htmx swap is the kept body itself
    open_for_edit(ward, "vp")
    progress(ward, assignment="II.1.1.3", unit="vp", period="2025-10", status="done")
    after = ok(readers[0].get("/scores", params={"period": "2025-10"})).text
    assert body_of(after) != body_of(pages[0])
    assert format_number(EXPECTED["vp"] + 40 / 46, 2) in body_of(after)
    for reader in readers:
        reader.close()


def test_a_ranking_takes_each_plans_kept_summary(
    ward: TestClient, clean_db: Engine, clock: FixedClock
) -> None:
    """``plan_summaries`` (the city ranking's source) gives the summary the API gives, from one
    query for every stamp; unchanged plans are served as kept, and only summaries are stored."""
    cache.RESULTS.clear()
    with Session(clean_db) as session:
        plans = list(session.exec(select(Plan)))
        first = service.plan_summaries(
            db_session=session, clock=clock, plans=plans, period="2025-10"
        )
        assert len(cache.RESULTS) == 1  # the summary alone: no frame, no period result
        computed = cache.RESULTS.computed
        again = service.plan_summaries(
            db_session=session, clock=clock, plans=plans, period="2025-10"
        )
        assert cache.RESULTS.computed == computed
    assert again == first
    served = ok(ward.get(URL, params={"period": "2025-10"})).json()
    (summary,) = first.values()
    assert summary.plan == PLAN and summary.model_dump(mode="json") == served


def test_a_kept_summary_costs_two_queries(
    ward: TestClient, seeded: Session, clock: FixedClock, clean_db: Engine
) -> None:
    """The plan, and its versions: all a read pays when nothing has changed."""
    service.ward_summary(db_session=seeded, actor=ADMIN, clock=clock, period="2025-10")
    with statements(clean_db) as seen:
        service.ward_summary(db_session=seeded, actor=ADMIN, clock=clock, period="2025-10")
    assert len(seen) == 2 and "score_version" in seen[1]


#: The writes of ``WRITES`` to the data reported against a plan, not to the plan itself.
DATA_WRITES = {
    "a reading",
    "a reading deleted",
    "readings imported (COPY / executemany)",
    "a task's progress",
    "progress imported",
    "a report approved",
    "a report returned",
    "the dossier feed",
}


def structures(engine: Engine) -> dict[int, int]:
    with Session(engine) as session:
        return {p: s for p, (_v, s) in data_versions.with_structure(session).items()}


@pytest.mark.parametrize(("name", "write", "shared"), WRITES, ids=[name for name, _, _ in WRITES])
def test_only_a_write_to_the_plan_itself_changes_its_structure(
    ward: TestClient,
    clean_db: Engine,
    name: str,
    write: Callable[[TestClient], object],
    shared: bool,
) -> None:
    """What scoring loads of the plan alone is kept under the structure version (issue #17): a
    write of reported data must leave it, every other write must change it."""
    plan_id = _plan_id(clean_db)
    before = structures(clean_db)
    write(ward)
    after = structures(clean_db)
    key = data_versions.EVERY_PLAN if shared else plan_id
    if name in DATA_WRITES:
        assert after[key] == before[key]
    else:
        assert after[key] != before[key]


def _frames() -> int:
    return sum(1 for key in cache.RESULTS._entries if key[-1] == "frame")


def test_a_row_saved_recomputes_the_scores_but_keeps_the_plans_frame(ward: TestClient) -> None:
    cache.RESULTS.clear()
    first = vp_score(ward)
    assert _frames() == 1
    open_for_edit(ward, "vp")
    progress(ward, assignment="II.1.1.3", unit="vp", period="2025-10", status="done")
    assert vp_score(ward) == pytest.approx(first + 40 / 46)  # the data's new version
    assert _frames() == 1  # the plan's structure did not change: its frame was not loaded again
    ok(ward.patch("/api/v1/assignments/II.1.1.1", json={"due_date": "2025-10-15"}))
    vp_score(ward)
    assert _frames() == 2
