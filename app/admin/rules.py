"""The plan's validation rules in the browser: list, add, edit (with the version seen), deactivate.

The same service functions as ``/api/v1/validation-rules``; the forms are flat like the API's
schema, so an error names the field it sits next to.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.admin import history
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import FormState, answer, attempt, format_number_input, parse_number_vi, read_form
from app.kpis.domains import list_domains
from app.kpis.indicators import list_indicators
from app.permissions import Permission, authorize
from app.reporting import rule_service
from app.reporting.rules import (
    FIELD_LABELS,
    KIND_LABELS,
    OPERATOR_SIGNS,
    SEVERITY_LABELS,
    RuleCreate,
    RuleRead,
    RuleUpdate,
)
from app.routes import Routes
from app.templating import is_partial_request, render

router = Routes(include_in_schema=False)

_SIDES = ("left", "right")
_OPERANDS = tuple(f"{s}_{n}" for s in _SIDES for n in ("indicator", "field", "domain", "constant"))
_FIELDS = ("message", "severity", "kind", "operator", *_OPERANDS, "version")
_BLANK_IS_NONE = (
    "operator",
    *(f"{s}_{n}" for s in _SIDES for n in ("indicator", "field", "domain")),
)


def _options(db_session: Session) -> dict[str, Any]:
    indicators, _ = list_indicators(
        db_session=db_session, plan_code=None, area=None, unit=None, limit=1000, offset=0
    )
    domains = list_domains(db_session=db_session, active=True)
    return {
        "indicator_options": [(i.code, f"{i.name} ({i.code})") for i in indicators],
        "domain_options": [(d.code, d.name) for d in domains],
        "field_options": [(k.value, v) for k, v in FIELD_LABELS.items()],
        "operator_options": [(k.value, v) for k, v in OPERATOR_SIGNS.items()],
        "severity_options": [(k.value, v) for k, v in SEVERITY_LABELS.items()],
        "kind_options": [(k.value, v) for k, v in KIND_LABELS.items()],
        "severity_labels": SEVERITY_LABELS,
        "kind_labels": KIND_LABELS,
    }


def _data(typed: dict[str, str]) -> dict[str, Any]:
    """The form as the API's schema: blanks are ``None``, constants read the Vietnamese way."""
    data: dict[str, Any] = {k: v for k, v in typed.items() if k != "version"}
    for name in _BLANK_IS_NONE:
        data[name] = typed.get(name, "").strip() or None
    for side in _SIDES:
        data[f"{side}_constant"] = parse_number_vi(typed.get(f"{side}_constant", ""))
    data["severity"] = typed.get("severity") or None
    data["kind"] = typed.get("kind") or None
    if "version" in typed:
        data["version"] = typed["version"] or None
    return {k: v for k, v in data.items() if v is not None or k in _OPERANDS}


def _list_context(db_session: Session, form: FormState | None = None) -> dict[str, Any]:
    return {
        "title": "Quy tắc kiểm tra số liệu",
        "rules": rule_service.list_rules(db_session=db_session, plan_code=None),
        "form": form or FormState("rule-create"),
        **_options(db_session),
    }


@router.get("/admin/rules", response_class=HTMLResponse)
def rules_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, "admin/rules.html", _list_context(db_session), block="create")


@router.post("/admin/rules", response_class=HTMLResponse)
async def create_rule(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, ("code", *_FIELDS[:-1]))
    outcome = attempt(
        db_session,
        RuleCreate,
        _data(typed),
        lambda parsed: rule_service.create_rule(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    code = typed["code"].strip().lower()
    return answer(
        request,
        outcome,
        template="admin/rules.html",
        context=lambda: _list_context(
            db_session, outcome.state("rule-create", typed, saved="Đã thêm quy tắc.")
        ),
        block="create",
        redirect=f"/admin/rules/{code}",
        hx_redirect=True,
    )


def _edit_context(db_session: Session, code: str, edit: FormState | None = None) -> dict[str, Any]:
    rule: RuleRead = rule_service.get_rule(db_session=db_session, plan_code=None, code=code)
    return {
        "title": f"Quy tắc {rule.code}",
        "rule": rule,
        "edit": edit or FormState("rule-edit"),
        "constants": {
            f"{s}_constant": format_number_input(getattr(rule, f"{s}_constant")) for s in _SIDES
        },
        **history.record_context(
            db_session, entity="validation_rule", key=f"{rule.plan}/{rule.code}"
        ),
        **_options(db_session),
    }


@router.get("/admin/rules/{code}", response_class=HTMLResponse)
def rule_page(request: Request, code: str, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, "admin/rule.html", _edit_context(db_session, code), block="edit")


@router.post("/admin/rules/{code}", response_class=HTMLResponse)
async def update_rule(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    typed = await read_form(request, (*_FIELDS, "active"))
    data = {**_data(typed), "active": bool(typed["active"])}
    outcome = attempt(
        db_session,
        RuleUpdate,
        data,
        lambda parsed: rule_service.update_rule(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            plan_code=None,
            code=code,
            data=parsed,
        ),
    )
    return answer(
        request,
        outcome,
        template="admin/rule.html",
        context=lambda: _edit_context(
            db_session, code, outcome.state("rule-edit", typed, saved="Đã lưu quy tắc.")
        ),
        block="edit",
        oob=True,
        redirect=f"/admin/rules/{code}",
    )


@router.post("/admin/rules/{code}/active", response_class=HTMLResponse)
async def set_active(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """Deactivate a rule (or bring it back); the edit form's version guards it too."""
    authorize(identity.actor, Permission.PLAN_WRITE)
    typed = await read_form(request, ("active", "version"))
    version = typed["version"].strip()
    outcome = attempt(
        db_session,
        None,
        {},
        lambda _: rule_service.set_active(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            plan_code=None,
            code=code,
            active=typed["active"] == "1",
            version=int(version) if version.isdigit() else None,
        ),
    )
    saved = "Đã dùng lại quy tắc." if typed["active"] == "1" else "Đã ngừng áp dụng quy tắc."
    return answer(
        request,
        outcome,
        template="admin/rule.html",
        context=lambda: {
            **_edit_context(db_session, code, outcome.state("rule-edit", {}, saved=saved)),
            "oob": is_partial_request(request),
        },
        block="edit",
        redirect=f"/admin/rules/{code}",
    )
