"""JSON API of the PAR Index self-assessment (``/api/v1/par-frameworks``,
``/api/v1/par-assessments``): the same service as the pages.

An assessment is named by its year inside the request's ward, a criterion by its code in the
city's table (``3.1``), evidence by its public key: never internal ids.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import Field as PydanticField

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.par import appraisal, reads, results, service
from app.par.framework_api import CriterionCode, DryRun, Year
from app.par.models import (
    AppraisalRow,
    AssessmentCreate,
    AssessmentRead,
    ItemRead,
    ItemSettings,
    Opportunity,
    ProposalWrite,
    PublishedResult,
    ReviewWrite,
    YearGap,
)
from app.routes import Routes
from app.schemas import ReadModel, StrictInput
from app.uploads.bulk import ImportOptions, ImportSummary
from app.uploads.receive import FILE_BODY, IMPORT_RESPONSES, received_import

router = Routes(tags=["par-assessments"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class SubmitWrite(StrictInput):
    version: int | None = PydanticField(default=None, ge=1, le=2**31 - 1)


class AppraisalResult(ReadModel):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, str]]


# --- assessments ---------------------------------------------------------------------------------


@router.get(
    "/par-assessments", response_model=list[AssessmentRead], summary="The ward's assessments"
)
def list_assessments(
    db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> list[AssessmentRead]:
    return [
        results.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=a.year)
        for a in reads.list_assessments(db_session, actor)
    ]


@router.post(
    "/par-assessments",
    response_model=AssessmentRead,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "The year already has an assessment."}},
    summary="Open a year's self-assessment",
)
def create_assessment(
    data: AssessmentCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> AssessmentRead:
    """Coordinators and admins. One item per scored criterion of the year's table, each with a
    responsible unit and plan tasks guessed from the plan (the unit leading most of the area's
    tasks); change them with `PATCH …/items/{criterion}`."""
    return service.create_assessment(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get(
    "/par-assessments/gaps", response_model=list[YearGap], summary="Self vs appraised, by year"
)
def year_gaps(db_session: SessionDep, actor: CurrentActor) -> list[YearGap]:
    return results.year_gaps(db_session=db_session, actor=actor)


@router.get("/par-assessments/{year}", response_model=AssessmentRead, summary="An assessment")
def get_assessment(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> AssessmentRead:
    """Counts, both indices with their formulas (`self_index`, `appraised_index`: points over
    the maximum of the applicable criteria × 100), and each area's self and appraised points."""
    return results.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=year)


@router.get(
    "/par-assessments/{year}/items", response_model=list[ItemRead], summary="Criteria of a year"
)
def list_items(
    year: Year,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    area: Annotated[str | None, Query(max_length=16, examples=["par3"])] = None,
    missing: Annotated[bool, Query(description="Only criteria lacking evidence.")] = False,
) -> list[ItemRead]:
    """A unit's officer sees its own unit's criteria; the office sees every unit's."""
    return reads.list_items(
        db_session=db_session,
        actor=actor,
        clock=clock,
        year=year,
        unit=unit,
        area=area,
        missing=missing,
    )


@router.get(
    "/par-assessments/{year}/opportunities",
    response_model=list[Opportunity],
    summary="Where the points are",
)
def opportunities(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> list[Opportunity]:
    """Criteria by points still obtainable (maximum minus the best-known points), with the
    responsible unit and the plan tasks that earn them."""
    return results.opportunities(db_session=db_session, actor=actor, clock=clock, year=year)


@router.get(
    "/par-assessments/{year}/items/{criterion}", response_model=ItemRead, summary="One criterion"
)
def get_item(
    year: Year,
    criterion: CriterionCode,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> ItemRead:
    return reads.read_item(
        db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion
    )


@router.patch(
    "/par-assessments/{year}/items/{criterion}",
    response_model=ItemRead,
    summary="Responsible unit, tasks, applicability",
)
def update_item(
    year: Year,
    criterion: CriterionCode,
    data: ItemSettings,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> ItemRead:
    return service.update_settings(
        db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion, data=data
    )


@router.put(
    "/par-assessments/{year}/items/{criterion}/proposal",
    response_model=ItemRead,
    summary="The unit's proposed points",
)
def save_proposal(
    year: Year,
    criterion: CriterionCode,
    data: ProposalWrite,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> ItemRead:
    """The responsible unit only. Points other than the rule's proposal (`rule_points`) need a
    `reason`; so does a criterion without evidence. `submit=false` keeps a draft."""
    return service.save_proposal(
        db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion, data=data
    )


@router.post(
    "/par-assessments/{year}/items/{criterion}/review",
    response_model=ItemRead,
    summary="Accept or return a proposal",
)
def review_item(
    year: Year,
    criterion: CriterionCode,
    data: ReviewWrite,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> ItemRead:
    """Coordinators of another unit, or admins: `accept` (optionally with other `points`) or
    `return` with a `comment`."""
    return service.review(
        db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion, data=data
    )


@router.post(
    "/par-assessments/{year}/submit",
    response_model=AssessmentRead,
    summary="Send the compiled self-score to the city",
)
def submit(
    year: Year,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    data: Annotated[SubmitWrite | None, Body()] = None,
) -> AssessmentRead:
    """Refused (409 `items_pending`, naming them) while a self-scored criterion is not accepted."""
    return service.submit_assessment(
        db_session=db_session,
        actor=actor,
        clock=clock,
        year=year,
        version=data.version if data else None,
    )


@router.put(
    "/par-assessments/{year}/appraisal",
    response_model=AppraisalResult,
    responses={422: {"model": AppraisalResult, "description": "Refused rows: nothing written."}},
    summary="The city's appraised points (JSON rows)",
)
def put_appraisal(
    year: Year,
    rows: Annotated[
        list[AppraisalRow],
        Body(
            max_length=2000,
            examples=[[{"criterion": "3.1", "points": "4,5", "comment": "Trừ 0,5 điểm"}]],
        ),
    ],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    dry_run: DryRun = False,
) -> JSONResponse:
    """All rows or none; per-row errors name the row (`3.points`). Survey criteria take their
    points here too. A city administrator, or the ward's office transcribing the decision."""
    result = appraisal.record_appraisal(
        db_session=db_session, actor=actor, clock=clock, year=year, rows=rows, dry_run=dry_run
    )
    body = AppraisalResult(
        dry_run=result.dry_run,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        errors=[{"field": e.field, "code": e.code, "message": e.message} for e in result.errors],
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=422 if result.errors else 200)


@router.post(
    "/par-assessments/{year}/appraisal/import",
    openapi_extra=FILE_BODY,
    response_model=ImportSummary,
    responses=IMPORT_RESPONSES,
    summary="The city's appraisal as a file (.xlsx or CSV)",
)
async def import_appraisal(
    request: Request,
    year: Year,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    dry_run: DryRun = False,
) -> JSONResponse:
    """Columns `criterion, points, comment` (Mã tiêu chí, Điểm thẩm định, Ý kiến thẩm định)."""
    appraisal.authorize_import(actor)
    return await received_import(
        request,
        db_session,
        actor,
        clock,
        lambda upload: appraisal.import_appraisal(
            db_session=db_session,
            actor=actor,
            clock=clock,
            year=year,
            upload=upload,
            options=ImportOptions(dry_run=dry_run),
        ),
        dry_run=dry_run,
    )


@router.put(
    "/par-assessments/{year}/published",
    response_model=AssessmentRead,
    summary="The index and rank the city announced",
)
def put_published(
    year: Year,
    data: PublishedResult,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> AssessmentRead:
    return appraisal.publish_result(
        db_session=db_session, actor=actor, clock=clock, year=year, data=data
    )


@router.get(
    "/par-assessments/{year}/table.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}}},
    summary="The self-assessment table (.xlsx)",
)
def table_xlsx(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    from app.par import exports  # Word and Excel libraries load when a file is first asked for

    content = exports.xlsx(db_session=db_session, actor=actor, clock=clock, year=year)
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="tu-danh-gia-cchc-{year}.xlsx"'},
    )


@router.get(
    "/par-assessments/{year}/report.docx",
    response_class=Response,
    responses={200: {"content": {DOCX: {}}}},
    summary="The self-assessment report (.docx, Decree 30)",
)
def report_docx(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    from app.par import exports  # Word and Excel libraries load when a file is first asked for

    content = exports.docx(db_session=db_session, actor=actor, clock=clock, year=year)
    return Response(
        content,
        media_type=DOCX,
        headers={"Content-Disposition": f'attachment; filename="bao-cao-cchc-{year}.docx"'},
    )
