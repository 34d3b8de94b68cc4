"""JSON API of the PAR Index self-assessment (``/api/v1/par-frameworks``,
``/api/v1/par-assessments``): the same service as the pages.

An assessment is named by its year inside the request's ward, a criterion by its code in the
city's table (``3.1``), evidence by its public key: never internal ids.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlmodel import Session

from app.accounts.dependencies import CurrentActor
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.imports.upload import summary_response
from app.par import exports, framework, service
from app.par.models import (
    AppraisalRow,
    AssessmentCreate,
    AssessmentRead,
    CriterionRead,
    CriterionUpdate,
    EvidenceRef,
    FrameworkRead,
    ItemRead,
    ItemSettings,
    Opportunity,
    ProposalWrite,
    PublishedResult,
    ReviewWrite,
    YearGap,
)
from app.progress.evidence import files
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits
from app.progress.evidence.store import EvidenceStore, store_from_settings
from app.progress.evidence.upload import received_form
from app.schemas import ReadModel, StrictInput
from app.uploads.bulk import ImportOptions, ImportResult, ImportSummary
from app.uploads.files import FileProblem, Upload, receive_upload
from app.uploads.limits import import_slot, release_connection

router = APIRouter(tags=["par-assessments"])

Year = Annotated[int, Path(ge=2000, le=2100, examples=[2025])]
CriterionCode = Annotated[str, Path(max_length=32, examples=["3.1"])]
DryRun = Annotated[bool, Query(description="Validate and report without writing anything.")]

_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An Excel workbook (.xlsx) or CSV, raw or as a multipart `file`; the "
        "header row names the columns (or their Vietnamese labels).",
        "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
_IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ImportSummary, "description": "Refused rows: nothing written."},
    413: {"description": "Body larger than `PARTRACK_MAX_UPLOAD_BYTES`."},
    429: {"description": "The user already runs its allowed imports at once."},
}


class FrameworkListItem(ReadModel):
    code: str
    year: int
    title: str
    official: bool


class TaskEvidence(StrictInput):
    task: str = PydanticField(max_length=32, examples=["II.2.3.1"])
    note: str = PydanticField(default="", max_length=500)


class SubmitWrite(StrictInput):
    version: int | None = PydanticField(default=None, ge=1, le=2**31 - 1)


class AppraisalResult(ReadModel):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    errors: list[dict[str, str]]


def _store(request: Request) -> EvidenceStore:
    return store_from_settings(request.app.state.settings)


async def _received(
    request: Request,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    work: Callable[[Upload], ImportResult],
    *,
    dry_run: bool,
) -> JSONResponse:
    """The body spooled under the upload limits with one of the user's import slots held and
    no pooled connection kept while it arrives; the import runs off the event loop."""
    release_connection(db_session)
    async with import_slot(request, actor.username, clock.now()):
        try:
            upload = await receive_upload(
                request, limit=request.app.state.settings.max_upload_bytes
            )
        except FileProblem as problem:
            from app.imports.upload import file_problem_summary

            return summary_response(file_problem_summary(problem, dry_run=dry_run))
        try:
            return summary_response(await run_in_threadpool(work, upload))
        finally:
            upload.close()


# --- frameworks ----------------------------------------------------------------------------------


@router.get("/par-frameworks", response_model=list[FrameworkListItem], summary="Criteria tables")
def list_frameworks(db_session: SessionDep, actor: CurrentActor) -> list[FrameworkListItem]:
    """Every criteria table, newest year first; `official` is false for partrack's starting
    table (a placeholder until the city's own is imported)."""
    return [
        FrameworkListItem(code=f.code, year=f.year, title=f.title, official=f.official)
        for f in framework.list_frameworks(db_session)
    ]


@router.get("/par-frameworks/{code}", response_model=FrameworkRead, summary="A criteria table")
def get_framework(code: str, db_session: SessionDep, actor: CurrentActor) -> FrameworkRead:
    """Areas → criteria → sub-criteria with points, method, evidence and the proposal rule."""
    return framework.read_framework(db_session, code)


@router.patch(
    "/par-frameworks/{code}/criteria/{criterion}",
    response_model=CriterionRead,
    summary="Edit one criterion of a table",
)
def update_criterion(
    code: str,
    criterion: CriterionCode,
    data: CriterionUpdate,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> CriterionRead:
    """City administrators only (the table is shared by every ward). A parent's maximum must
    stay the sum of its children's; `version` refuses a stale edit (409)."""
    return framework.update_criterion(
        db_session=db_session, actor=actor, clock=clock, framework=code, code=criterion, data=data
    )


@router.post(
    "/par-frameworks/{code}/criteria/import",
    openapi_extra=_FILE_BODY,
    response_model=ImportSummary,
    responses=_IMPORT_RESPONSES,
    summary="Import the city's criteria table (.xlsx or CSV)",
)
async def import_criteria(
    request: Request,
    code: str,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    title: Annotated[str, Query(max_length=500)] = "",
    source: Annotated[str, Query(max_length=2000)] = "",
    official: bool = True,
    dry_run: DryRun = False,
) -> JSONResponse:
    """Columns (layout in `docs/par-index.md`): `criterion, par_area, title, max_points,
    scored_by, method, evidence_required, indicator, rule, official` (or their Vietnamese
    labels: Mã tiêu chí, Lĩnh vực CCHC, Nội dung tiêu chí, Điểm tối đa, …). Rows upsert by
    code into table `code` (created when new); all or nothing; every parent's maximum must be
    the sum of its children's."""
    header = framework.FrameworkHeader(year=year, title=title, source=source, official=official)
    framework_authorized(db_session, actor)
    return await _received(
        request,
        db_session,
        actor,
        clock,
        lambda upload: framework.import_criteria(
            db_session=db_session,
            actor=actor,
            clock=clock,
            code=code,
            header=header,
            upload=upload,
            options=ImportOptions(dry_run=dry_run),
        ),
        dry_run=dry_run,
    )


def framework_authorized(db_session: Session, actor: Actor) -> None:
    """Refuse before the body is read: only the city edits the shared table."""
    from app.permissions import Permission
    from app.tenancy import authorize_shared

    authorize_shared(db_session, actor, Permission.PLAN_WRITE)


# --- assessments ---------------------------------------------------------------------------------


@router.get(
    "/par-assessments", response_model=list[AssessmentRead], summary="The ward's assessments"
)
def list_assessments(
    db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> list[AssessmentRead]:
    return [
        service.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=a.year)
        for a in service.list_assessments(db_session, actor)
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
    return service.year_gaps(db_session=db_session, actor=actor)


@router.get(
    "/par-assessments/evidence/{key}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
    summary="Download a criterion's evidence file",
)
def download_evidence(
    request: Request, key: str, db_session: SessionDep, actor: CurrentActor
) -> StreamingResponse:
    ev, stream = service.open_evidence(
        db_session=db_session, actor=actor, store=_store(request), key=key
    )

    def chunks() -> Any:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    return StreamingResponse(
        chunks(),
        media_type=ev.content_type,
        headers={
            "Content-Disposition": files.content_disposition(ev.filename, inline=False),
            "Content-Length": str(ev.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.delete(
    "/par-assessments/evidence/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove a criterion's evidence",
)
def remove_evidence(
    request: Request, key: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    service.remove_evidence(
        db_session=db_session, actor=actor, clock=clock, store=_store(request), key=key
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/par-assessments/{year}", response_model=AssessmentRead, summary="An assessment")
def get_assessment(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> AssessmentRead:
    """Counts, both indices with their formulas (`self_index`, `appraised_index`: points over
    the maximum of the applicable criteria × 100), and each area's self and appraised points."""
    return service.assessment_summary(db_session=db_session, actor=actor, clock=clock, year=year)


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
    return service.list_items(
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
    return service.opportunities(db_session=db_session, actor=actor, clock=clock, year=year)


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
    return service.read_item(
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
    "/par-assessments/{year}/items/{criterion}/evidence",
    response_model=EvidenceRef,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a file (multipart), a link or a plan task (JSON)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "note": {"type": "string", "maxLength": 500},
                        },
                    }
                },
                "application/json": {
                    "schema": {
                        "oneOf": [
                            EvidenceLinkCreate.model_json_schema(),
                            TaskEvidence.model_json_schema(),
                        ]
                    },
                    "examples": {
                        "link": {"value": {"url": "https://phudinh.hochiminhcity.gov.vn/a"}},
                        "task": {"value": {"task": "II.2.3.1", "note": "Báo cáo quý"}},
                    },
                },
            },
        }
    },
)
async def attach_evidence(
    request: Request,
    year: Year,
    criterion: CriterionCode,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> EvidenceRef:
    limits = EvidenceLimits.of(request.app.state.settings)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        db_session.close()  # the pooled connection goes back while a slow body arrives
        part, form = await received_form(request, limit=limits.max_bytes)
        note = form.get("note")
        return await run_in_threadpool(
            service.attach_file,
            db_session=db_session,
            actor=actor,
            clock=clock,
            store=_store(request),
            limits=limits,
            year=year,
            criterion=criterion,
            stream=part.file,
            filename=part.filename or "",
            note=note if isinstance(note, str) else "",
        )
    body = await request.body()
    model: type[BaseModel] = TaskEvidence if b'"task"' in body else EvidenceLinkCreate
    try:
        data = model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None
    if isinstance(data, TaskEvidence):
        return await run_in_threadpool(
            service.attach_task,
            db_session=db_session,
            actor=actor,
            clock=clock,
            year=year,
            criterion=criterion,
            task=data.task,
            note=data.note,
        )
    assert isinstance(data, EvidenceLinkCreate)
    return await run_in_threadpool(
        service.attach_link,
        db_session=db_session,
        actor=actor,
        clock=clock,
        year=year,
        criterion=criterion,
        data=data,
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
    result = service.record_appraisal(
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
    openapi_extra=_FILE_BODY,
    response_model=ImportSummary,
    responses=_IMPORT_RESPONSES,
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
    service.require_ward(actor)
    return await _received(
        request,
        db_session,
        actor,
        clock,
        lambda upload: service.import_appraisal(
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
    return service.publish_result(
        db_session=db_session, actor=actor, clock=clock, year=year, data=data
    )


@router.get(
    "/par-assessments/{year}/table.xlsx",
    response_class=Response,
    responses={200: {"content": {exports.XLSX: {}}}},
    summary="The self-assessment table (.xlsx)",
)
def table_xlsx(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    content = exports.xlsx(db_session=db_session, actor=actor, clock=clock, year=year)
    return Response(
        content,
        media_type=exports.XLSX,
        headers={"Content-Disposition": f'attachment; filename="tu-danh-gia-cchc-{year}.xlsx"'},
    )


@router.get(
    "/par-assessments/{year}/report.docx",
    response_class=Response,
    responses={200: {"content": {exports.DOCX: {}}}},
    summary="The self-assessment report (.docx, Decree 30)",
)
def report_docx(
    year: Year, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    content = exports.docx(db_session=db_session, actor=actor, clock=clock, year=year)
    return Response(
        content,
        media_type=exports.DOCX,
        headers={"Content-Disposition": f'attachment; filename="bao-cao-cchc-{year}.docx"'},
    )
