"""The ward and plan chooser of the top bar (the choice is remembered in cookies per browser),
and the city's list of wards with the form creating one (``POST /api/v1/wards``'s twin)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.dependencies import WebUser, secure_cookies
from app.accounts.request_state import request_identity
from app.actors import Actor
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import FormState, answer, attempt, read_form
from app.permissions import CITY_ROLES, Permission, authorize, can
from app.plans import service as plan_service
from app.routes import Routes
from app.templating import render
from app.wards import service as ward_service
from app.wards import settings_pages
from app.wards.header import header_for, kept_header
from app.wards.models import WardCreate
from app.wards.scope import PLAN_COOKIE, WARD_COOKIE, ward_by_code

router = Routes(include_in_schema=False)
router.include_router(settings_pages.router)

_YEAR = 365 * 24 * 3600


async def attach_ward_header(request: Request, db_session: SessionDep) -> None:
    """Page router dependency: the top bar's ward and plan, read on the request's session.

    Async so that a header this process keeps costs no worker thread (a page answered from
    memory then needs none); one missing is read on a thread. It runs after the router's
    ``require_web_identity`` and reads the person it let in from the request: naming ``WebUser``
    again made FastAPI walk that dependency's four dependencies a second time on every page."""
    identity = request_identity(request)
    if identity is None:
        raise RuntimeError("the ward header is for pages behind require_web_identity")
    city = identity.actor.role in CITY_ROLES
    header = kept_header(db_session, city=city)
    if header is None:
        header = await run_in_threadpool(lambda: header_for(db_session, city=city))
    request.state.ward_header = header


def _local(target: str | None) -> str:
    """Only a path of this site: ``next`` must not send the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/chon")
def choose(
    request: Request,
    identity: WebUser,
    db_session: SessionDep,
    plan: Annotated[str | None, Query(max_length=64)] = None,
    ward: Annotated[str | None, Query(max_length=64)] = None,
    next: Annotated[str | None, Query(max_length=2000)] = None,
) -> RedirectResponse:
    """Remember the chosen plan (and, for city accounts, ward), then go back where the user was.

    The scope dependency already refused a ward a ward account may not open and a plan that does
    not exist in the ward (``?plan=`` and ``?ward=`` are read there for every request).
    """
    response = RedirectResponse(_local(next), status_code=303)
    secure = secure_cookies(request)
    if ward and identity.actor.role in CITY_ROLES:
        ward_by_code(db_session, ward)
        response.set_cookie(WARD_COOKIE, ward, max_age=_YEAR, samesite="lax", secure=secure)
        if not plan:
            response.delete_cookie(PLAN_COOKIE)
    if plan:
        plan_service.get_plan(db_session=db_session, code=plan)
        response.set_cookie(PLAN_COOKIE, plan, max_age=_YEAR, samesite="lax", secure=secure)
    return response


WARDS_PAGE = "/thanh-pho/phuong-xa"
_FIELDS = ("code", "name", "city")


def _wards_context(db_session: Session, actor: Actor, state: FormState) -> dict[str, Any]:
    return {
        "title": "Phường, xã của Thành phố",
        "wards": ward_service.list_wards(db_session=db_session, actor=actor),
        "may_create": can(actor, Permission.WARDS_MANAGE),
        "form": state,
    }


@router.get(WARDS_PAGE, response_class=HTMLResponse)
def wards_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    """Every ward, for the city's accounts; its administrators also get the form adding one."""
    authorize(identity.actor, Permission.CITY_READ)
    context = _wards_context(db_session, identity.actor, FormState("ward-new"))
    return render(request, "wards/list.html", context, block="wards")


@router.post(WARDS_PAGE, response_class=HTMLResponse)
async def create_ward(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The API's own schema and service: the same checks, messages and audit record."""
    authorize(identity.actor, Permission.WARDS_MANAGE)  # the role before the form
    typed = await read_form(request, _FIELDS)
    data = {k: v.strip() for k, v in typed.items() if v.strip()}
    outcome = attempt(
        db_session,
        WardCreate,
        data,
        lambda parsed: ward_service.create_ward(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    saved = f"Đã tạo {outcome.result.name}." if outcome.ok else ""
    return answer(
        request,
        outcome,
        template="wards/list.html",
        context=lambda: _wards_context(
            db_session, identity.actor, outcome.state("ward-new", typed, saved=saved)
        ),
        block="wards",
        redirect=WARDS_PAGE,
    )
