"""The PAR Index self-assessment in the browser (``/chi-so-cchc``): the year's overview with
where the points are, one page per criterion (proposal, evidence, review, responsibility), and
the criteria table. Every form calls the API's service (``app.par.service``); a refusal redraws
the form with what was typed and the message next to the field, a success reloads the page.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
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
    form_errors,
    number_text,
    read_form,
    redirect_after,
)
from app.par import framework, service
from app.par.models import (
    ASSESSMENT_STATUS_LABELS,
    ITEM_STATUS_LABELS,
    SCORED_BY_LABELS,
    AssessmentCreate,
    CriterionUpdate,
    ItemSettings,
    ProposalWrite,
    PublishedResult,
    ReviewWrite,
)
from app.par.rules import rule_text
from app.permissions import CITY_ROLES, Permission, Role, can
from app.plans.models import Plan
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits
from app.progress.evidence.store import store_from_settings
from app.progress.evidence.upload import received_form
from app.templating import render
from app.units.models import Unit
from app.uploads.bulk import ImportOptions
from app.uploads.files import FileProblem, Upload, upload_from_bytes

router = APIRouter(include_in_schema=False)

BASE = "/chi-so-cchc"


def _labels() -> dict[str, Any]:
    return {
        "item_status": ITEM_STATUS_LABELS,
        "assessment_status": ASSESSMENT_STATUS_LABELS,
        "scored_by": SCORED_BY_LABELS,
    }


def _may_review(actor: Actor) -> bool:
    return can(actor, Permission.REVIEW)


def _may_appraise(actor: Actor) -> bool:
    return can(actor, Permission.WARDS_MANAGE) or can(actor, Permission.REVIEW)


def _may_propose(actor: Actor, unit: str | None) -> bool:
    return can(actor, Permission.DATA_WRITE, unit_code=unit) if unit else False


# --- the list of years ---------------------------------------------------------------------------


def _index_context(
    db_session: Session, actor: Actor, clock: Clock, state: FormState
) -> dict[str, Any]:
    service.require_ward(actor)
    years = [
        service.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=a.year)
        for a in service.list_assessments(db_session, actor)
    ]
    plans = db_session.exec(select(Plan).order_by(col(Plan.first_year).desc())).all()
    tables = framework.list_frameworks(db_session)
    return {
        "title": "Tự đánh giá Chỉ số CCHC",
        "years": years,
        "plans": [(p.code, f"{p.number} ({p.first_year}–{p.last_year})") for p in plans],
        "frameworks": tables,
        "framework_options": [(t.code, f"{t.title} ({t.year})") for t in tables],
        "create": state,
        "may_review": _may_review(actor),
        "this_year": clock.today().year,
        **_labels(),
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
    summary = service.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=year)
    items = service.list_items(
        db_session=db_session,
        actor=actor,
        clock=clock,
        year=year,
        unit=unit or None,
        area=area or None,
        missing=missing,
    )
    chances = service.opportunities(db_session=db_session, actor=actor, clock=clock, year=year)
    forms = forms or {}
    return {
        "title": f"Chỉ số CCHC năm {year}",
        "s": summary,
        "items": items,
        "chances": [c for c in chances if c.obtainable > 0][:15],
        "filters": {"unit": unit or "", "area": area or "", "missing": missing},
        "units": sorted({i.responsible_unit for i in items if i.responsible_unit}),
        "may_review": _may_review(actor),
        "may_appraise": _may_appraise(actor),
        "publish": forms.get("publish", FormState("par-publish")),
        "submit_form": forms.get("submit", FormState("par-submit")),
        "appraisal": forms.get("appraisal", FormState("par-appraisal")),
        "imported": imported,
        **_labels(),
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


@router.post(BASE + "/{year}/gui", response_class=HTMLResponse)
async def submit_year(
    request: Request, year: int, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    typed = await read_form(request, ("version",))

    def work() -> Response:
        outcome = attempt(
            db_session,
            None,
            {},
            lambda _: service.submit_assessment(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                year=year,
                version=int(typed["version"]) if typed["version"].isdigit() else None,
            ),
        )
        return answer(
            request,
            outcome,
            template="par/year.html",
            context=lambda: _year_context(
                db_session,
                identity.actor,
                clock,
                year,
                forms={"submit": outcome.state("par-submit", typed)},
            ),
            block="submit",
            redirect=f"{BASE}/{year}",
            hx_redirect=True,
        )

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
            lambda parsed: service.publish_result(
                db_session=db_session, actor=identity.actor, clock=clock, year=year, data=parsed
            ),
        )
        return answer(
            request,
            outcome,
            template="par/year.html",
            context=lambda: _year_context(
                db_session,
                identity.actor,
                clock,
                year,
                forms={"publish": outcome.state("par-publish", typed)},
            ),
            block="publish",
            redirect=f"{BASE}/{year}",
            hx_redirect=True,
        )

    return await run_in_threadpool(work)


@router.post(BASE + "/{year}/tham-dinh", response_class=HTMLResponse)
async def import_appraisal_page(
    request: Request, year: int, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The city's appraisal table uploaded: checked (``dry_run``) or recorded, all or nothing."""
    limit = request.app.state.settings.max_upload_bytes
    db_session.close()  # the pooled connection goes back while a slow body arrives
    refusal: AppError | None = None
    upload: Upload | None = None
    dry_run = False
    try:
        part, form = await received_form(request, limit=limit)
        dry_run = form.get("check") == "1"
        name = part.filename or ""
        content = await part.read()
        kind = "xlsx" if name.lower().endswith(".xlsx") else "csv"
        upload = upload_from_bytes(content, kind, name)
    except AppError as exc:
        refusal = exc
    except FileProblem as problem:
        refusal = AppError(message=problem.errors[0][1].message if problem.errors else "Tệp lỗi.")

    def work() -> Response:
        imported = None
        state = FormState("par-appraisal")
        if refusal is not None:
            state = FormState("par-appraisal", errors={"file": refusal.message})
        else:
            assert upload is not None
            try:
                result = service.import_appraisal(
                    db_session=db_session,
                    actor=identity.actor,
                    clock=clock,
                    year=year,
                    upload=upload,
                    options=ImportOptions(dry_run=dry_run),
                )
                imported = result.summary
                if result.written:
                    state = FormState("par-appraisal", saved="Đã ghi điểm thẩm định.")
            except AppError as exc:
                db_session.rollback()
                state = FormState("par-appraisal", errors=form_errors(exc))
            finally:
                upload.close()
        status = (
            422 if (imported is not None and imported.status == "error") or state.errors else 200
        )
        context = _year_context(
            db_session, identity.actor, clock, year, forms={"appraisal": state}, imported=imported
        )
        return render(request, "par/year.html", context, block="appraisal", status_code=status)

    return await run_in_threadpool(work)


# --- one criterion -------------------------------------------------------------------------------


def _item_context(
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    criterion: str,
    forms: dict[str, FormState] | None = None,
) -> dict[str, Any]:
    item = service.read_item(
        db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion
    )
    summary = service.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=year)
    forms = forms or {}
    units = db_session.exec(
        select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.code))
    ).all()
    may_review = _may_review(actor) and (
        actor.unit_code != item.responsible_unit or actor.role in (Role.ADMIN, *CITY_ROLES)
    )
    return {
        "title": f"Tiêu chí {item.criterion} · Chỉ số CCHC {year}",
        "year": year,
        "s": summary,
        "item": item,
        "unit_options": [(u.code, u.name) for u in units],
        "open": summary.status == "open",
        "may_propose": _may_propose(actor, item.responsible_unit),
        "may_review": may_review,
        "may_settle": _may_review(actor),
        "proposal": forms.get("proposal", FormState("par-proposal")),
        "review": forms.get("review", FormState("par-review")),
        "settings": forms.get("settings", FormState("par-settings")),
        "evidence": forms.get("evidence", FormState("par-evidence")),
        "base": f"{BASE}/{year}/tieu-chi/{criterion}",
        **_labels(),
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

    def work() -> Response:
        outcome = attempt(
            db_session,
            ProposalWrite,
            data,
            lambda parsed: service.save_proposal(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                year=year,
                criterion=criterion,
                data=parsed,
            ),
        )
        return _item_answer(
            request, db_session, identity.actor, clock, year, criterion, outcome, "proposal", typed
        )

    return await run_in_threadpool(work)


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

    def work() -> Response:
        outcome = attempt(
            db_session,
            ReviewWrite,
            data,
            lambda parsed: service.review(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                year=year,
                criterion=criterion,
                data=parsed,
            ),
        )
        return _item_answer(
            request, db_session, identity.actor, clock, year, criterion, outcome, "review", typed
        )

    return await run_in_threadpool(work)


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

    def work() -> Response:
        outcome = attempt(
            db_session,
            ItemSettings,
            data,
            lambda parsed: service.update_settings(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                year=year,
                criterion=criterion,
                data=parsed,
            ),
        )
        return _item_answer(
            request, db_session, identity.actor, clock, year, criterion, outcome, "settings", typed
        )

    return await run_in_threadpool(work)


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
    settings = request.app.state.settings
    limits = EvidenceLimits.of(settings)
    actor = identity.actor
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
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
            return service.attach_file(
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
    typed = await read_form(request, ("url", "task", "note"))

    def write(_: Any) -> Any:
        if typed["task"].strip():
            return service.attach_task(
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
        return service.attach_link(
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
        lambda _: service.remove_evidence(
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


# --- the criteria table --------------------------------------------------------------------------


def _table_context(
    db_session: Session, actor: Actor, code: str, forms: dict[str, FormState] | None = None,
    imported: Any = None, editing: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    table = framework.read_framework(db_session, code)
    forms = forms or {}
    editing_row = next((c for c in table.criteria if c.code == editing), None)
    return {
        "title": f"Bảng tiêu chí {table.code}",
        "t": table,
        "may_edit": can(actor, Permission.PLAN_WRITE),
        "edit": forms.get("edit", FormState("par-criterion")),
        "editing": editing_row,
        "editing_rule": rule_text([b.model_dump() for b in editing_row.rule])
        if editing_row
        else "",
        "upload": forms.get("upload", FormState("par-upload")),
        "imported": imported,
        **_labels(),
    }


@router.get(BASE + "/khung/{code}", response_class=HTMLResponse)
def table_page(
    request: Request,
    code: str,
    identity: WebUser,
    db_session: SessionDep,
    sua: str = "",
) -> Response:
    context = _table_context(db_session, identity.actor, code, editing=sua or None)
    return render(request, "par/framework.html", context)


@router.post(BASE + "/khung/{code}/tieu-chi/{criterion}", response_class=HTMLResponse)
async def edit_criterion_page(
    request: Request,
    code: str,
    criterion: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
) -> Response:
    names = ("title", "max_points", "method", "evidence", "scored_by", "indicator", "rule",
             "official", "version")  # fmt: skip
    typed = await read_form(request, names)
    data: dict[str, Any] = {
        "title": typed["title"],
        "max_points": number_text(typed["max_points"]),
        "method": typed["method"],
        "evidence": typed["evidence"],
        "scored_by": typed["scored_by"] or None,
        "indicator": typed["indicator"].strip() or None,
        "rule": typed["rule"],
        "official": typed["official"] == "1",
        "version": typed["version"] or None,
    }

    def work() -> Response:
        outcome = attempt(
            db_session,
            CriterionUpdate,
            {k: v for k, v in data.items() if v is not None or k == "indicator"},
            lambda parsed: framework.update_criterion(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                framework=code,
                code=criterion,
                data=parsed,
            ),
        )
        return answer(
            request,
            outcome,
            template="par/framework.html",
            context=lambda: _table_context(
                db_session,
                identity.actor,
                code,
                {"edit": outcome.state("par-criterion", typed)},
                editing=criterion,
            ),
            block="edit",
            redirect=f"{BASE}/khung/{code}#c-{criterion}",
            hx_redirect=True,
        )

    return await run_in_threadpool(work)


@router.post(BASE + "/khung/{code}/nhap", response_class=HTMLResponse)
async def import_table_page(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The city's table uploaded from the browser: the same import as the API's."""
    from app.par.api import framework_authorized

    framework_authorized(db_session, identity.actor)  # the role before the body
    limit = request.app.state.settings.max_upload_bytes
    db_session.close()
    refusal: str | None = None
    upload: Upload | None = None
    form: Any = {}
    try:
        part, form = await received_form(request, limit=limit)
        name = part.filename or ""
        content = await part.read()
        kind = "xlsx" if name.lower().endswith(".xlsx") else "csv"
        upload = upload_from_bytes(content, kind, name)
    except AppError as exc:
        refusal = exc.message

    def work() -> Response:
        imported = None
        state = FormState("par-upload")
        table = framework.get_framework(db_session, code)
        if refusal is not None:
            state = FormState("par-upload", errors={"file": refusal})
        else:
            assert upload is not None
            try:
                header = framework.FrameworkHeader(
                    year=table.year,
                    title=str(form.get("title") or ""),
                    source=str(form.get("source") or ""),
                    official=form.get("official") == "1",
                )
                result = framework.import_criteria(
                    db_session=db_session,
                    actor=identity.actor,
                    clock=clock,
                    code=code,
                    header=header,
                    upload=upload,
                    options=ImportOptions(dry_run=form.get("check") == "1"),
                )
                imported = result.summary
                if result.written:
                    return redirect_after(request, f"{BASE}/khung/{code}?nhap=1")
            except AppError as exc:
                db_session.rollback()
                state = FormState("par-upload", errors=form_errors(exc))
            finally:
                upload.close()
        status = (
            422 if (imported is not None and imported.status == "error") or state.errors else 200
        )
        context = _table_context(
            db_session, identity.actor, code, {"upload": state}, imported=imported
        )
        return render(request, "par/framework.html", context, block="upload", status_code=status)

    return await run_in_threadpool(work)
