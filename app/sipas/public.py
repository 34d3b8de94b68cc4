"""The public survey (no login): one screen per factor, working without JavaScript, and kiosks.

Every screen is a POST of the same form: the answers so far travel as hidden fields, so nothing is
stored before the citizen presses "Gửi phiếu", going back and forth loses nothing, and a browser's
back button after sending finds a spent form token instead of the previous person's answers.
The screens are drawn by ``app.sipas.survey_screen_pages``; a receipt's code is taken in by
``app.sipas.survey_start_pages``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.responses import Response

from app.accounts.dependencies import client_ip
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import AppError, Invalid
from app.routes import Routes
from app.sipas import access_log, collect, draft
from app.sipas.collect import FormToken, SurveyAnswers
from app.sipas.dependencies import survey_policy
from app.sipas.questionnaire import QuestionnaireContent, content_of, get_version
from app.sipas.survey_screen_pages import (
    KIOSK_HOME,
    SURVEY,
    THANKS,
    THANKS_OF,
    attach_survey_ward,
    kiosk_from_cookie,
    message_page,
    render_step,
    signing_key,
    steps_of,
    survey_domains,
)
from app.sipas.survey_start_pages import exchange_code, forget_code, start_with_cookie
from app.templating import render

public_router = Routes(include_in_schema=False, dependencies=[Depends(attach_survey_ward)])
access_log.install_survey_url_filter()  # a 500 on /khao-sat?ma=… logs the URL without the code


@public_router.get(SURVEY, response_class=HTMLResponse)
def survey_start(
    request: Request, db_session: SessionDep, clock: ClockDep, ma: str | None = None
) -> Response:
    """The QR code's link ``/khao-sat?ma=K7QM3XTP9A`` (exchanged for a cookie); or the survey."""
    if ma and ma.strip():  # a new receipt: whatever was begun before is dropped
        return draft.forget(
            exchange_code(request, db_session, clock, mode="web", code_text=ma[:64], home=SURVEY)
        )
    resumed = _from_draft(request, db_session, step=0)  # the Back gesture to the first screen
    if resumed is not None:
        return resumed
    return draft.forget(start_with_cookie(request, db_session, clock, mode="web"))


@public_router.get(KIOSK_HOME, response_class=HTMLResponse)
def kiosk_start(
    request: Request, db_session: SessionDep, clock: ClockDep, ma: str | None = None
) -> Response:
    kiosk = kiosk_from_cookie(request, db_session)
    if kiosk is None:
        return message_page(
            request,
            "Máy chưa được đăng ký",
            "Thiết bị này chưa được đăng ký làm máy khảo sát tại quầy. Cán bộ Trung tâm Phục vụ "
            "hành chính công đăng nhập rồi vào mục SIPAS › Máy khảo sát để đăng ký.",
            status_code=403,
        )
    if ma and ma.strip():
        return draft.forget(
            exchange_code(
                request,
                db_session,
                clock,
                mode="kiosk",
                code_text=ma[:64],
                home=KIOSK_HOME,
                kiosk=kiosk,
            )
        )
    # The kiosk's start is also its reset after idle time: the next person starts from nothing.
    return draft.forget(start_with_cookie(request, db_session, clock, mode="kiosk", kiosk=kiosk))


async def _form_fields(request: Request) -> dict[str, str]:
    """The posted form as text fields (read here, so the handler itself can run in a thread)."""
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@dataclass
class _Screen:
    """A posted screen, drawn again (at another step, with a message) when the answer stays."""

    request: Request
    db_session: Session
    content: QuestionnaireContent
    token: str
    parsed: FormToken
    step: int
    answers: SurveyAnswers
    errors: dict[str, str]

    def again(
        self,
        status_code: int,
        *,
        at: int | None = None,
        message: str | None = None,
        notice: str | None = None,
    ) -> HTMLResponse:
        return render_step(
            self.request,
            self.db_session,
            content=self.content,
            token=self.token,
            parsed=self.parsed,
            step=self.step if at is None else at,
            answers=self.answers,
            errors=self.errors,
            message=message,
            notice=notice,
            status_code=status_code,
        )


def _posted_form(
    request: Request, db_session: Session, fields: dict[str, str]
) -> tuple[FormToken, bool] | Response:
    """The posted form's token and whether it expired, or the answer that ends the post here:
    an unreadable token, a kiosk's form posted from elsewhere, a form already sent."""
    try:
        parsed, expired = collect.read_token(signing_key(request), fields.get("token", ""))
    except collect.FormRefused as exc:
        return message_page(request, "Không mở được phiếu", exc.message, status_code=400)
    if parsed.mode == "kiosk":
        kiosk = kiosk_from_cookie(request, db_session)
        if kiosk is None or kiosk.key != parsed.kiosk:  # a kiosk's form stays on its kiosk
            return message_page(
                request,
                "Máy khảo sát không hợp lệ",
                "Phiếu này chỉ gửi được từ máy khảo sát tại quầy. Bạn vui lòng làm phiếu trên "
                "điện thoại qua trang khảo sát của phường.",
                status_code=403,
            )
    if collect.is_spent(db_session=db_session, token=parsed):  # never show a sent form again
        if fields.get("go") == "send":  # a double click that came in after the first was stored
            return forget_code(RedirectResponse(THANKS_OF[parsed.mode], status_code=303))
        home = KIOSK_HOME if parsed.mode == "kiosk" else THANKS
        return draft.forget(RedirectResponse(home, status_code=303))
    return parsed, expired


def _move(screen: _Screen, *, back: bool, steps: int) -> Response:
    """ "Quay lại" / "Tiếp tục": a redirect to the screen, the answers kept in the person's own
    cookie; when they are too much for a cookie, the screen is drawn in place."""
    target = max(0, min(screen.step - 1 if back else screen.step + 1, steps - 1))
    moved = RedirectResponse(draft.page_url(target), status_code=303)
    kept = draft.Draft(token=screen.token, fields=screen.answers.fields())
    key = signing_key(screen.request)
    if draft.save(moved, request=screen.request, signing_key=key, draft=kept):
        return moved
    return screen.again(200, at=target)


def _send(screen: _Screen, clock: Clock) -> Response:
    """ "Gửi phiếu": the answer stored once, then thanks; a refusal is shown on the screen."""
    try:
        collect.submit_answer(
            db_session=screen.db_session,
            clock=clock,
            policy=survey_policy(screen.request),
            token=screen.parsed,
            answers=screen.answers,
            ip=client_ip(screen.request),
        )
    except collect.AlreadySent:  # a double click: the first one is in, so thank this one too
        pass
    except Invalid as exc:
        return screen.again(422, message=exc.message)
    except AppError as exc:
        response = screen.again(exc.status_code, message=exc.message)
        response.headers.update(exc.headers)
        return response
    return forget_code(RedirectResponse(THANKS_OF[screen.parsed.mode], status_code=303))


@public_router.post(SURVEY, response_class=HTMLResponse)
def survey_step(
    request: Request, db_session: SessionDep, clock: ClockDep, fields: FormFields
) -> Response:
    """Move between screens, or send the answer."""
    posted = _posted_form(request, db_session, fields)
    if isinstance(posted, Response):
        return posted
    parsed, expired = posted
    content = content_of(get_version(db_session=db_session, version=parsed.version))
    steps = steps_of(content)
    domains = {d.code for d in survey_domains(db_session)}
    answers, errors = collect.parse_answers(fields, content=content, domains=domains)
    step = int(fields["step"]) if fields.get("step", "").isdigit() else 0
    go = fields.get("go", "next")
    screen = _Screen(
        request, db_session, content, fields.get("token", ""), parsed, step, answers, errors
    )
    if fields.get("website"):  # the honeypot: only a robot fills a field nobody can see
        return RedirectResponse(KIOSK_HOME if parsed.mode == "kiosk" else THANKS, status_code=303)
    if expired:
        screen.token = collect.renew(signing_key(request), parsed)
        return screen.again(
            200,
            notice="Phiếu đã mở khá lâu nên chúng tôi làm mới phiếu; các câu trả lời của bạn vẫn "
            "còn nguyên. Bạn tiếp tục và bấm Gửi phiếu.",
        )
    if errors:
        first = next(i for i, s in enumerate(steps) if set(s.fields) & set(errors))
        return screen.again(422, at=first, message="Có câu trả lời chưa hợp lệ, bạn xem lại giúp.")
    if go in ("back", "next"):
        return _move(screen, back=go == "back", steps=len(steps))
    if go != "send":
        return screen.again(200, at=step + 1)
    return _send(screen, clock)


def _from_draft(request: Request, db_session: Session, *, step: int) -> Response | None:
    """A screen drawn from the draft in the person's own cookie, with every answer so far;
    ``None`` when there is no usable draft (none, forged, expired, sent, another kiosk's)."""
    key = signing_key(request)
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
        kiosk = kiosk_from_cookie(request, db_session)
        if kiosk is None or kiosk.key != parsed.kiosk:
            return None
    content = content_of(get_version(db_session=db_session, version=parsed.version))
    domains = {d.code for d in survey_domains(db_session)}
    answers, _ = collect.parse_answers(kept.fields, content=content, domains=domains)
    response = render_step(
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
