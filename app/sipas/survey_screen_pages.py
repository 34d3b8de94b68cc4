"""The public survey's screens: its addresses, the steps of the questionnaire, and how a screen
or a refusal is drawn. Shared by the survey's routes and the code exchange, and by the counter
pages that register a kiosk (its cookie lives here)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from app.db import SessionDep
from app.errors import AppError
from app.kpis.models import Domain
from app.sipas import codes, kiosks
from app.sipas.collect import FormToken, SurveyAnswers
from app.sipas.dependencies import settings_of
from app.sipas.models import Kiosk
from app.sipas.questionnaire import QuestionnaireContent
from app.templating import render
from app.units.models import Unit

KIOSK_COOKIE = "partrack_sipas_kiosk"
SURVEY = "/khao-sat"
KIOSK_HOME = "/khao-sat/kiosk"
THANKS = "/khao-sat/cam-on"
THANKS_OF = {"web": THANKS, "kiosk": THANKS + "?may=1"}


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


def signing_key(request: Request) -> str:
    return settings_of(request).signing_key()


def kiosk_from_cookie(request: Request, db_session: Session) -> Kiosk | None:
    raw = request.cookies.get(KIOSK_COOKIE)
    if not raw:
        return None
    try:
        code = kiosks.kiosk_serializer(signing_key(request)).loads(raw)
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


def survey_domains(db_session: Session) -> list[Domain]:
    return list(
        db_session.exec(
            select(Domain)
            .where(col(Domain.active))
            .order_by(col(Domain.position), col(Domain.code))
        ).all()
    )


def render_step(
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
                signing_key=signing_key(request),
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
            "domains": survey_domains(db_session),
        },
        status_code=status_code,
    )


def message_page(
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


def attach_survey_ward(request: Request, db_session: SessionDep) -> None:
    """The public survey's letterhead: the ward of the kiosk this browser is, or the only ward;
    with several wards and no kiosk, the pages name no ward (a code tells it once it is read)."""
    from app.wards.models import Ward

    kiosk = kiosk_from_cookie(request, db_session)
    query = select(Ward.name)
    if kiosk is not None:
        query = query.join(Unit, col(Unit.ward_id) == col(Ward.id)).where(Unit.id == kiosk.unit_id)
    names = db_session.exec(query.limit(2)).all()
    request.state.survey_ward = names[0] if len(names) == 1 else None
