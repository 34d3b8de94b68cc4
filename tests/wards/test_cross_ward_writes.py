"""Every write route, API and pages, called by ward A's administrator against ward B's objects:
refused (403/404/409/422, or the public routes' own refusals), and B's rows unchanged.

The routes are read from the app's route table and each must have a recipe in
``write_recipes.py`` (a test fails naming a route without one), so a new write route is walked
without anyone remembering to. Each route is called three ways: naming B (``?ward=binh-dong``:
403), naming B's plan by its code (``?plan=kh-b-only``: a plan A does not have; a refusal unless
the route reads no plan) and, from its recipe, with B's own objects in the path or the body —
B-only codes (a unit, a plan, a task, a target, a rule that only B has), B's ids and keys (a
reading, a token, evidence, a survey comment, a kiosk, a notification) and B's usernames. Codes
every ward shares (``vhxh``) are not B's: a write by them lands in A's own rows
(``test_isolation.py``). After each route, every row ward B owns (every table the tenancy rule
filters, read inside B) must be as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import tenancy
from app.accounts.models import User
from app.actors import Actor
from app.clock import FixedClock
from app.registers.specs import REGISTERS
from app.reminders.models import Notification
from app.sipas import kiosks
from app.wards.models import Ward
from tests.sipas.conftest import add_answer
from tests.wards.conftest import API, _bearer, _browser
from tests.wards.write_recipes import (
    B_USER,
    MARK,
    PAR_ITEM,
    PAR_YEAR,
    PERIOD,
    PLAN,
    RECIPES,
    REGISTER_CODE,
    RULE,
    RULE_BODY,
    TARGET,
    TASK,
    UNIT,
    BRows,
    Call,
)


def _write_routes(application: FastAPI) -> set[tuple[str, str]]:
    def flat(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from route.effective_route_contexts()
            else:
                yield route

    return {
        (method, route.path)
        for route in flat(application.routes)
        for method in (getattr(route, "methods", None) or set())
        if method in {"POST", "PUT", "PATCH", "DELETE"}
    }


def test_every_write_route_has_a_cross_ward_recipe(application: FastAPI) -> None:
    routes = _write_routes(application)
    assert sorted(routes - set(RECIPES)) == [], "write routes without a recipe in RECIPES"
    assert sorted(set(RECIPES) - routes) == [], "recipes for routes that no longer exist"


# --- ward B's own objects -----------------------------------------------------------------------


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body = response.json()
    assert isinstance(body, dict)
    return body


def _ward_id(session: Session, code: str) -> int:
    found = session.exec(select(Ward.id).where(Ward.code == code)).one()
    assert found is not None
    return found


def _inside_b(session: Session, clock: FixedClock) -> tuple[str, int, int]:
    """A survey comment, a kiosk and a notification of B's, written as their own code would."""
    ward = _ward_id(session, "binh-dong")
    tenancy.enter(session, tenancy.Scope(ward_id=ward))
    try:
        comment = add_answer(session, clock, ratings={"tc1": 4}, comment=f"Góp ý {MARK}")
        actor = Actor(username="admin.binh-dong", role="admin", ward_id=ward, ward_code="binh-dong")
        kiosk = kiosks.enrol_kiosk(
            db_session=session, actor=actor, clock=clock, name=f"Quầy {MARK}", centre="ttpvhcc"
        )
        user = session.exec(select(User).where(User.username == B_USER)).one()
        note = Notification(user_id=user.id or 0, title=f"Nhắc {MARK}", created_at=clock.now())
        session.add(note)
        session.commit()
        assert kiosk.id is not None and note.id is not None
        return comment, kiosk.id, note.id
    finally:
        tenancy.leave(session)


@pytest.fixture
def b_rows(city: Session, application: FastAPI, clean_db: Engine, clock: FixedClock) -> BRows:
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        _ok(
            b_admin.post(
                f"{API}/units",
                json={
                    "code": UNIT,
                    "name": f"Tổ {MARK}",
                    "short_name": "Tổ riêng",
                    "kind": "office",
                },
            )
        )
        _ok(
            b_admin.post(
                f"{API}/plans/kh-84-2025/copy",
                json={
                    "code": PLAN,
                    "number": "9/KH-UBND",
                    "issued_date": "2026-01-15",
                    "first_year": 2026,
                },
            )
        )
        _ok(
            b_admin.post(
                f"{API}/assignments",
                json={
                    "code": TASK,
                    "text": f"Nhiệm vụ {MARK}",
                    "area": "par3",
                    "scope": "lead_unit",
                    "lead_unit": UNIT,
                    "cadence": "monthly",
                },
            )
        )
        _ok(
            b_admin.post(
                f"{API}/indicators",
                json={
                    "code": TARGET,
                    "name": f"Chỉ tiêu {MARK}",
                    "area": "par3",
                    "measure": "percent",
                    "comparator": ">=",
                    "target": 50,
                    "responsible_unit": UNIT,
                },
            )
        )
        _ok(b_admin.post(f"{API}/validation-rules", json={"code": RULE, **RULE_BODY}))
        reading = _ok(
            b_admin.put(
                f"{API}/readings",
                json={
                    "indicator": "online_dossier",
                    "unit": "vhxh",
                    "period": PERIOD,
                    "value": 81.5,
                },
            )
        )
        evidence = _ok(
            b_admin.post(
                f"{API}/units/vhxh/periods/{PERIOD}/tasks/II.1.1.1/evidence",
                json={"url": "https://binhdong.example.vn/vb/1", "note": f"Biên bản {MARK}"},
            )
        )
        token = _ok(b_admin.post(f"{API}/tokens", json={"username": B_USER, "name": "Đồng bộ"}))
        _ok(b_admin.post(f"{API}/par-assessments", json={"year": PAR_YEAR}))
        for spec in REGISTERS:
            row = {f.name: f.example for f in spec.fields if f.example is not None}
            _ok(
                b_admin.post(
                    f"{API}{spec.api}", json={**row, "code": REGISTER_CODE, "unit": "vhxh"}
                )
            )
        # B keeps a questionnaire version of its own choosing (A's writes must leave it)
        _ok(b_admin.put(f"{API}/sipas/ward-version", json={"questionnaire": "2025.1"}))
        par_evidence = _ok(
            b_admin.post(
                f"{API}/par-assessments/{PAR_YEAR}/items/{PAR_ITEM}/evidence",
                json={"url": "https://binhdong.example.vn/vb/2", "note": f"Xin lỗi {MARK}"},
            )
        )
    comment, kiosk, note = _inside_b(city, clock)
    return BRows(
        reading_id=int(reading["id"]),
        token_id=int(token["id"]),
        evidence_key=str(evidence["key"]),
        comment_id=comment,
        kiosk_id=kiosk,
        notification_id=note,
        par_evidence_key=str(par_evidence["key"]),
    )


def _snapshot(engine: Engine) -> dict[str, list[str]]:
    """Every row ward B owns, read inside B: each owned table the tenancy rule filters."""
    owned = tenancy._owned()
    with Session(engine) as session:
        ward = session.exec(select(Ward).where(Ward.code == "binh-dong")).one()
        out = {"ward": [repr(sorted(ward.model_dump().items()))]}
        tenancy.enter(session, tenancy.Scope(ward_id=ward.id))
        for cls in (*owned.direct, *owned.by_plan, *owned.by_unit, *owned.by_user):
            rows = session.exec(select(cls)).all()
            out[cls.__tablename__] = sorted(repr(sorted(r.model_dump().items())) for r in rows)
    return out


@dataclass
class _Walk:
    api: TestClient
    browser: TestClient
    csrf: str
    application: FastAPI
    seen: list[str] = field(default_factory=list)

    def send(self, method: str, call: Call, query: str = "", *, fresh: bool = False) -> Any:
        url = call.path + (("&" if "?" in call.path else "?") + query if query else "")
        if url.startswith(API):
            headers = {"Content-Type": call.content_type} if call.content_type else {}
            return self.api.request(
                method,
                url,
                json=call.json,
                content=call.content,
                files=call.files,
                headers=headers,
            )
        client = (
            _browser(self.application, "admin.phu-dinh", raise_errors=False)
            if fresh
            else self.browser
        )
        csrf = _csrf_of(client) if fresh else self.csrf
        if call.json is not None:  # a page fed by script (save-all): the token in a header
            return client.request(
                method, url, json=call.json, follow_redirects=False, headers={"X-CSRF-Token": csrf}
            )
        form = {**(call.form or {}), "csrf_token": csrf}
        return client.request(method, url, data=form, files=call.files, follow_redirects=False)


def _csrf_of(client: TestClient) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/scores").text)
    assert found is not None
    return found.group(1)


def _check(route: tuple[str, str], how: str, response: Any, call: Call) -> None:
    said = f"{route[0]} {route[1]} ({how}): {response.status_code} {response.text[:300]}"
    assert response.status_code in call.expect, said
    assert call.says in response.text, said


def test_no_write_route_lets_ward_a_change_ward_b(
    application: FastAPI, clean_db: Engine, clock: FixedClock, b_rows: BRows
) -> None:
    before = _snapshot(clean_db)
    for table in (
        "unit",
        "plan",
        "assignment",
        "indicator",
        "kpi_reading",
        "evidence_item",
        "sipas_response",
        "sipas_kiosk",
        "sipas_ward_version",
        "notification",
        "app_user",
        "api_token",
        "par_item",
        "par_evidence",
        "conclusion",
        "initiative",
        "inspection",
        "inspection_finding",
        "socioeconomic_target",
        "investment_item",
        "training_course",
    ):
        assert before[table], f"ward B has no {table} rows: the walk would prove nothing"
    routes = sorted(_write_routes(application))
    with (
        _bearer(application, clean_db, clock, "admin.phu-dinh", "admin", raise_errors=False) as api,
        _browser(application, "admin.phu-dinh", raise_errors=False) as browser,
    ):
        walk = _Walk(api=api, browser=browser, csrf=_csrf_of(browser), application=application)
        for route in routes:
            method, _ = route
            recipe = RECIPES[route]
            call = recipe.build(b_rows)
            if not recipe.public:
                named = walk.send(method, call, "ward=binh-dong", fresh=recipe.fresh_client)
                _check(route, "?ward=binh-dong", named, Call("", expect=frozenset({403})))
                planned = walk.send(method, call, f"plan={PLAN}", fresh=recipe.fresh_client)
                _check(route, f"?plan={PLAN}", planned, call)
            answer = walk.send(method, call, fresh=recipe.fresh_client)
            _check(route, "B's objects", answer, call)
            after = _snapshot(clean_db)
            changed = sorted(t for t in before if before[t] != after.get(t))
            assert changed == [], f"{method} {route[1]} changed ward B's {changed}"
    # and the snapshot does see B's rows: B's own change shows in it
    with _bearer(application, clean_db, clock, "admin.binh-dong", "admin") as b_admin:
        _ok(b_admin.patch(f"{API}/units/{UNIT}", json={"short_name": "Đã đổi"}))
    assert _snapshot(clean_db)["unit"] != before["unit"]
