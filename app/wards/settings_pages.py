"""The ward's own settings page: which SIPAS questionnaire version its survey uses (the twin of
``GET``/``PUT /api/v1/sipas/ward-version``, through the same service function)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import Forbidden
from app.forms import FormState, answer, attempt, read_form
from app.routes import Routes
from app.sipas import questionnaire, ward_version
from app.sipas.models import QuestionnaireStatus, WardVersionUpdate
from app.templating import render

router = Routes(include_in_schema=False)

SETTINGS_PAGE = "/phuong-xa/cai-dat"
SIPAS_FORM = SETTINGS_PAGE + "/sipas"
TEMPLATE = "wards/settings.html"


def _options(db_session: Session, city_version: str) -> list[tuple[str, str]]:
    """The versions a ward may choose, as the select shows them (drafts are not offered)."""
    rows = questionnaire.all_versions(db_session=db_session)
    options = [("", f"Theo phiếu Thành phố công bố (hiện là phiên bản {city_version})")]
    for row in reversed(rows):
        if row.status == QuestionnaireStatus.DRAFT:
            continue
        note = " — Thành phố đang dùng" if row.version == city_version else ""
        options.append((row.version, f"Phiên bản {row.version}: {row.title}{note}"))
    return options


def _context(db_session: Session, clock: Clock, actor: Actor, state: FormState) -> dict[str, Any]:
    setting = ward_version.get_setting(db_session=db_session, clock=clock)
    if state.typed is None:
        state.typed = {"questionnaire": setting.version if setting.chosen else ""}
    return {
        "title": "Cài đặt của phường, xã",
        "setting": setting,
        "options": _options(db_session, setting.city_version),
        "may_choose": ward_version.may_choose(actor),
        "form": state,
    }


@router.get(SETTINGS_PAGE, response_class=HTMLResponse)
def settings_page(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """Everyone of the ward may see which form its citizens are shown; admins may change it."""
    context = _context(db_session, clock, identity.actor, FormState("sipas-version-form"))
    return render(request, TEMPLATE, context, block="sipas_version")


@router.post(SIPAS_FORM, response_class=HTMLResponse)
async def choose_version(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The API's own schema and service: the same checks, messages and audit record."""
    if not ward_version.may_choose(identity.actor):  # the role before the form
        raise Forbidden(ward_version.REFUSAL)
    typed = await read_form(request, ("questionnaire",))
    chosen = typed["questionnaire"].strip()
    outcome = attempt(
        db_session,
        WardVersionUpdate,
        {"questionnaire": chosen or None},
        lambda parsed: ward_version.set_setting(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    saved = f"Đã lưu: phiếu khảo sát phiên bản {outcome.result.version}." if outcome.ok else ""
    return answer(
        request,
        outcome,
        template=TEMPLATE,
        context=lambda: _context(
            db_session, clock, identity.actor, outcome.state("sipas-version-form", typed, saved)
        ),
        block="sipas_version",
        redirect=SETTINGS_PAGE + "?da_luu=1#sipas-version",
    )
