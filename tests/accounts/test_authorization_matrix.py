"""Every write endpoint × role × own unit / another unit: allowed, or 403 and nothing changed.

The list of write endpoints comes from the app's own OpenAPI route table, and a test fails when an
endpoint has no case here, so a new endpoint cannot slip past authorisation unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from app.accounts import service as account_service
from app.accounts.models import TokenCreate
from app.actors import SYSTEM
from app.audit.models import AuditEvent
from app.clock import FixedClock
from app.kpis.models import ReadingWrite
from app.kpis.readings import upsert_reading
from app.units import service as unit_service
from app.units.models import UnitCreate
from tests.conftest import make_token, make_user
from tests.imports.test_profiles_api import PROFILE_CASES, READ_ONLY_POSTS
from tests.par.authorization_cases import PAR_CASES
from tests.registers.authorization_cases import REGISTER_CASES
from tests.reporting.coordination_setup import COORDINATION_CASES
from tests.reporting.reopen_authorization_cases import REOPEN_CASES
from tests.reporting.rule_authorization_cases import RULE_CASES
from tests.sipas.authorization_cases import SIPAS_CASES

API = "/api/v1"
WRITE_METHODS = {"post", "put", "patch", "delete"}
#: Open on purpose: how a script gets credentials in the first place.
PUBLIC_WRITES = {("POST", "/api/v1/auth/token")}

#: Each role's own unit; "another unit" is the other one named here.
ROLES: dict[str, str | None] = {
    "admin": None,
    "coordinator": "vhxh",
    "reporter": "ttpvhcc",
    "viewer": None,
}
OTHER_UNIT = {"vhxh": "ttpvhcc", "ttpvhcc": "vp", None: "vp"}


@dataclass
class Ctx:
    session: Session
    clock: FixedClock
    unit: str  # the unit the request writes for (own or other)


Build = Callable[[Ctx], tuple[str, dict[str, Any] | None]]


def _reading_id(ctx: Ctx) -> str:
    result = upsert_reading(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        data=ReadingWrite(indicator="online_dossier", unit=ctx.unit, period="2025-10", value=70),
    )
    return f"{API}/readings/{result.reading.id}"


def _token_url(ctx: Ctx) -> str:
    issued = account_service.issue_token(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        data=TokenCreate(username="muc.tieu", name="x", expires_days=1),
    )
    return f"{API}/tokens/{issued.id}"


def _spare_unit(ctx: Ctx) -> str:
    unit_service.create_unit(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        data=UnitCreate(code="to-tam", name="Tổ tạm", short_name="Tổ tạm", kind="office"),
    )
    return f"{API}/units/to-tam"


def _scoring_override(ctx: Ctx) -> str:
    """An admin's scoring configuration in force, so that going back to the file is a change."""
    from app.scores import configuration
    from app.scores.models import ScoringConfigWrite

    data = ScoringConfigWrite.model_validate({"config": {"version": "2026.1"}})
    configuration.set_config(db_session=ctx.session, actor=SYSTEM, clock=ctx.clock, data=data)
    return f"{API}/scores/config"


def _evidence_url(ctx: Ctx) -> str:
    """A link attached to the target unit's October update on II.1.1.1 (issue 19)."""
    from app.progress.evidence import service as evidence_service
    from app.progress.evidence.models import EvidenceLinkCreate

    item = evidence_service.attach_link(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        limits=evidence_service.EvidenceLimits(1024, ("pdf",), 20),
        unit=ctx.unit,
        period="2025-10",
        task="II.1.1.1",
        data=EvidenceLinkCreate.model_validate({"url": "https://phudinh.example.vn/vb/12"}),
    )
    return f"{API}/evidence/{item.key}"


#: Writes on an item named by a key: to a user who may not even read its unit, the refusal is
#: the 404 of a key that does not exist, so keys cannot be probed.
HIDDEN_AS_404 = {("DELETE", "/api/v1/evidence/{key}")}


_TASK = {
    "code": "II.2.3.7",
    "text": "Tập huấn nghiệp vụ.",
    "area": "par3",
    "scope": "lead_unit",
    "lead_unit": "ttpvhcc",
    "cadence": "once",
}

#: (method, path template) → (who may: "all", "admin", "plan" = admin+coordinator,
#: "unit" = admin anywhere, coordinator and reporter on their own unit), request builder.
CASES: dict[tuple[str, str], tuple[str, Build]] = {
    ("POST", "/api/v1/auth/password"): (
        "all",
        lambda c: (
            f"{API}/auth/password",
            {"current_password": "mat-khau-thu-nghiem", "new_password": "mat-khau-moi-2025"},
        ),
    ),
    ("POST", "/api/v1/users"): (
        "admin",
        lambda c: (
            f"{API}/users",
            {
                "username": "moi.tao",
                "full_name": "Mới Tạo",
                "role": "reporter",
                "unit": c.unit,
                "password": "mat-khau-moi-2025",
            },
        ),
    ),
    ("PATCH", "/api/v1/users/{username}"): (
        "admin",
        lambda c: (f"{API}/users/muc.tieu", {"full_name": "Tên mới"}),
    ),
    ("POST", "/api/v1/users/{username}/password"): (
        "admin",
        lambda c: (f"{API}/users/muc.tieu/password", {"password": "mat-khau-tam-2025"}),
    ),
    ("POST", "/api/v1/tokens"): (
        "admin",
        lambda c: (f"{API}/tokens", {"username": "muc.tieu", "name": "Đồng bộ"}),
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): ("admin", lambda c: (_token_url(c), None)),
    ("POST", "/api/v1/units"): (
        "admin",
        lambda c: (
            f"{API}/units",
            {"code": "to-moi", "name": "Tổ mới", "short_name": "Tổ mới", "kind": "office"},
        ),
    ),
    ("PATCH", "/api/v1/units/{code}"): (
        "admin",
        lambda c: (f"{API}/units/{c.unit}", {"short_name": "Tên ngắn mới"}),
    ),
    ("DELETE", "/api/v1/units/{code}"): ("admin", lambda c: (_spare_unit(c), None)),
    ("POST", "/api/v1/assignments"): ("plan", lambda c: (f"{API}/assignments", dict(_TASK))),
    ("PATCH", "/api/v1/assignments/{code}"): (
        "plan",
        lambda c: (f"{API}/assignments/II.2.3.1", {"expected_product": "Báo cáo quý"}),
    ),
    ("DELETE", "/api/v1/assignments/{code}"): (
        "plan",
        lambda c: (f"{API}/assignments/II.2.4.4", None),
    ),
    ("POST", "/api/v1/domains"): (
        "plan",
        lambda c: (f"{API}/domains", {"code": "tu-phap", "name": "Tư pháp"}),
    ),
    ("POST", "/api/v1/indicators"): (
        "plan",
        lambda c: (
            f"{API}/indicators",
            {
                "code": "sipas_satisfaction",
                "name": "Mức độ hài lòng",
                "area": "par8",
                "measure": "percent",
                "comparator": ">=",
                "target": 90,
                "disaggregation": "none",
            },
        ),
    ),
    ("PATCH", "/api/v1/indicators/{code}"): (
        "plan",
        lambda c: (f"{API}/indicators/online_dossier", {"target": 85}),
    ),
    ("PUT", "/api/v1/readings"): (
        "unit",
        lambda c: (
            f"{API}/readings",
            {"indicator": "online_dossier", "unit": c.unit, "period": "2025-10", "value": 81.5},
        ),
    ),
    ("DELETE", "/api/v1/readings/{reading_id}"): ("unit", lambda c: (_reading_id(c), None)),
    ("POST", "/api/v1/submissions/{unit}/{period}/{action}"): (
        "unit",
        lambda c: (f"{API}/submissions/{c.unit}/2025-10/submit", {}),
    ),
    ("POST", "/api/v1/reports/consolidated/final"): (
        "plan",
        lambda c: (f"{API}/reports/consolidated/final?period=2025-10", None),
    ),
    ("PUT", "/api/v1/reports/config"): (
        "plan",
        lambda c: (f"{API}/reports/config", {"signer_name": "Nguyễn Văn A"}),
    ),
    ("PUT", "/api/v1/plans/{code}/due-days"): (
        "plan",
        lambda c: (f"{API}/plans/kh-84-2025/due-days", {"month": 6, "quarter": 12}),
    ),
    ("PUT", "/api/v1/scores/config"): (
        "admin",
        lambda c: (f"{API}/scores/config", {"config": {"version": "2026.1"}}),
    ),
    ("DELETE", "/api/v1/scores/config"): ("admin", lambda c: (_scoring_override(c), None)),
    ("POST", "/api/v1/units/{unit}/periods/{period}/rows"): (
        "unit",
        lambda c: (
            f"{API}/units/{c.unit}/periods/2025-10/rows",
            {
                "tasks": [
                    {"assignment": "II.1.1.1", "status": "in_progress", "percent_complete": 40}
                ]
            },
        ),
    ),
    ("POST", "/api/v1/units/{unit}/periods/{period}/tasks/{code}/evidence"): (
        "unit",
        lambda c: (
            f"{API}/units/{c.unit}/periods/2025-10/tasks/II.1.1.1/evidence",
            {"url": "https://phudinh.example.vn/van-ban/12", "note": "Quyết định số 12/QĐ-UBND"},
        ),
    ),
    ("DELETE", "/api/v1/evidence/{key}"): ("unit", lambda c: (_evidence_url(c), None)),
    ("PUT", "/api/v1/progress"): (
        "unit",
        lambda c: (
            f"{API}/progress",
            {
                "assignment": "II.1.1.1",
                "unit": c.unit,
                "period": "2025-10",
                "status": "in_progress",
                "percent_complete": 40,
            },
        ),
    ),
}


CASES.update(SIPAS_CASES)
CASES.update(REOPEN_CASES)


def _dossier(c: Ctx) -> list[dict[str, Any]]:
    return [
        {
            "code": "HS-MT-1",
            "unit": c.unit,
            "domain": "ho-tich",
            "channel": "online",
            "received_at": "2025-10-01T08:00",
            "due_at": "2025-10-03",
            "completed_at": "2025-10-02",
        }
    ]


BULK_CASES: dict[tuple[str, str], tuple[str, Build]] = {
    ("POST", "/api/v1/readings/bulk"): (
        "unit",
        lambda c: (
            f"{API}/readings/bulk",
            [{"indicator": "online_dossier", "unit": c.unit, "period": "2025-10", "value": 81.5}],
        ),
    ),
    ("POST", "/api/v1/progress/bulk"): (
        "unit",
        lambda c: (
            f"{API}/progress/bulk",
            [
                {
                    "assignment": "II.1.1.1",
                    "unit": c.unit,
                    "period": "2025-10",
                    "status": "in_progress",
                    "percent_complete": 40,
                }
            ],
        ),
    ),
    ("POST", "/api/v1/dossiers/bulk"): ("unit", lambda c: (f"{API}/dossiers/bulk", _dossier(c))),
    ("POST", "/api/v1/feedback/bulk"): (
        "unit",
        lambda c: (
            f"{API}/feedback/bulk",
            [
                {
                    "code": "PA-MT-1",
                    "unit": c.unit,
                    "channel": "1022",
                    "kind": "complaint",
                    "received_at": "2025-10-01",
                    "due_at": "2025-10-10",
                    "resolved_at": "2025-10-05",
                }
            ],
        ),
    ),
}


# Wards and plan copies (issue 20): a new ward is the city's ("city": no ward role may), next
# year's plan the ward's planners'.
CASES[("POST", "/api/v1/wards")] = (
    "city",
    lambda c: (f"{API}/wards", {"code": "binh-dong", "name": "Phường Bình Đông"}),
)
CASES[("POST", "/api/v1/plans/{code}/copy")] = (
    "plan",
    lambda c: (
        f"{API}/plans/kh-84-2025/copy",
        {"code": "kh-cchc-2026", "number": "12/KH-UBND", "issued_date": "2026-01-15",
         "first_year": 2026},
    ),
)  # fmt: skip
CASES.update(BULK_CASES)
CASES.update(PROFILE_CASES)
CASES.update(RULE_CASES)
CASES.update(COORDINATION_CASES)
CASES.update(PAR_CASES)
CASES.update(REGISTER_CASES)


def write_routes(app: FastAPI) -> set[tuple[str, str]]:
    spec = app.openapi()
    return {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in WRITE_METHODS
    }


def test_every_write_endpoint_has_a_case(shared_app: FastAPI) -> None:
    routes = write_routes(shared_app) - PUBLIC_WRITES - READ_ONLY_POSTS
    assert routes - set(CASES) == set(), "write endpoints without an authorisation case"
    assert set(CASES) - routes == set(), "cases for endpoints that no longer exist"


def expected_allowed(rule: str, role: str, own: bool) -> bool:
    if rule == "all":
        return True
    if rule == "city":
        return False
    if rule == "admin":
        return role == "admin"
    if rule == "plan":
        return role in {"admin", "coordinator"}
    if rule == "centre":  # survey codes: the service centre's officers, whatever the dossier's unit
        return role == "admin" or ROLES[role] == "ttpvhcc"
    assert rule == "unit"
    return role == "admin" or (role in {"coordinator", "reporter"} and own)


def _audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AuditEvent)).one()


@pytest.mark.parametrize("own", [True, False], ids=["own-unit", "other-unit"])
@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_authorisation(
    route: tuple[str, str],
    role: str,
    own: bool,
    application: FastAPI,
    seeded: Session,
    clean_db: Engine,
    clock: FixedClock,
) -> None:
    rule, build = CASES[route]
    own_unit = ROLES[role]
    target = (own_unit if own else OTHER_UNIT[own_unit]) or ("vp" if own else "vhxh")
    make_user(clean_db, clock, username="muc.tieu", role="reporter", unit="vp")
    token = make_token(clean_db, clock, username=f"thu.{role}", role=role, unit=own_unit)
    url, body = build(Ctx(session=seeded, clock=clock, unit=target))
    before = _audit_count(clean_db)
    with TestClient(application, headers={"Authorization": f"Bearer {token}"}) as client:
        resp = client.request(route[0], url, json=body)
    allowed = expected_allowed(rule, role, own)
    if allowed:
        assert resp.status_code < 300, resp.text
        assert _audit_count(clean_db) > before, "an allowed write left no audit record"
    elif route in HIDDEN_AS_404 and role == "reporter" and not own:
        assert resp.status_code == 404, resp.text
        assert _audit_count(clean_db) == before, "a refused write left an audit record"
    else:
        assert resp.status_code == 403, resp.text
        assert resp.json()["detail"]["code"] in {"forbidden", "other_unit"}
        assert _audit_count(clean_db) == before, "a refused write left an audit record"


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_without_credentials_every_write_is_401(
    route: tuple[str, str], anon: TestClient, seeded: Session, clock: FixedClock
) -> None:
    method, template = route
    url = template.replace("{username}", "muc.tieu").replace("{code}", "vp")
    url = url.replace("{token_id}", "1").replace("{reading_id}", "1")
    resp = anon.request(method, url, json={})
    assert resp.status_code == 401, resp.text
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_read_endpoint_needs_credentials(
    shared_app: FastAPI, anon: TestClient, seeded: Session
) -> None:
    spec = shared_app.openapi()
    public = {"/healthz", "/readyz"}
    for path, operations in spec["paths"].items():
        if "get" not in operations or path in public:
            continue
        url = path.replace("{username}", "x").replace("{code}", "vp")
        assert anon.get(url).status_code == 401, path
