"""How a survey begins: a receipt's code checked (wrong codes counted against the address), traded
for a short-lived signed cookie so it never stays in the address bar, and the first screen drawn
with the service the code names."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session
from starlette.responses import Response

from app.accounts.dependencies import client_ip
from app.clock import Clock
from app.errors import TooManyRequests
from app.sipas import codes, collect, draft, throttle, ward_version
from app.sipas.collect import SurveyAnswers
from app.sipas.dependencies import settings_of, survey_policy
from app.sipas.models import Kiosk
from app.sipas.questionnaire import QuestionnaireContent, content_of
from app.sipas.survey_screen_pages import (
    KIOSK_HOME,
    SURVEY,
    message_page,
    render_step,
    signing_key,
)
from app.templating import render

CODE_COOKIE = "partrack_sipas_code"
CODE_COOKIE_SECONDS = int(collect.FORM_MAX_AGE.total_seconds())


def _checked_code(
    request: Request,
    db_session: Session,
    clock: Clock,
    *,
    mode: str,
    code_text: str,
    kiosk_ward: int | None,
) -> codes.CodeDetails | HTMLResponse:
    """The code's details, or the page that refuses it (counting a wrong code for the address),
    drawn in the questionnaire of the ward as the survey page tells it: the refused code's unit
    (an expired code still names it), else the kiosk's, else the only ward."""
    key = signing_key(request)
    policy = survey_policy(request)
    bucket = "code:" + collect.address_bucket(key, client_ip(request))
    try:
        throttle.check(db_session=db_session, clock=clock, bucket=bucket, limit=policy.per_address)
        return codes.check_code(
            db_session=db_session, signing_key=key, text=code_text, today=clock.today()
        )
    except TooManyRequests as exc:
        return message_page(request, "Xin thử lại sau", exc.message, status_code=429)
    except codes.CodeRefused as exc:
        # Count the wrong code (refusal comes from the check above, on the next try).
        throttle.hit(db_session=db_session, clock=clock, bucket=bucket, limit=10**6)
        content = _content(db_session, clock, kiosk_ward=kiosk_ward, unit_id=exc.unit_id)
        return render(
            request,
            "sipas/start.html",
            {
                "title": content.title,
                "content": content,
                "code_error": exc.message,
                "code_text": code_text,
                # After a spent code, inviting a second, code-less answer would be odd.
                "open_survey": settings_of(request).sipas_open_survey and exc.code != "code_spent",
                "kiosk": mode == "kiosk",
                "action": KIOSK_HOME if mode == "kiosk" else SURVEY,
                "idle_seconds": settings_of(request).sipas_kiosk_idle_seconds,
            },
            status_code=422,
        )


def _content(
    db_session: Session, clock: Clock, *, kiosk_ward: int | None, unit_id: int | None
) -> QuestionnaireContent:
    ward = ward_version.survey_ward(db_session, kiosk_ward=kiosk_ward, unit_id=unit_id)
    questionnaire = ward_version.questionnaire_for(db_session=db_session, clock=clock, ward_id=ward)
    return content_of(questionnaire)


def _start(
    request: Request,
    db_session: Session,
    clock: Clock,
    *,
    mode: str,
    code_text: str | None,
    kiosk: Kiosk | None = None,
) -> HTMLResponse:
    kiosk_ward = kiosk.ward_id if kiosk else None
    ward = ward_version.survey_ward(db_session, kiosk_ward=kiosk_ward, unit_id=None)
    questionnaire = ward_version.questionnaire_for(db_session=db_session, clock=clock, ward_id=ward)
    content = content_of(questionnaire)
    key = signing_key(request)
    details = None
    if code_text:
        checked = _checked_code(
            request, db_session, clock, mode=mode, code_text=code_text, kiosk_ward=kiosk_ward
        )
        if isinstance(checked, HTMLResponse):
            return checked
        details = checked
        # The code names the dossier's unit, hence its ward: the form is that ward's version.
        ward = ward_version.survey_ward(db_session, kiosk_ward=kiosk_ward, unit_id=checked.unit_id)
        questionnaire = ward_version.questionnaire_for(
            db_session=db_session, clock=clock, ward_id=ward
        )
        content = content_of(questionnaire)
    if details is None and not settings_of(request).sipas_open_survey:
        return render(
            request,
            "sipas/start.html",
            {
                "title": content.title,
                "content": content,
                "code_error": None,
                "code_text": "",
                "open_survey": False,
                "kiosk": mode == "kiosk",
                "action": KIOSK_HOME if mode == "kiosk" else SURVEY,
                "idle_seconds": settings_of(request).sipas_kiosk_idle_seconds,
            },
        )
    token = collect.issue_token(
        key,
        mode=mode,
        version=questionnaire.version,
        code=details.code if details else "",
        kiosk=kiosk.key if kiosk else "",
    )
    parsed, _ = collect.read_token(key, token)
    answers = SurveyAnswers(channel=details.channel or "" if details else "")
    return render_step(
        request,
        db_session,
        content=content,
        token=token,
        parsed=parsed,
        step=0,
        answers=answers,
        details=details,
    )


def _code_serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(request), salt="partrack-sipas-code-cookie")


def exchange_code(
    request: Request,
    db_session: Session,
    clock: Clock,
    *,
    mode: str,
    code_text: str,
    home: str,
    kiosk: Kiosk | None = None,
) -> Response:
    """Trade ``?ma=CODE`` for a short-lived signed cookie and a 303 to the same page without it.

    The code then never stays in the address bar, the browser's history, a Referer header or a
    proxy's log; a wrong code is refused right here (its page is the only one that shows it).
    """
    checked = _checked_code(
        request, db_session, clock, mode=mode, code_text=code_text,
        kiosk_ward=kiosk.ward_id if kiosk else None,
    )  # fmt: skip
    if isinstance(checked, HTMLResponse):
        return checked
    response = RedirectResponse(home, status_code=303)
    response.set_cookie(
        CODE_COOKIE,
        _code_serializer(request).dumps(checked.code),
        max_age=CODE_COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=SURVEY,
    )
    return response


def _code_from_cookie(request: Request) -> str | None:
    raw = request.cookies.get(CODE_COOKIE)
    if not raw:
        return None
    try:
        return str(_code_serializer(request).loads(raw, max_age=CODE_COOKIE_SECONDS))
    except BadSignature:  # forged or expired (SignatureExpired is a BadSignature)
        return None


def forget_code(response: Response) -> Response:
    """After sending: neither the code nor the answers stay in the browser."""
    response.delete_cookie(CODE_COOKIE, path=SURVEY)
    return draft.forget(response)


def start_with_cookie(
    request: Request, db_session: Session, clock: Clock, *, mode: str, kiosk: Kiosk | None = None
) -> Response:
    code_text = _code_from_cookie(request)
    response = _start(request, db_session, clock, mode=mode, code_text=code_text, kiosk=kiosk)
    # A refused code is shown once, then forgotten; on a shared kiosk the form token carries the
    # code from here on, so the next person at the tablet never inherits it.
    if code_text and (response.status_code != 200 or mode == "kiosk"):
        forget_code(response)
    return response
