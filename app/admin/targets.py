"""The plan's targets (indicators) and the TTHC domain list in the browser."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app import formatting
from app.accounts.dependencies import WebUser
from app.admin import history
from app.admin.units import all_units
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import (
    FormState,
    answer,
    attempt,
    blank_none,
    date_input,
    format_number_input,
    parse_date_vi,
    parse_number_vi,
    read_form,
)
from app.kpis import domains as domain_service
from app.kpis import indicators as indicator_service
from app.kpis.models import DomainCreate, DomainRead, IndicatorUpdate
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.routes import Routes
from app.templating import render

router = Routes(include_in_schema=False)

COMPARATOR_LABELS = {">=": "≥ không thấp hơn", "<=": "≤ không vượt quá", "=": "= đúng bằng"}
MEASURE_LABELS = {"percent": "Tỷ lệ (%)", "count": "Số lượng", "amount": "Giá trị"}
DISAGGREGATION_LABELS = {"none": "Không chia", "domain": "Theo lĩnh vực TTHC"}
_FIELDS = (
    "name",
    "comparator",
    "target",
    "due_date",
    "responsible_unit",
    "disaggregation",
    "description",
    "version",
)


def _labels(db_session: Session) -> dict[str, Any]:
    units = all_units(db_session)
    return {
        "comparator_options": list(COMPARATOR_LABELS.items()),
        "comparator_labels": COMPARATOR_LABELS,
        "measure_labels": MEASURE_LABELS,
        "disaggregation_options": list(DISAGGREGATION_LABELS.items()),
        "disaggregation_labels": DISAGGREGATION_LABELS,
        "unit_options": [(u.code, f"{u.short_name} ({u.code})") for u in units if u.active],
    }


def _list_context(db_session: Session, domain_form: FormState | None = None) -> dict[str, Any]:
    indicators, _ = indicator_service.list_indicators(
        db_session=db_session, plan_code=None, area=None, unit=None, limit=1000, offset=0
    )
    return {
        "title": "Chỉ tiêu của kế hoạch",
        "indicators": indicators,
        "domains": domain_service.list_domains(db_session=db_session),
        "domain_form": domain_form or FormState("domain-create"),
        **_labels(db_session),
    }


@router.get("/admin/targets", response_class=HTMLResponse)
def targets_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, "admin/targets.html", _list_context(db_session), block="domains")


@router.post("/admin/targets/domains", response_class=HTMLResponse)
async def create_domain(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, ("code", "name", "position"))
    data = {**typed, "position": typed["position"].strip() or 0}
    outcome = attempt(
        db_session,
        DomainCreate,
        data,
        lambda parsed: domain_service.create_domain(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    return answer(
        request,
        outcome,
        template="admin/targets.html",
        context=lambda: _list_context(
            db_session, outcome.state("domain-create", typed, saved="Đã thêm lĩnh vực.")
        ),
        block="domains",
        redirect="/admin/targets#domains",
    )


def _domain_field(code: str) -> str:
    return f"dt_{code}"


def _domain_targets(
    typed: dict[str, str], domains: list[DomainRead], percent: bool
) -> tuple[dict[str, float], dict[str, str]]:
    """The per-domain targets typed on the page (blank: the indicator's own target)."""
    found: dict[str, float] = {}
    errors: dict[str, str] = {}
    for domain in domains:
        name = _domain_field(domain.code)
        try:
            value = formatting.parse_optional(
                typed.get(name, ""), minimum=0, maximum=100 if percent else None
            )
        except formatting.NumberError as exc:
            errors[name] = exc.message
            continue
        if value is not None:
            found[domain.code] = value
    return found, errors


def _target_context(
    db_session: Session, code: str, edit: FormState | None = None
) -> dict[str, Any]:
    plan = plan_service.get_plan(db_session=db_session, code=None)
    row = indicator_service.get_indicator(db_session=db_session, plan=plan, code=code)
    indicator = indicator_service.indicator_reads(db_session=db_session, plan=plan, rows=[row])[0]
    domains = domain_service.list_domains(db_session=db_session, active=True)
    return {
        "domains": domains if indicator.disaggregation == "domain" else [],
        "domain_target_texts": {
            _domain_field(d): formatting.format_input(t)
            for d, t in indicator.domain_targets.items()
        },
        "title": f"Chỉ tiêu {indicator.name}",
        "ind": indicator,
        "target_text": format_number_input(indicator.target),
        "due_text": date_input(indicator.due_date),
        "edit": edit or FormState("target-edit"),
        **history.record_context(
            db_session, entity="indicator", key=f"{plan.code}/{indicator.code}"
        ),
        **_labels(db_session),
    }


@router.get("/admin/targets/{code}", response_class=HTMLResponse)
def target_page(request: Request, code: str, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, "admin/target.html", _target_context(db_session, code), block="edit")


@router.post("/admin/targets/{code}", response_class=HTMLResponse)
async def update_target(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    domains = domain_service.list_domains(db_session=db_session, active=True)
    typed = await read_form(request, (*_FIELDS, *(_domain_field(d.code) for d in domains)))
    due, due_error = parse_date_vi(typed["due_date"])
    data = {
        "name": typed["name"],
        "comparator": typed["comparator"] or None,
        "target": parse_number_vi(typed["target"]),
        "due_date": due,
        "responsible_unit": blank_none(typed["responsible_unit"]),
        "disaggregation": typed["disaggregation"] or None,
        "description": typed["description"],
        "version": typed["version"] or None,
    }
    if data["target"] is None:
        data.pop("target")
        due_error_map = {"target": "Hãy nhập giá trị chỉ tiêu."}
    else:
        due_error_map = {}
    if due_error:
        due_error_map["due_date"] = due_error
    plan = plan_service.get_plan(db_session=db_session, code=None)
    current = indicator_service.get_indicator(db_session=db_session, plan=plan, code=code)
    if current.disaggregation == "domain" and (typed["disaggregation"] or "domain") == "domain":
        targets, target_errors = _domain_targets(typed, domains, current.measure == "percent")
        data["domain_targets"] = targets
        due_error_map |= target_errors
    outcome = attempt(
        db_session,
        IndicatorUpdate,
        data,
        lambda parsed: indicator_service.update_indicator(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            plan_code=None,
            code=code,
            data=parsed,
        ),
        errors=due_error_map,
    )
    return answer(
        request,
        outcome,
        template="admin/target.html",
        context=lambda: _target_context(
            db_session, code, outcome.state("target-edit", typed, saved="Đã lưu chỉ tiêu.")
        ),
        block="edit",
        oob=True,
        redirect=f"/admin/targets/{code}",
    )
