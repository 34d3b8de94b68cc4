"""Reporting settings: the due-date rule per cadence, and the scoring configuration with a
preview of the current period's ranking under the proposed numbers before anything is saved."""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import translate_validation_errors
from app.forms import (
    FormState,
    Outcome,
    answer,
    attempt,
    format_number_input,
    parse_number_vi,
    read_form,
)
from app.permissions import Permission, authorize, can
from app.plans import service as plan_service
from app.routes import Routes
from app.scores import configuration, engine
from app.scores import service as score_service
from app.scores.models import ScoringConfigRead, ScoringConfigWrite
from app.scoring.config import ScoringConfig
from app.templating import render

router = Routes(include_in_schema=False)
TEMPLATE = "admin/settings.html"
#: Rows for classification bands: the current ones plus blank rows to add one.
EXTRA_BANDS = 1
_WEIGHTS = ("tasks", "indicators", "reporting")


def _config_typed(config: ScoringConfig) -> dict[str, Any]:
    """The configuration as the form shows it (Vietnamese decimals)."""
    typed: dict[str, Any] = {
        "version": config.version,
        "amber_distance": format_number_input(config.amber_distance),
        "late_credit": format_number_input(config.late_credit),
        **{f"w_{w}": format_number_input(getattr(config.weights, w)) for w in _WEIGHTS},
    }
    for i, band in enumerate(config.bands):
        typed[f"band_label_{i}"] = band.label
        typed[f"band_min_{i}"] = format_number_input(band.min_score)
    return typed


def _context(
    db_session: Session,
    actor: Actor,
    *,
    due: FormState | None = None,
    scoring: FormState | None = None,
    preview: list[dict[str, Any]] | None = None,
    preview_period: str = "",
) -> dict[str, Any]:
    plan = plan_service.get_plan(db_session=db_session, code=None)
    read = configuration.get_config(db_session=db_session)
    bands = len(read.config.bands) + EXTRA_BANDS
    if scoring is not None and scoring.typed is None:
        scoring.typed = _config_typed(read.config)
    if scoring is not None and scoring.typed:
        bands = max(bands, sum(1 for k in scoring.typed if k.startswith("band_label_")))
    return {
        "title": "Cài đặt báo cáo và chấm điểm",
        "due_days": plan.due_days or {},
        "due": due or FormState("due-days"),
        "config_read": read,
        "base_version": read.config.version,
        "scoring": scoring or FormState("scoring", typed=_config_typed(read.config)),
        "band_rows": range(bands),
        "preview": preview,
        "preview_period": preview_period,
        "can_score": can(actor, Permission.USERS_MANAGE),
    }


@router.get("/admin/settings", response_class=HTMLResponse)
def settings_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, TEMPLATE, _context(db_session, identity.actor), block="due_days")


@router.post("/admin/settings/due-days", response_class=HTMLResponse)
async def save_due_days(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, ("month", "quarter"))
    errors = {
        k: f"Hãy nhập một số ngày từ 1 đến {plan_service.MAX_DUE_DAY}."
        for k, v in typed.items()
        if not v.strip().isdigit() or not 1 <= int(v) <= plan_service.MAX_DUE_DAY
    }
    outcome = (
        Outcome(errors=errors, status_code=422)
        if errors
        else attempt(
            db_session,
            None,
            {k: int(v) for k, v in typed.items()},
            lambda days: plan_service.update_due_days(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                plan_code=None,
                due_days=days,
            ),
        )
    )
    return answer(
        request,
        outcome,
        template=TEMPLATE,
        context=lambda: _context(
            db_session,
            identity.actor,
            due=outcome.state("due-days", typed, saved="Đã lưu hạn gửi báo cáo."),
        ),
        block="due_days",
        redirect="/admin/settings",
    )


def _form_field(path: str) -> str:
    """``config.weights.tasks`` → ``w_tasks``; ``config.bands.2.label`` → ``band_label_2``."""
    parts = path.split(".")
    if parts[:1] == ["config"]:
        parts = parts[1:]
    if parts[:1] == ["weights"] and len(parts) > 1:
        return f"w_{parts[1]}"
    if parts[:1] == ["bands"] and len(parts) > 2:
        return f"band_{'label' if parts[2] == 'label' else 'min'}_{parts[1]}"
    return parts[0] if parts else "form"


def _parse_scoring(typed: dict[str, str], current: ScoringConfigRead) -> ScoringConfigWrite:
    """The form as the API's write schema; blank band rows are left out, area points kept."""
    rows = sorted(int(k.rsplit("_", 1)[1]) for k in typed if k.startswith("band_label_"))
    bands = [
        {
            "label": typed[f"band_label_{i}"],
            "min_score": parse_number_vi(typed.get(f"band_min_{i}", "")),
        }
        for i in rows
        if typed[f"band_label_{i}"].strip() or typed.get(f"band_min_{i}", "").strip()
    ]
    return ScoringConfigWrite.model_validate(
        {
            "config": {
                "version": typed["version"],
                "weights": {w: parse_number_vi(typed[f"w_{w}"]) for w in _WEIGHTS},
                "amber_distance": parse_number_vi(typed["amber_distance"]),
                "late_credit": parse_number_vi(typed["late_credit"]),
                "bands": bands,
                "area_max_points": dict(current.config.area_max_points),
            },
            "note": typed["note"],
            "base_version": typed["base_version"] or None,
        }
    )


def preview_ranking(
    *, db_session: Session, clock: Clock, proposed: ScoringConfig
) -> tuple[str, list[dict[str, Any]]]:
    """Score the latest ended period twice, with the rules in force and with the proposed ones,
    using the scoring engine itself so the preview can never disagree with the saved result."""
    frame = score_service.frame_for(db_session=db_session, clock=clock, plan=None)
    period = score_service.resolve_period(db_session=db_session, frame=frame, period=None)
    now = engine.score_period(db_session=db_session, frame=frame, period=period, ward=False)
    trial = dataclasses.replace(
        frame,
        config=proposed,
        config_read=ScoringConfigRead(source="override", config=proposed),
    )
    then = engine.score_period(db_session=db_session, frame=trial, period=period, ward=False)
    after = {r.unit.code: r for r in then.units}
    rows: list[dict[str, Any]] = [
        {
            "unit": r.unit,
            "rank": r.rank,
            "score": r.score.score,
            "band": r.classification,
            "new_rank": after[r.unit.code].rank,
            "new_score": after[r.unit.code].score.score,
            "new_band": after[r.unit.code].classification,
        }
        for r in now.units
    ]
    rows.sort(key=lambda x: (x["new_rank"] is None, x["new_rank"] or 0, x["unit"].code))
    return period.label_vi, rows


@router.post("/admin/settings/scoring", response_class=HTMLResponse)
async def scoring_config(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """``action=preview`` shows the ranking under the proposed numbers; ``action=save`` puts
    them in force through the scoring service (admins only, audited, new version label)."""
    authorize(identity.actor, Permission.USERS_MANAGE)
    form = await request.form()
    typed = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    # a field the form did not send is blank: the schema says it is missing (422), not a 500
    for name in ("note", "base_version", "version", "amber_distance", "late_credit",
                 *(f"w_{w}" for w in _WEIGHTS)):  # fmt: skip
        typed.setdefault(name, "")
    current = configuration.get_config(db_session=db_session)
    try:
        data = _parse_scoring(typed, current)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for e in translate_validation_errors(list(exc.errors())):
            errors.setdefault(_form_field(e.field), e.message)
        outcome = Outcome(errors=errors, status_code=422)
        data = None
    preview: list[dict[str, Any]] | None = None
    period = ""
    if data is not None and typed.get("action") == "save":
        outcome = attempt(
            db_session,
            None,
            {},
            lambda _: configuration.set_config(
                db_session=db_session, actor=identity.actor, clock=clock, data=data
            ),
        )
    elif data is not None:
        outcome = Outcome()
        period, preview = preview_ranking(db_session=db_session, clock=clock, proposed=data.config)
    if outcome.ok and typed.get("action") != "save":  # a preview: shown, never redirected
        context = _context(
            db_session,
            identity.actor,
            scoring=FormState("scoring", typed=typed),
            preview=preview,
            preview_period=period,
        )
        return render(request, TEMPLATE, context, block="scoring")
    return answer(
        request,
        outcome,
        template=TEMPLATE,
        context=lambda: _context(
            db_session,
            identity.actor,
            scoring=outcome.state("scoring", typed, saved="Đã lưu và áp dụng cấu hình mới."),
        ),
        block="scoring",
        redirect="/admin/settings?da_luu=1#scoring",
    )
