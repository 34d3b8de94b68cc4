"""JSON API of SIPAS: the index, survey codes for the service centre's system, questionnaire
versions, comment moderation, the computed reading and exports."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Body, Path, Query, Request, status
from fastapi.responses import Response as RawResponse

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.dependencies import SurveyPeriodQuery
from app.kpis.models import ReadingRead
from app.pagination import PagingDep
from app.routes import Routes
from app.schemas import Page
from app.sipas import codes, comments, export, questionnaire, service, ward_version
from app.sipas.dependencies import CodeQuery, VersionQuery, code_settings, min_sample
from app.sipas.models import (
    CodeRequest,
    CommentRead,
    HideComment,
    IssuedCodes,
    QuestionnaireRead,
    ReadingRequest,
    WardVersionRead,
    WardVersionUpdate,
)

router = Routes(prefix="/sipas", tags=["sipas"])


def _filters(
    period: str | None,
    unit: str | None,
    domain: str | None,
    channel: str | None,
    version: str | None = None,
) -> service.SipasFilters:
    return service.SipasFilters(
        period=period, unit=unit, domain=domain, channel=channel, version=version
    )


@router.get("", response_model=service.SipasReport, summary="The satisfaction index")
def get_index(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: SurveyPeriodQuery = None,
    unit: CodeQuery = None,
    domain: CodeQuery = None,
    channel: Annotated[Literal["counter", "online", "both"] | None, Query()] = None,
    version: VersionQuery = None,
) -> service.SipasReport:
    """The index with factor and criterion breakdown, sample sizes, per unit, domain, channel and
    source, and the trend over the plan's periods. Percentages are `null` below the minimum
    sample (`index.warning` says why); the counts per level are always given. The index reads
    the answers of one questionnaire version (`versions` lists the period's others)."""
    return service.report(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=_filters(period, unit, domain, channel, version),
        min_sample=min_sample(request),
    )


@router.post(
    "/codes",
    response_model=IssuedCodes,
    status_code=status.HTTP_201_CREATED,
    summary="Issue one-time survey codes for dossiers",
)
def issue_codes(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: Annotated[
        CodeRequest,
        Body(
            examples=[
                {
                    "dossiers": [
                        {
                            "dossier_code": "H29.99-251120-0001",
                            "unit": "ttpvhcc",
                            "domain": "ho-tich",
                            "procedure_code": "1.001193",
                            "procedure_name": "Đăng ký khai sinh",
                            "channel": "counter",
                            "month": "2025-11",
                        }
                    ]
                }
            ]
        ),
    ],
    qr: Annotated[Literal["none", "svg", "png"], Query(description="Include a QR code.")] = "none",
) -> IssuedCodes:
    """For the service centre's system (admins, officers of the service centre). The same dossier
    always gets the same code, so a retried batch or a reprinted receipt is safe; the dossier
    code itself is not stored."""
    return codes.issue_codes(
        db_session=db_session,
        actor=actor,
        clock=clock,
        settings=code_settings(request),
        dossiers=data.dossiers,
        qr=qr,
    )


@router.get("/questionnaires", response_model=list[QuestionnaireRead])
def list_questionnaires(db_session: SessionDep, clock: ClockDep) -> list[QuestionnaireRead]:
    questionnaire.ensure_questionnaire(db_session=db_session, clock=clock)
    return [questionnaire.to_read(r) for r in questionnaire.all_versions(db_session=db_session)]


@router.get("/questionnaires/{version}", response_model=QuestionnaireRead)
def get_questionnaire(
    db_session: SessionDep, clock: ClockDep, version: Annotated[str, Path(max_length=32)]
) -> QuestionnaireRead:
    questionnaire.ensure_questionnaire(db_session=db_session, clock=clock)
    return questionnaire.to_read(questionnaire.get_version(db_session=db_session, version=version))


@router.post(
    "/questionnaires", response_model=QuestionnaireRead, status_code=status.HTTP_201_CREATED
)
def create_questionnaire(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: Annotated[dict[str, Any], Body(description="The whole form, as questionnaire.json.")],
) -> QuestionnaireRead:
    """A new version as a draft (coordinators, admins); publish it to start using it."""
    return questionnaire.create_version(db_session=db_session, actor=actor, clock=clock, raw=data)


@router.post("/questionnaires/{version}/publish", response_model=QuestionnaireRead)
def publish_questionnaire(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    version: Annotated[str, Path(max_length=32)],
) -> QuestionnaireRead:
    return questionnaire.publish_version(
        db_session=db_session, actor=actor, clock=clock, version=version
    )


@router.get("/ward-version", response_model=WardVersionRead, summary="The ward's questionnaire")
def get_ward_version(
    db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> WardVersionRead:
    """The questionnaire version the ward's survey, kiosks and results use, and the choices."""
    return ward_version.get_setting(db_session=db_session, clock=clock)


@router.put(
    "/ward-version", response_model=WardVersionRead, summary="Choose the ward's questionnaire"
)
def put_ward_version(
    data: WardVersionUpdate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> WardVersionRead:
    """The ward's administrator (or the city's) names a published or retired version; `null`
    follows the city's published one. Answers keep their version: the index reads one at a time."""
    return ward_version.set_setting(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/comments", response_model=Page[CommentRead])
def list_comments(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    paging: PagingDep,
    period: SurveyPeriodQuery = None,
    unit: CodeQuery = None,
    domain: CodeQuery = None,
    version: VersionQuery = None,
) -> Page[CommentRead]:
    """The period's comments on one questionnaire version (default: the ward's in force), the
    ones the index of that version counted."""
    items, total = comments.list_comments(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=_filters(period, unit, domain, None, version),
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


CommentId = Annotated[str, Path(max_length=32, pattern="^[0-9a-f]{32}$")]


@router.post("/comments/{comment_id}/hide", response_model=CommentRead)
def hide_comment(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    comment_id: CommentId,
    data: HideComment,
) -> CommentRead:
    """Hide an abusive comment (coordinators, admins); the text is kept unchanged."""
    return comments.set_comment_hidden(
        db_session=db_session,
        actor=actor,
        clock=clock,
        response_id=comment_id,
        hidden=True,
        reason=data.reason,
    )


@router.post("/comments/{comment_id}/show", response_model=CommentRead)
def show_comment(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    comment_id: CommentId,
    data: HideComment,
) -> CommentRead:
    return comments.set_comment_hidden(
        db_session=db_session,
        actor=actor,
        clock=clock,
        response_id=comment_id,
        hidden=False,
        reason=data.reason,
    )


@router.post("/readings", response_model=ReadingRead, summary="Store the index as a reading")
def store_reading(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: ReadingRequest,
) -> ReadingRead:
    """The period's overall index becomes a computed reading of the `sipas_index` indicator
    (coordinators, admins); refused below the minimum sample."""
    return service.store_index_reading(
        db_session=db_session,
        actor=actor,
        clock=clock,
        period=data.period,
        min_sample=min_sample(request),
    )


@router.get("/answers", summary="Export answers (CSV or XLSX)")
def export_answers(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: SurveyPeriodQuery = None,
    unit: CodeQuery = None,
    domain: CodeQuery = None,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    version: VersionQuery = None,
) -> RawResponse:
    """Raw levels, one row per answer of one questionnaire version (default: the ward's in
    force), its questions as columns (coordinators, admins)."""
    return export.download(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=_filters(period, unit, domain, None, version),
        kind=format,
    )
