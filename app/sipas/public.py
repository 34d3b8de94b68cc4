"""The public survey (no login): one screen per factor, working without JavaScript, and kiosks.

Every screen is a POST of the same form: the answers so far travel as hidden fields, so nothing is
stored before the citizen presses "Gửi phiếu", going back and forth loses nothing, and a browser's
back button after sending finds a spent form token instead of the previous person's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session, col, select
from starlette.responses import Response

from app.accounts.dependencies import client_ip
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Invalid, TooManyRequests
from app.kpis.models import Domain
from app.sipas import access_log, codes, collect, draft, kiosks, throttle
from app.sipas.collect import FormToken, SurveyAnswers
from app.sipas.dependencies import settings_of, survey_policy
from app.sipas.models import Kiosk
from app.sipas.questionnaire import (
    QuestionnaireContent,
    content_of,
    ensure_questionnaire,
    get_version,
)
from app.templating import render
from app.units.models import Unit

public_router = APIRouter(include_in_schema=False)
access_log.install_survey_url_filter()  # a 500 on /khao-sat?ma=… logs the URL without the code

KIOSK_COOKIE = "partrack_sipas_kiosk"
SURVEY = "/khao-sat"
KIOSK_HOME = "/khao-sat/kiosk"
THANKS = "/khao-sat/cam-on"
THANKS_OF = {"web": THANKS, "kiosk": THANKS + "?may=1"}
CODE_COOKIE = "partrack_sipas_code"
CODE_COOKIE_SECONDS = int(collect.FORM_MAX_AGE.total_seconds())


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    fields: tuple[str, ...]  # form field names shown on this screen


def steps_of(content: QuestionnaireContent) -> list[Step]:
    steps = [Step("dich-vu", "Dịch vụ bạn đã sử dụng", ("domain", "procedure", "channel"))]
    steps += [
        Step(f.code, f.name, tuple(f"r-{c.code}" for c in f.criteria)) for f in content.factors
    ]
    steps.append(
        Step(
            "mong-muon",
            "Mong muốn và góp ý",
            (*(f"e-{e.code}" for e in content.expectations), "comment"),
        )
    )
    return steps


def _signing_key(request: Request) -> str:
    return settings_of(request).signing_key()


def _kiosk_from_cookie(request: Request, db_session: Session) -> Kiosk | None:
    raw = request.cookies.get(KIOSK_COOKIE)
    if not raw:
        return None
    try:
        code = kiosks.kiosk_serializer(_signing_key(request)).loads(raw)
    except Exception:  # a forged or stale cookie is simply not a kiosk
        return None
    return kiosks.active_kiosk(db_session=db_session, code=str(code))


def _details_context(
    db_session: Session, details: codes.CodeDetails | None
) -> dict[str, str] | None:
    if details is None:
        return None
    unit = db_session.get(Unit, details.unit_id) if details.unit_id else None
    domain = db_session.get(Domain, details.domain_id) if details.domain_id else None
    return {
        "unit": unit.name if unit else "",
        "domain": domain.name if domain else "",
        "procedure": details.procedure_name,
        "channel": details.channel or "",
    }


def _domains(db_session: Session) -> list[Domain]:
    return list(
        db_session.exec(
            select(Domain)
            .where(col(Domain.active))
            .order_by(col(Domain.position), col(Domain.code))
        ).all()
    )


def _render_step(
    request: Request,
    db_session: Session,
    *,
    content: QuestionnaireContent,
    token: str,
    parsed: FormToken,
    step: int,
    answers: SurveyAnswers,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    notice: str | None = None,
    details: codes.CodeDetails | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    steps = steps_of(content)
    step = max(0, min(step, len(steps) - 1))
    shown = set(steps[step].fields)
    carried = {k: v for k, v in answers.fields().items() if k not in shown}
    if details is None and parsed.code:
        try:
            details = codes.check_code(
                db_session=db_session,
                signing_key=_signing_key(request),
                text=parsed.code,
                today=request.app.state.clock.today(),
            )
        except AppError:
            details = None
    return render(
        request,
        "sipas/survey.html",
        {
            "title": content.title,
            "content": content,
            "steps": steps,
            "step": step,
            "current": steps[step],
            "token": token,
            "kiosk": parsed.mode == "kiosk",
            "idle_seconds": settings_of(request).sipas_kiosk_idle_seconds,
            "answers": answers,
            "carried": carried,
            "errors": errors or {},
            "message": message,
            "notice": notice,
            "details": _details_context(db_session, details),
            "domains": _domains(db_session),
        },
        status_code=status_code,
    )


def _message(
    request: Request, title: str, message: str, *, status_code: int, kiosk: bool = False
) -> HTMLResponse:
    return render(
        request,
        "sipas/public_message.html",
        {
            "title": title,
            "message": message,
            "kiosk": kiosk,
            "idle_seconds": settings_of(request).sipas_kiosk_idle_seconds,
        },
        status_code=status_code,
    )


def _checked_code(
    request: Request,
    db_session: Session,
    clock: Clock,
    *,
    mode: str,
    code_text: str,
    content: QuestionnaireContent,
) -> codes.CodeDetails | HTMLResponse:
    """The code's details, or the page that refuses it (counting a wrong code for the address)."""
    key = _signing_key(request)
    policy = survey_policy(request)
    bucket = "code:" + collect.address_bucket(key, client_ip(request))
    try:
        throttle.check(db_session=db_session, clock=clock, bucket=bucket, limit=policy.per_address)
        return codes.check_code(
            db_session=db_session, signing_key=key, text=code_text, today=clock.today()
        )
    except TooManyRequests as exc:
        return _message(request, "Xin thử lại sau", exc.message, status_code=429)
    except codes.CodeRefused as exc:
        # Count the wrong code (refusal comes from the check above, on the next try).
        throttle.hit(db_session=db_session, clock=clock, bucket=bucket, limit=10**6)
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


def _start(
    request: Request,
    db_session: Session,
    clock: Clock,
    *,
    mode: str,
    code_text: str | None,
    kiosk: Kiosk | None = None,
) -> HTMLResponse:
    questionnaire = ensure_questionnaire(db_session=db_session, clock=clock)
    content = content_of(questionnaire)
    key = _signing_key(request)
    details = None
    if code_text:
        checked = _checked_code(
            request, db_session, clock, mode=mode, code_text=code_text, content=content
        )
        if isinstance(checked, HTMLResponse):
            return checked
        details = checked
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
        kiosk=kiosk.code if kiosk else "",
    )
    parsed, _ = collect.read_token(key, token)
    answers = SurveyAnswers(channel=details.channel or "" if details else "")
    return _render_step(
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
    return URLSafeTimedSerializer(_signing_key(request), salt="partrack-sipas-code-cookie")


def _exchange_code(
    request: Request, db_session: Session, clock: Clock, *, mode: str, code_text: str, home: str
) -> Response:
    """Trade ``?ma=CODE`` for a short-lived signed cookie and a 303 to the same page without it.

    The code then never stays in the address bar, the browser's history, a Referer header or a
    proxy's log; a wrong code is refused right here (its page is the only one that shows it).
    """
    content = content_of(ensure_questionnaire(db_session=db_session, clock=clock))
    checked = _checked_code(
        request, db_session, clock, mode=mode, code_text=code_text, content=content
    )
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


def _forget_code(response: Response) -> Response:
    """After sending: neither the code nor the answers stay in the browser."""
    response.delete_cookie(CODE_COOKIE, path=SURVEY)
    return draft.forget(response)


def _start_with_cookie(
    request: Request, db_session: Session, clock: Clock, *, mode: str, kiosk: Kiosk | None = None
) -> Response:
    code_text = _code_from_cookie(request)
    response = _start(request, db_session, clock, mode=mode, code_text=code_text, kiosk=kiosk)
    # A refused code is shown once, then forgotten; on a shared kiosk the form token carries the
    # code from here on, so the next person at the tablet never inherits it.
    if code_text and (response.status_code != 200 or mode == "kiosk"):
        _forget_code(response)
    return response


@public_router.get(SURVEY, response_class=HTMLResponse)
def survey_start(
    request: Request, db_session: SessionDep, clock: ClockDep, ma: str | None = None
) -> Response:
    """The QR code's link ``/khao-sat?ma=K7QM3XTP9A`` (exchanged for a cookie); or the survey."""
    if ma and ma.strip():  # a new receipt: whatever was begun before is dropped
        return draft.forget(
            _exchange_code(request, db_session, clock, mode="web", code_text=ma[:64], home=SURVEY)
        )
    resumed = _from_draft(request, db_session, step=0)  # the Back gesture to the first screen
    if resumed is not None:
        return resumed
    return draft.forget(_start_with_cookie(request, db_session, clock, mode="web"))


@public_router.get(KIOSK_HOME, response_class=HTMLResponse)
def kiosk_start(
    request: Request, db_session: SessionDep, clock: ClockDep, ma: str | None = None
) -> Response:
    kiosk = _kiosk_from_cookie(request, db_session)
    if kiosk is None:
        return _message(
            request,
            "Máy chưa được đăng ký",
            "Thiết bị này chưa được đăng ký làm máy khảo sát tại quầy. Cán bộ Trung tâm Phục vụ "
            "hành chính công đăng nhập rồi vào mục SIPAS › Máy khảo sát để đăng ký.",
            status_code=403,
        )
    if ma and ma.strip():
        return draft.forget(
            _exchange_code(
                request, db_session, clock, mode="kiosk", code_text=ma[:64], home=KIOSK_HOME
            )
        )
    # The kiosk's start is also its reset after idle time: the next person starts from nothing.
    return draft.forget(_start_with_cookie(request, db_session, clock, mode="kiosk", kiosk=kiosk))


async def _form_fields(request: Request) -> dict[str, str]:
    """The posted form as text fields (read here, so the handler itself can run in a thread)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@public_router.post(SURVEY, response_class=HTMLResponse)
def survey_step(
    request: Request, db_session: SessionDep, clock: ClockDep, fields: FormFields
) -> Response:
    """Move between screens, or send the answer."""
    key = _signing_key(request)
    try:
        parsed, expired = collect.read_token(key, fields.get("token", ""))
    except collect.FormRefused as exc:
        return _message(request, "Không mở được phiếu", exc.message, status_code=400)
    home = KIOSK_HOME if parsed.mode == "kiosk" else THANKS
    if parsed.mode == "kiosk":
        kiosk = _kiosk_from_cookie(request, db_session)
        if kiosk is None or kiosk.code != parsed.kiosk:  # a kiosk's form stays on its kiosk
            return _message(
                request,
                "Máy khảo sát không hợp lệ",
                "Phiếu này chỉ gửi được từ máy khảo sát tại quầy. Bạn vui lòng làm phiếu trên "
                "điện thoại qua trang khảo sát của phường.",
                status_code=403,
            )
    if collect.is_spent(db_session=db_session, token=parsed):  # never show a sent form again
        if fields.get("go") == "send":  # a double click that came in after the first was stored
            return _forget_code(RedirectResponse(THANKS_OF[parsed.mode], status_code=303))
        return draft.forget(RedirectResponse(home, status_code=303))
    content = content_of(get_version(db_session=db_session, version=parsed.version))
    steps = steps_of(content)
    domains = {d.code for d in _domains(db_session)}
    answers, errors = collect.parse_answers(fields, content=content, domains=domains)
    step = int(fields["step"]) if fields.get("step", "").isdigit() else 0
    go = fields.get("go", "next")
    token = fields.get("token", "")

    def again(status_code: int, **extra: object) -> HTMLResponse:
        return _render_step(
            request,
            db_session,
            content=content,
            token=token,
            parsed=parsed,
            step=extra.pop("at", step),  # type: ignore[arg-type]
            answers=answers,
            errors=errors,
            status_code=status_code,
            **extra,  # type: ignore[arg-type]
        )

    if fields.get("website"):  # the honeypot: only a robot fills a field nobody can see
        return RedirectResponse(home, status_code=303)
    if expired:
        token = collect.renew(key, parsed)
        return again(
            200,
            notice="Phiếu đã mở khá lâu nên chúng tôi làm mới phiếu; các câu trả lời của bạn vẫn "
            "còn nguyên. Bạn tiếp tục và bấm Gửi phiếu.",
        )
    if errors:
        first = next(i for i, s in enumerate(steps) if set(s.fields) & set(errors))
        return again(422, at=first, message="Có câu trả lời chưa hợp lệ, bạn xem lại giúp.")
    if go in ("back", "next"):
        target = step - 1 if go == "back" else step + 1
        target = max(0, min(target, len(steps) - 1))
        moved = RedirectResponse(draft.page_url(target), status_code=303)
        kept = draft.Draft(token=token, fields=answers.fields())
        if draft.save(moved, request=request, signing_key=key, draft=kept):
            return moved
        return again(200, at=target)  # too much to keep in a cookie: answer in place
    if go != "send":
        return again(200, at=step + 1)
    try:
        collect.submit_answer(
            db_session=db_session,
            clock=clock,
            policy=survey_policy(request),
            token=parsed,
            answers=answers,
            ip=client_ip(request),
        )
    except collect.AlreadySent:  # a double click: the first one is in, so thank this one too
        return _forget_code(RedirectResponse(THANKS_OF[parsed.mode], status_code=303))
    except Invalid as exc:
        return again(422, message=exc.message)
    except AppError as exc:
        response = again(exc.status_code, message=exc.message)
        response.headers.update(exc.headers)
        return response
    return _forget_code(RedirectResponse(THANKS_OF[parsed.mode], status_code=303))


def _from_draft(request: Request, db_session: Session, *, step: int) -> Response | None:
    """A screen drawn from the draft in the person's own cookie, with every answer so far;
    ``None`` when there is no usable draft (none, forged, expired, sent, another kiosk's)."""
    key = _signing_key(request)
    kept = draft.load(request, signing_key=key)
    if kept is None:
        return None
    try:
        parsed, _ = collect.read_token(key, kept.token)
    except collect.FormRefused:
        return None
    if collect.is_spent(db_session=db_session, token=parsed):  # sent meanwhile: start again
        return None
    if parsed.mode == "kiosk":
        kiosk = _kiosk_from_cookie(request, db_session)
        if kiosk is None or kiosk.code != parsed.kiosk:
            return None
    content = content_of(get_version(db_session=db_session, version=parsed.version))
    domains = {d.code for d in _domains(db_session)}
    answers, _ = collect.parse_answers(kept.fields, content=content, domains=domains)
    response = _render_step(
        request,
        db_session,
        content=content,
        token=kept.token,
        parsed=parsed,
        step=step,
        answers=answers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@public_router.get(draft.PAGE, response_class=HTMLResponse)
def survey_page(request: Request, db_session: SessionDep, buoc: int = 1) -> Response:
    """The screen a "Tiếp tục" or "Quay lại" redirected to, or the one the Back gesture returns
    to; without a usable draft, the survey's start."""
    page = _from_draft(request, db_session, step=buoc - 1)
    if page is None:
        return draft.forget(RedirectResponse(SURVEY, status_code=303))
    return page


@public_router.get(THANKS, response_class=HTMLResponse)
def thanks(request: Request, may: int = 0) -> HTMLResponse:
    return render(
        request,
        "sipas/thanks.html",
        {"title": "Cảm ơn bạn", "kiosk": bool(may), "return_seconds": 8, "home": KIOSK_HOME},
    )
