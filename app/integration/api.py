"""JSON API of the integration domain: bulk imports, feeds, dossier lists, exports, scorecard."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.integration import (
    errors_report,
    exports,
    feeds,
    lists,
    scorecard,
    service,
    templates,
)
from app.integration.bulk import (
    ImportOptions,
    ImportResult,
    ImportStatus,
    ImportSummary,
    file_failure,
)
from app.integration.files import XLSX_TYPE, FileProblem, Upload, receive_upload
from app.integration.limits import import_slot, release_connection
from app.integration.models import (
    DossierRead,
    DossierStatus,
    FeedbackChannel,
    FeedbackKind,
    FeedbackRead,
)
from app.integration.templates import ImportKind
from app.kpis.models import MAX_ROW_ID
from app.pagination import PagingDep
from app.schemas import Page

router = APIRouter()

_BODY = {
    "requestBody": {
        "required": True,
        "description": "A JSON list of rows, a CSV body or an Excel workbook (.xlsx), or a "
        "multipart form with a `file` field. CSV: `,` `;` or tab between cells (detected), UTF-8 "
        "with or without BOM or UTF-16; a legacy code page is refused with the steps to fix it. "
        "The header row names the fields of the single endpoint or their Vietnamese labels (the "
        "exports' headers), in any case, with or without diacritics. Workbooks: the first "
        "sheet (or `sheet`), the header row found below any title, dates and numbers as Excel "
        "holds them; `.xls` is refused. Row numbers in errors are the spreadsheet's (the "
        "header is row 1).",
        "content": {
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ImportSummary,
        "description": "Refused rows: nothing written (atomic). Errors are grouped by field, code "
        "and value with a count; the full list is the `errors_report` CSV.",
    },
    413: {"description": "Body larger than `PARTRACK_MAX_UPLOAD_BYTES`; `limit_bytes` says it."},
    415: {"description": "Neither JSON, CSV, .xlsx nor multipart."},
    408: {
        "description": "The body stalled longer than `PARTRACK_UPLOAD_IDLE_TIMEOUT_SECONDS` or "
        "was not complete within `PARTRACK_UPLOAD_DEADLINE_SECONDS`."
    },
    429: {
        "description": "The user already runs `PARTRACK_MAX_IMPORTS_PER_USER` imports; "
        "`Retry-After` says when to try again."
    },
}

DryRun = Annotated[bool, Query(description="Validate and report without writing anything.")]
Partial = Annotated[
    bool, Query(description="Write the valid rows and report the others (default: all or none).")
]

Sheet = Annotated[
    str | None,
    Query(description="The workbook's sheet to read (default: the first); ignored for CSV/JSON."),
]

ProfileParam = Annotated[
    str | None,
    Query(
        description="Code of a mapping profile (`GET /api/v1/import-profiles`) for another "
        "system's export; without it a dossier or feedback file whose header row a profile "
        "recognises is read with that profile, and partrack's own columns need none.",
        examples=["mot-cua-hcm"],
        max_length=64,
    ),
]

ImportFn = Callable[..., ImportResult]


def summary_response(result: ImportResult) -> JSONResponse:
    """200 for ok and warning, 422 when the batch was refused (nothing written)."""
    code = 422 if result.summary.status == ImportStatus.ERROR else 200
    return JSONResponse(result.summary.model_dump(mode="json"), status_code=code)


def file_problem_summary(problem: FileProblem, *, dry_run: bool) -> ImportResult:
    return ImportResult(file_failure(problem, dry_run=dry_run))


async def run_upload(
    request: Request,
    *,
    importer: ImportFn,
    db_session: Any,
    actor: Any,
    clock: Any,
    options: ImportOptions,
    keep_rejected: bool = False,
    sheet: str | None = None,
    profile_code: str | None = None,
) -> ImportResult:
    """Receive the body (streamed to a spool, 413 past the limit, 408 when it stalls), then
    import it off the loop.

    One of the user's import slots is held throughout (429 past ``max_imports_per_user``), and
    the request's pooled connection, which authentication used, is handed back before the body
    is awaited: a slow sender must hold no connection or transaction that others need.
    """
    service.authorize_import(actor)
    limit = request.app.state.settings.max_upload_bytes
    # first the connection, then the slot: a request holding one while it waits for another
    # would deadlock the pool once every pooled connection is held that way
    release_connection(db_session)
    async with import_slot(request, actor.username, clock.now()):
        try:
            upload: Upload = await receive_upload(request, limit=limit)
        except FileProblem as problem:
            return file_problem_summary(problem, dry_run=options.dry_run)
        upload.sheet = sheet
        try:
            return await run_in_threadpool(
                importer,
                db_session=db_session,
                actor=actor,
                clock=clock,
                upload=upload,
                options=options,
                keep_rejected=keep_rejected,
                profile_code=profile_code,
            )
        finally:
            upload.close()


@router.post(
    "/readings/bulk",
    tags=["readings"],
    response_model=ImportSummary,
    responses=_RESPONSES,
    openapi_extra=_BODY,
    summary="Import many readings (JSON, CSV or .xlsx) in one transaction",
)
async def bulk_readings(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    dry_run: DryRun = False,
    partial: Partial = False,
    sheet: Sheet = None,
    profile: ProfileParam = None,
) -> JSONResponse:
    """Columns: `indicator, unit, period, domain, value, numerator, denominator, note,
    evidence_url, version, plan`. Rows are checked exactly as `PUT /readings` checks one."""
    result = await run_upload(
        request,
        importer=service.import_readings,
        db_session=db_session,
        actor=actor,
        clock=clock,
        options=ImportOptions(dry_run=dry_run, partial=partial),
        sheet=sheet,
        profile_code=profile,
    )
    return summary_response(result)


@router.post(
    "/progress/bulk",
    tags=["progress"],
    response_model=ImportSummary,
    responses=_RESPONSES,
    openapi_extra=_BODY,
    summary="Import many progress reports (JSON, CSV or .xlsx) in one transaction",
)
async def bulk_progress(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    dry_run: DryRun = False,
    partial: Partial = False,
    sheet: Sheet = None,
    profile: ProfileParam = None,
) -> JSONResponse:
    """Columns: `assignment, unit, period, status, percent_complete, result, difficulties,
    proposals, evidence, version, plan`. Rows are checked exactly as `PUT /progress` checks one."""
    result = await run_upload(
        request,
        importer=service.import_progress,
        db_session=db_session,
        actor=actor,
        clock=clock,
        options=ImportOptions(dry_run=dry_run, partial=partial),
        sheet=sheet,
        profile_code=profile,
    )
    return summary_response(result)


PlanParam = Annotated[
    str | None, Query(description="Plan whose calendar and indicators the rates are for.")
]


@router.post(
    "/dossiers/bulk",
    tags=["dossiers"],
    response_model=ImportSummary,
    responses=_RESPONSES,
    openapi_extra=_BODY,
    summary="Import TTHC dossiers (upsert by code) and recompute the rates they feed",
)
async def bulk_dossiers(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    dry_run: DryRun = False,
    partial: Partial = False,
    sheet: Sheet = None,
    plan: PlanParam = None,
    profile: ProfileParam = None,
) -> JSONResponse:
    """Columns: `code, unit, procedure_code, procedure_name, domain, channel (direct, online,
    postal), received_at, due_at, completed_at, returned_at, rescheduled, fully_online,
    digitized, e_result, reused_data, paid_online`. Dates: ISO 8601 or `dd/mm/yyyy [HH:MM]`
    (Vietnam time unless a zone is given). The touched periods' computed readings are updated in
    the same transaction."""
    result = await run_upload(
        request,
        importer=partial_plan(feeds.import_dossiers, plan),
        db_session=db_session,
        actor=actor,
        clock=clock,
        options=ImportOptions(dry_run=dry_run, partial=partial),
        sheet=sheet,
        profile_code=profile,
    )
    return summary_response(result)


@router.post(
    "/feedback/bulk",
    tags=["feedback"],
    response_model=ImportSummary,
    responses=_RESPONSES,
    openapi_extra=_BODY,
    summary="Import citizens' feedback (upsert by code) and recompute the rates it feeds",
)
async def bulk_feedback(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    dry_run: DryRun = False,
    partial: Partial = False,
    sheet: Sheet = None,
    plan: PlanParam = None,
    profile: ProfileParam = None,
) -> JSONResponse:
    """Columns: `code, unit, channel (1022, national_portal, direct), kind (petition,
    complaint, denunciation), received_at, due_at, resolved_at, satisfied`."""
    result = await run_upload(
        request,
        importer=partial_plan(feeds.import_feedback, plan),
        db_session=db_session,
        actor=actor,
        clock=clock,
        options=ImportOptions(dry_run=dry_run, partial=partial),
        sheet=sheet,
        profile_code=profile,
    )
    return summary_response(result)


def partial_plan(function: ImportFn, plan: str | None) -> ImportFn:
    return functools.partial(function, plan_code=plan)


@router.get("/dossiers", tags=["dossiers"], response_model=Page[DossierRead])
def list_dossiers(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    paging: PagingDep,
    unit: str | None = None,
    domain: str | None = None,
    period: Annotated[str | None, Query(description="Received in this period.")] = None,
    completed_period: Annotated[str | None, Query(description="Completed in this period.")] = None,
    status: Annotated[
        DossierStatus | None, Query(description="`overdue`: open and past its due date.")
    ] = None,
    procedure_code: str | None = None,
) -> Page[DossierRead]:
    """Most urgent first (by due date), so the service centre can chase overdue dossiers."""
    filters = lists.DossierFilters(
        unit=unit,
        domain=domain,
        period=period,
        completed_period=completed_period,
        status=status,
        procedure_code=procedure_code,
    )
    items, total = lists.list_dossiers(
        db_session=db_session,
        actor=actor,
        clock=clock,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/feedback", tags=["feedback"], response_model=Page[FeedbackRead])
def list_feedback(
    db_session: SessionDep,
    actor: CurrentActor,
    paging: PagingDep,
    unit: str | None = None,
    period: Annotated[str | None, Query(description="Resolved in this period.")] = None,
    kind: FeedbackKind | None = None,
    channel: FeedbackChannel | None = None,
) -> Page[FeedbackRead]:
    filters = lists.FeedbackFilters(
        unit=unit,
        period=period,
        kind=kind.value if kind else None,
        channel=channel.value if channel else None,
    )
    items, total = lists.list_feedback(
        db_session=db_session,
        actor=actor,
        filters=filters,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.get("/readings/{reading_id}/records", tags=["readings"])
def reading_records(
    reading_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    paging: PagingDep,
) -> dict[str, Any]:
    """The dossiers or feedback a computed reading was counted from; `counted` marks the
    numerator. 404 for a reading typed by hand."""
    return lists.reading_records(
        db_session=db_session,
        actor=actor,
        clock=clock,
        reading_id=reading_id,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get(
    "/imports/templates/{kind}.csv",
    tags=["imports"],
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    summary="A CSV template (header and an example row) for a bulk endpoint",
)
def import_template(kind: ImportKind) -> Response:
    return Response(
        templates.template_csv(kind).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="mau-{kind.value}.csv"'},
    )


@router.get(
    "/imports/templates/{kind}.xlsx",
    tags=["imports"],
    response_class=Response,
    responses={200: {"content": {XLSX_TYPE: {}}}},
    summary="An Excel template: drop-down lists, an example row and instructions in Vietnamese",
)
def import_template_xlsx(
    kind: ImportKind, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    """The data sheet (Vietnamese headers, lists of the active units, indicators, domains,
    periods and statuses to pick from), and a sheet of instructions. Filled in and uploaded as
    it is, it imports."""
    from app.integration import templates_xlsx  # openpyxl: imported on first use

    body = templates_xlsx.template_xlsx(db_session=db_session, actor=actor, clock=clock, kind=kind)
    return Response(
        body,
        media_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="mau-{kind.value}.xlsx"'},
    )


@router.get(
    "/imports/reports/{token}/{name}",
    tags=["imports"],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, 404: {"description": "Unknown or expired."}},
    summary="An import's full error list (loi.csv) or its refused rows (dong-bi-tu-choi.csv)",
)
def import_report(token: str, name: str, actor: CurrentActor) -> StreamingResponse:
    """Built while the file was read, kept 24 hours, for the sender only: the URL is in the
    summary's `errors_report` / `rejected_report`."""
    blocks = errors_report.open_report(token=token, name=name, username=actor.username)
    return StreamingResponse(
        blocks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/exports/{dataset}.{fmt}",
    tags=["exports"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
    summary="Export a list as CSV or Excel, with the list's own filters",
)
async def export(
    dataset: exports.Dataset,
    fmt: exports.ExportFormat,
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> StreamingResponse:
    """Filters are the list's query parameters (`unit`, `period`, `domain`, `status`, …);
    reporters get their own unit's rows. Headers are Vietnamese; in Excel, dates are dates and
    rates numbers; text starting with `=`, `+`, `-` or `@` is prefixed with `'`."""
    filters = dict(request.query_params)
    spooled = await run_in_threadpool(
        exports.export_file,
        db_session=db_session,
        actor=actor,
        clock=clock,
        dataset=dataset,
        fmt=fmt,
        filters=filters,
    )
    media = (
        "text/csv; charset=utf-8"
        if fmt == exports.ExportFormat.CSV
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{dataset.value}-{clock.today().isoformat()}.{fmt.value}"

    def chunks() -> Iterator[bytes]:
        try:
            while block := spooled.read(64 * 1024):
                yield block
        finally:
            spooled.close()

    return StreamingResponse(
        chunks(),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/scorecards/766", tags=["scorecards"], response_model=scorecard.Scorecard)
def scorecard_766(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    unit: Annotated[str | None, Query(description="A unit; empty: the whole ward.")] = None,
    period: Annotated[str | None, Query(description="Default: the current period.")] = None,
    plan: PlanParam = None,
) -> scorecard.Scorecard:
    """Decision 766/QĐ-TTg: 5 groups worth 100 points, each metric with numerator,
    denominator, rate, points and maximum, and the last periods' totals (trend). Metrics that do
    not apply are left out of `applicable_max`; the configuration is `scorecard_766.toml`."""
    return scorecard.scorecard_766(
        db_session=db_session, actor=actor, clock=clock, unit=unit, period=period, plan_code=plan
    )
