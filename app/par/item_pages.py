"""One criterion of a ward's year in the browser: the unit's proposal and evidence, the office's
review and the responsibility; each form redrawn with its message on a refusal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlmodel import Session, col, select

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError
from app.forms import (
    FormState,
    Outcome,
    answer,
    attempt,
    number_text,
    read_form,
)
from app.par import evidence, reads, results, service
from app.par.models import (
    ItemSettings,
    ProposalWrite,
    ReviewWrite,
)
from app.par.pages import BASE, labels, may_propose, may_review
from app.permissions import CITY_ROLES, Role
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits
from app.progress.evidence.store import store_from_settings
from app.progress.evidence.upload import received_form
from app.routes import Routes
from app.templating import render
from app.units.models import Unit

router = Routes(include_in_schema=False)

# --- one criterion -------------------------------------------------------------------------------


def _item_context(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    forms: dict[str, FormState] | None = None,
) -> dict[str, Any]:
    item = reads.read_item(
        db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion
    )
    summary = results.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=year)
    forms = forms or {}
    units = db_session.exec(
        select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.code))
    ).all()
    reviews = may_review(actor) and (
        actor.unit_code != item.responsible_unit or actor.role in (Role.ADMIN, *CITY_ROLES)
    )
    return {
        "title": f"Tiêu chí {item.criterion} · Chỉ số CCHC {year}",
        "year": year,
        "s": summary,
        "item": item,
        "unit_options": [(u.code, u.name) for u in units],
        "open": summary.status == "open",
        "may_propose": may_propose(actor, item.responsible_unit),
        "may_review": reviews,
        "may_settle": may_review(actor),
        "proposal": forms.get("proposal", FormState("par-proposal")),
        "review": forms.get("review", FormState("par-review")),
        "settings": forms.get("settings", FormState("par-settings")),
        "evidence": forms.get("evidence", FormState("par-evidence")),
        "base": f"{BASE}/{year}/tieu-chi/{criterion}",
        **labels(),
    }


@router.get(BASE + "/{year}/tieu-chi/{criterion}", response_class=HTMLResponse)
def item_page(
    request: Request,
    year: int,
    criterion: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    context = _item_context(db_session, identity.actor, clock, year, criterion)
    return render(request, "par/item.html", context)


def _item_answer(
    request: Request,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    outcome: Outcome,
    form: str,
    typed: dict[str, Any],
) -> Response:
    return answer(
        request,
        outcome,
        template="par/item.html",
        context=lambda: _item_context(
            db_session, actor, clock, year, criterion, {form: outcome.state(f"par-{form}", typed)}
        ),
        block=form,
        redirect=f"{BASE}/{year}/tieu-chi/{criterion}",
        hx_redirect=True,
    )


async def _write(
    request: Request,
    actor: Actor,
    db_session: Session,
    clock: Clock,
    where: tuple[int, str],
    model: type[BaseModel],
    data: dict[str, Any],
    write: Callable[..., Any],
    form: str,
    typed: dict[str, Any],
) -> Response:
    """One form's write through the API's service (which takes the criterion and the parsed
    input), answered as the form's block or a reload, off the event loop."""
    year, criterion = where

    def work() -> Response:
        outcome = attempt(
            db_session,
            model,
            data,
            lambda parsed: write(
                db_session=db_session,
                actor=actor,
                clock=clock,
                year=year,
                criterion=criterion,
                data=parsed,
            ),
        )
        return _item_answer(
            request, db_session, actor, clock, year, criterion, outcome, form, typed
        )

    return await run_in_threadpool(work)


@router.post(BASE + "/{year}/tieu-chi/{criterion}/de-xuat", response_class=HTMLResponse)
async def propose_page(
    request: Request,
    year: int,
    criterion: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    typed = await read_form(request, ("points", "note", "reason", "action", "version"))
    data = {
        "points": number_text(typed["points"]),
        "note": typed["note"],
        "reason": typed["reason"],
        "submit": typed["action"] != "draft",
        "version": typed["version"] or None,
    }
    if data["points"] is None:
        data.pop("points")

    return await _write(
        request, identity.actor, db_session, clock, (year, criterion), ProposalWrite, data,
        service.save_proposal, "proposal", typed,
    )  # fmt: skip


@router.post(BASE + "/{year}/tieu-chi/{criterion}/danh-gia", response_class=HTMLResponse)
async def review_page(
    request: Request,
    year: int,
    criterion: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    typed = await read_form(request, ("decision", "points", "comment", "version"))
    data: dict[str, Any] = {
        "decision": typed["decision"],
        "points": number_text(typed["points"]),
        "comment": typed["comment"],
        "version": typed["version"] or None,
    }

    return await _write(
        request, identity.actor, db_session, clock, (year, criterion), ReviewWrite, data,
        service.review, "review", typed,
    )  # fmt: skip


@router.post(BASE + "/{year}/tieu-chi/{criterion}/cai-dat", response_class=HTMLResponse)
async def settings_page(
    request: Request,
    year: int,
    criterion: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    typed = await read_form(request, ("responsible_unit", "tasks", "applicable", "version"))
    data: dict[str, Any] = {
        "responsible_unit": typed["responsible_unit"].strip() or None,
        "tasks": [t for t in re.split(r"[\s,;]+", typed["tasks"]) if t],
        "applicable": typed["applicable"] == "1",
        "version": typed["version"] or None,
    }

    return await _write(
        request, identity.actor, db_session, clock, (year, criterion), ItemSettings, data,
        service.update_settings, "settings", typed,
    )  # fmt: skip


async def _evidence_file(
    request: Request, year: int, criterion: str, actor: Actor, db_session: Session, clock: Clock
) -> Response:
    """A file from the evidence form: received under the limits with no connection held."""
    settings = request.app.state.settings
    limits = EvidenceLimits.of(settings)
    db_session.close()
    refusal: AppError | None = None
    received: Any = None
    try:
        received = await received_form(request, limit=limits.max_bytes)
    except AppError as exc:
        refusal = exc

    def write_file(_: Any) -> Any:
        if refusal is not None:
            raise refusal
        part, form = received
        note = form.get("note")
        return evidence.attach_file(
            db_session=db_session,
            actor=actor,
            clock=clock,
            store=store_from_settings(settings),
            limits=limits,
            year=year,
            criterion=criterion,
            stream=part.file,
            filename=part.filename or "",
            note=note if isinstance(note, str) else "",
        )

    def work_file() -> Response:
        outcome = attempt(db_session, None, {}, write_file)
        return _item_answer(
            request, db_session, actor, clock, year, criterion, outcome, "evidence", {}
        )

    return await run_in_threadpool(work_file)


@router.post(BASE + "/{year}/tieu-chi/{criterion}/minh-chung", response_class=HTMLResponse)
async def evidence_page(
    request: Request,
    year: int,
    criterion: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    """A file (multipart), a link or a plan task, from the one evidence form of the page."""
    actor = identity.actor
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await _evidence_file(request, year, criterion, actor, db_session, clock)
    typed = await read_form(request, ("url", "task", "note"))

    def write(_: Any) -> Any:
        if typed["task"].strip():
            return evidence.attach_task(
                db_session=db_session,
                actor=actor,
                clock=clock,
                year=year,
                criterion=criterion,
                task=typed["task"],
                note=typed["note"],
            )
        from app.errors import Invalid
        from app.forms import validate

        parsed, errors = validate(
            EvidenceLinkCreate, {"url": typed["url"].strip(), "note": typed["note"]}
        )
        if parsed is None:
            name, message = next(iter(errors.items()))
            raise Invalid.one(name, "invalid", message)
        assert isinstance(parsed, EvidenceLinkCreate)
        return evidence.attach_link(
            db_session=db_session,
            actor=actor,
            clock=clock,
            year=year,
            criterion=criterion,
            data=parsed,
        )

    def work() -> Response:
        outcome = attempt(db_session, None, {}, write)
        return _item_answer(
            request, db_session, actor, clock, year, criterion, outcome, "evidence", typed
        )

    return await run_in_threadpool(work)


@router.post(
    BASE + "/{year}/tieu-chi/{criterion}/minh-chung/{key}/xoa", response_class=HTMLResponse
)
def remove_evidence_page(
    request: Request,
    year: int,
    criterion: str,
    key: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    outcome = attempt(
        db_session,
        None,
        {},
        lambda _: evidence.remove_evidence(
            db_session=db_session,
            actor=identity.actor,
            clock=clock,
            store=store_from_settings(request.app.state.settings),
            key=key,
        ),
    )
    return _item_answer(
        request, db_session, identity.actor, clock, year, criterion, outcome, "evidence", {}
    )
