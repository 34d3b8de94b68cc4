"""The PAR Index self-assessment in the browser (``/chi-so-cchc``): the year's overview with
where the points are, one page per criterion (proposal, evidence, review, responsibility), and
the criteria table. Every form calls the API's service (``app.par.service``); a refusal redraws
the form with what was typed and the message next to the field, a success reloads the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Forbidden
from app.forms import (
    FormState,
    Outcome,
    answer,
    attempt,
    form_errors,
    number_text,
    read_form,
)
from app.par import appraisal, framework, reads, results, service
from app.par.models import (
    ASSESSMENT_STATUS_LABELS,
    ITEM_STATUS_LABELS,
    SCORED_BY_LABELS,
    AssessmentCreate,
    PublishedResult,
)
from app.permissions import Permission, can
from app.plans.models import Plan
from app.routes import Routes
from app.templating import render
from app.tenancy import authorize_shared
from app.uploads.bulk import ImportOptions
from app.uploads.receive import Received, received_page

router = Routes(include_in_schema=False)

BASE = "/chi-so-cchc"


def labels() -> dict[str, Any]:
    return {
        "item_status": ITEM_STATUS_LABELS,
        "assessment_status": ASSESSMENT_STATUS_LABELS,
        "scored_by": SCORED_BY_LABELS,
    }


def may_review(actor: Actor) -> bool:
    return can(actor, Permission.REVIEW)


def _may_appraise(actor: Actor) -> bool:
    return can(actor, Permission.WARDS_MANAGE) or can(actor, Permission.REVIEW)


def may_edit_tables(db_session: Session, actor: Actor) -> bool:
    """The city's table is shared: its editors are the city's (or a one-ward installation's)."""
    try:
        authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    except Forbidden:
        return False
    return True


def may_propose(actor: Actor, unit: str | None) -> bool:
    return can(actor, Permission.DATA_WRITE, unit_code=unit) if unit else False


# --- the list of years ---------------------------------------------------------------------------


def _index_context(
    db_session: Session, actor: Actor, clock: Clock, state: FormState
) -> dict[str, Any]:
    reads.require_ward(actor)
    years = [
        results.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=a.year)
        for a in reads.list_assessments(db_session, actor)
    ]
    plans = db_session.exec(select(Plan).order_by(col(Plan.first_year).desc())).all()
    tables = framework.list_frameworks(db_session)
    return {
        "title": "Tự đánh giá Chỉ số CCHC",
        "years": years,
        "plans": [(p.code, f"{p.number} ({p.first_year}–{p.last_year})") for p in plans],
        "frameworks": tables,
        "gaps": results.year_gaps(db_session=db_session, actor=actor) if len(years) > 1 else [],
        "gap_years": sorted(y.year for y in years),
        "framework_options": [(t.code, f"{t.title} ({t.year})") for t in tables],
        "create": state,
        "may_review": may_review(actor),
        "may_edit_tables": may_edit_tables(db_session, actor),
        "this_year": clock.today().year,
        **labels(),
    }


@router.get(BASE, response_class=HTMLResponse)
def index_page(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    context = _index_context(db_session, identity.actor, clock, FormState("par-new"))
    return render(request, "par/index.html", context)


@router.post(BASE, response_class=HTMLResponse)
async def create_year(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    typed = await read_form(request, ("year", "plan", "framework"))
    data = {k: v.strip() for k, v in typed.items() if v.strip()}

    def work() -> Response:
        outcome = attempt(
            db_session,
            AssessmentCreate,
            data,
            lambda parsed: service.create_assessment(
                db_session=db_session, actor=identity.actor, clock=clock, data=parsed
            ),
        )
        target = f"{BASE}/{outcome.result.year}" if outcome.ok else BASE
        return answer(
            request,
            outcome,
            template="par/index.html",
            context=lambda: _index_context(
                db_session, identity.actor, clock, outcome.state("par-new", typed)
            ),
            block="create",
            redirect=target,
            hx_redirect=True,
        )

    return await run_in_threadpool(work)


# --- a year --------------------------------------------------------------------------------------


def _year_context(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    *,
    unit: str | None = None,
    area: str | None = None,
    missing: bool = False,
    forms: dict[str, FormState] | None = None,
    imported: Any = None,
) -> dict[str, Any]:
    summary = results.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=year)
    items = reads.list_items(
        db_session=db_session,
        actor=actor,
        clock=clock,
        year=year,
        unit=unit or None,
        area=area or None,
        missing=missing,
    )
    chances = results.opportunities(db_session=db_session, actor=actor, clock=clock, year=year)
    forms = forms or {}
    return {
        "title": f"Chỉ số CCHC năm {year}",
        "s": summary,
        "items": items,
        "chances": [c for c in chances if c.obtainable > 0][:15],
        "filters": {"unit": unit or "", "area": area or "", "missing": missing},
        "units": sorted({i.responsible_unit for i in items if i.responsible_unit}),
        "may_review": may_review(actor),
        "may_appraise": _may_appraise(actor),
        "publish": forms.get("publish", FormState("par-publish")),
        "submit_form": forms.get("submit", FormState("par-submit")),
        "appraisal": forms.get("appraisal", FormState("par-appraisal")),
        "imported": imported,
        **labels(),
    }


@router.get(BASE + "/{year}", response_class=HTMLResponse)
def year_page(
    request: Request,
    year: int,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    unit: str = "",
    area: str = "",
    missing: bool = False,
) -> Response:
    context = _year_context(
        db_session, identity.actor, clock, year, unit=unit, area=area, missing=missing
    )
    return render(request, "par/year.html", context, block="items")


def _year_answer(
    request: Request,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    outcome: Outcome,
    form: str,
    typed: dict[str, Any],
) -> Response:
    """A year-page form's answer: its block with the message (input kept), or a reload."""
    return answer(
        request,
        outcome,
        template="par/year.html",
        context=lambda: _year_context(
            db_session, actor, clock, year, forms={form: outcome.state(f"par-{form}", typed)}
        ),
        block=form,
        redirect=f"{BASE}/{year}",
        hx_redirect=True,
    )


@router.post(BASE + "/{year}/gui", response_class=HTMLResponse)
async def submit_year(
    request: Request, year: int, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    typed = await read_form(request, ("version",))
    version = int(typed["version"]) if typed["version"].isdigit() else None

    def work() -> Response:
        outcome = attempt(
            db_session,
            None,
            {},
            lambda _: service.submit_assessment(
                db_session=db_session, actor=identity.actor, clock=clock, year=year,
                version=version,
            ),
        )  # fmt: skip
        return _year_answer(request, db_session, identity.actor, clock, year, outcome,
                            "submit", typed)  # fmt: skip

    return await run_in_threadpool(work)


@router.post(BASE + "/{year}/cong-bo", response_class=HTMLResponse)
async def publish_year(
    request: Request, year: int, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    typed = await read_form(request, ("index", "rank", "of", "note"))
    data = {
        "index": number_text(typed["index"]),
        "rank": typed["rank"].strip() or None,
        "of": typed["of"].strip() or None,
        "note": typed["note"],
    }

    def work() -> Response:
        outcome = attempt(
            db_session,
            PublishedResult,
            data,
            lambda parsed: appraisal.publish_result(
                db_session=db_session, actor=identity.actor, clock=clock, year=year, data=parsed
            ),
        )
        return _year_answer(request, db_session, identity.actor, clock, year, outcome,
                            "publish", typed)  # fmt: skip

    return await run_in_threadpool(work)


@router.post(BASE + "/{year}/tham-dinh", response_class=HTMLResponse)
async def import_appraisal_page(
    request: Request, year: int, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The city's appraisal table uploaded: checked (``dry_run``) or recorded, all or nothing.
    Received as every import is (``app/uploads/receive.py``): the role refused before the body,
    no pooled connection held while it arrives, one of the user's import slots, 408/413/429."""
    actor = identity.actor
    appraisal.authorize_import(actor)

    def work(got: Received) -> Response:
        imported = None
        state = FormState("par-appraisal")
        if got.upload is None:
            state = FormState("par-appraisal", errors={"file": got.problem_text()})
        else:
            try:
                result = appraisal.import_appraisal(
                    db_session=db_session,
                    actor=actor,
                    clock=clock,
                    year=year,
                    upload=got.upload,
                    options=ImportOptions(dry_run=got.field("check") == "1"),
                )
                imported = result.summary
                if result.written:
                    state = FormState("par-appraisal", saved="Đã ghi điểm thẩm định.")
            except AppError as exc:
                db_session.rollback()
                state = FormState("par-appraisal", errors=form_errors(exc))
        status = (
            422 if (imported is not None and imported.status == "error") or state.errors else 200
        )
        return _appraisal_block(request, db_session, actor, clock, year, state, imported, status)

    def refused(exc: AppError) -> Response:
        state = FormState("par-appraisal", errors={"file": exc.message})
        return _appraisal_block(
            request, db_session, actor, clock, year, state, None, exc.status_code
        )

    return await received_page(
        request, db_session=db_session, actor=actor, now=clock.now(), work=work, refused=refused
    )


def _appraisal_block(
    request: Request, db_session: Session, actor: Actor, clock: Clock, year: int,
    state: FormState, imported: Any, status: int,
) -> Response:  # fmt: skip
    context = _year_context(
        db_session, actor, clock, year, forms={"appraisal": state}, imported=imported
    )
    return render(request, "par/year.html", context, block="appraisal", status_code=status)
