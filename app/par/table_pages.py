"""The city's criteria table in the browser: read by everyone, edited and imported by the city."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import AppError, Invalid, translate_validation_errors
from app.forms import (
    FormState,
    answer,
    attempt,
    field_messages,
    form_errors,
    number_text,
    read_form,
    redirect_after,
)
from app.par import criteria_import, framework
from app.par.models import (
    CriterionUpdate,
)
from app.par.pages import BASE, labels, may_edit_tables
from app.par.rules import rule_text
from app.routes import Routes
from app.schemas import CODE_PATTERN
from app.templating import render
from app.uploads.bulk import ImportOptions
from app.uploads.receive import Received, received_page

router = Routes(include_in_schema=False)

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
        "may_edit": may_edit_tables(db_session, actor),
        "edit": forms.get("edit", FormState("par-criterion")),
        "editing": editing_row,
        "editing_rule": rule_text([b.model_dump() for b in editing_row.rule])
        if editing_row
        else "",
        "upload": forms.get("upload", FormState("par-upload")),
        "imported": imported,
        **labels(),
    }


def _new_context(state: FormState, imported: Any = None) -> dict[str, Any]:
    return {"title": "Nhập bảng tiêu chí mới", "upload": state, "imported": imported}


@router.get(BASE + "/khung/moi", response_class=HTMLResponse)
def new_table_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    """Where the city's table of a new year is imported from the browser (its code and year
    typed with the file)."""
    from app.par.framework_api import framework_authorized

    framework_authorized(db_session, identity.actor)
    return render(request, "par/framework_new.html", _new_context(FormState("par-new-table")))


@router.post(BASE + "/khung/moi", response_class=HTMLResponse)
async def import_new_table(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """A new table (``POST /api/v1/par-frameworks/{code}/criteria/import``'s twin), received as
    every import is (``app/uploads/receive.py``)."""
    from app.par.framework_api import framework_authorized

    framework_authorized(db_session, identity.actor)  # the role before the body

    def work(got: Received) -> Response:
        typed = {k: got.field(k) for k in ("code", "year", "title", "source")}
        if got.upload is None:
            return _new_refused(request, typed, got.problem_text(), 422)
        code = typed["code"].strip().lower()
        try:
            header = criteria_import.FrameworkHeader.model_validate(
                {"year": typed["year"].strip() or None, "title": typed["title"],
                 "source": typed["source"], "official": got.field("official") == "1"}
            )  # fmt: skip
            if not re.fullmatch(CODE_PATTERN, code):
                raise Invalid.one("code", "invalid", "Mã bảng: chữ thường, số và gạch nối.")
            result = criteria_import.import_criteria(
                db_session=db_session, actor=identity.actor, clock=clock, code=code,
                header=header, upload=got.upload,
                options=ImportOptions(dry_run=got.field("check") == "1"),
            )  # fmt: skip
        except (AppError, ValidationError) as exc:
            db_session.rollback()
            errors = (
                form_errors(exc)
                if isinstance(exc, AppError)
                else field_messages(translate_validation_errors(list(exc.errors())))
            )
            state = FormState("par-new-table", typed=typed, errors=errors)
            return render(request, "par/framework_new.html", _new_context(state),
                          block="upload", status_code=422)  # fmt: skip
        if result.written:
            return redirect_after(request, f"{BASE}/khung/{code}?nhap=1")
        state = FormState("par-new-table", typed=typed)
        status = 422 if result.summary.status == "error" else 200
        return render(request, "par/framework_new.html", _new_context(state, result.summary),
                      block="upload", status_code=status)  # fmt: skip

    return await received_page(
        request, db_session=db_session, actor=identity.actor, now=clock.now(), work=work,
        refused=lambda exc: _new_refused(request, {}, exc.message, exc.status_code),
    )  # fmt: skip


def _new_refused(request: Request, typed: dict[str, str], message: str, status: int) -> Response:
    refused = FormState("par-new-table", typed=typed, errors={"file": message})
    return render(request, "par/framework_new.html", _new_context(refused),
                  block="upload", status_code=status)  # fmt: skip


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
    """The city's table uploaded from the browser: the same import as the API's, received the
    same way (``app/uploads/receive.py``)."""
    from app.par.framework_api import framework_authorized

    actor = identity.actor
    framework_authorized(db_session, actor)  # the role before the body

    def work(got: Received) -> Response:
        imported = None
        state = FormState("par-upload")
        table = framework.get_framework(db_session, code)
        if got.upload is None:
            state = FormState("par-upload", errors={"file": got.problem_text()})
        else:
            try:
                header = criteria_import.FrameworkHeader(
                    year=table.year,
                    title=got.field("title"),
                    source=got.field("source"),
                    official=got.field("official") == "1",
                )
                result = criteria_import.import_criteria(
                    db_session=db_session,
                    actor=actor,
                    clock=clock,
                    code=code,
                    header=header,
                    upload=got.upload,
                    options=ImportOptions(dry_run=got.field("check") == "1"),
                )
                imported = result.summary
                if result.written:
                    return redirect_after(request, f"{BASE}/khung/{code}?nhap=1")
            except AppError as exc:
                db_session.rollback()
                state = FormState("par-upload", errors=form_errors(exc))
        status = (
            422 if (imported is not None and imported.status == "error") or state.errors else 200
        )
        return _upload_block(request, db_session, actor, code, state, imported, status)

    def refused(exc: AppError) -> Response:
        state = FormState("par-upload", errors={"file": exc.message})
        return _upload_block(request, db_session, actor, code, state, None, exc.status_code)

    return await received_page(
        request, db_session=db_session, actor=actor, now=clock.now(), work=work, refused=refused
    )


def _upload_block(
    request: Request, db_session: Session, actor: Actor, code: str, state: FormState,
    imported: Any, status: int,
) -> Response:  # fmt: skip
    context = _table_context(db_session, actor, code, {"upload": state}, imported=imported)
    return render(request, "par/framework.html", context, block="upload", status_code=status)
