"""JSON API of file imports: the four bulk endpoints (one per importer in the registry), the
download templates and an import's error reports."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlmodel import Session

from app.accounts.dependencies import CurrentActor
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.imports import templates
from app.imports.templates import ImportKind
from app.imports.upload import run_upload
from app.routes import Routes
from app.uploads import errors_report
from app.uploads.bulk import ImportOptions, ImportSummary
from app.uploads.files import XLSX_TYPE
from app.uploads.receive import summary_response

#: The bulk endpoints come first in the OpenAPI document, as they always have; the other import
#: routes follow the dossier lists (``app.main`` includes the routers in that order).
bulk_router = Routes()
router = Routes()

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


PlanParam = Annotated[
    str | None, Query(description="Plan whose calendar and indicators the rates are for.")
]


@dataclass(frozen=True)
class BulkRoute:
    """How a kind's bulk endpoint shows in the API: its path, tag, summary and description."""

    kind: ImportKind
    tag: str
    summary: str
    description: str  # line breaks as the docstrings had them: the OpenAPI text keeps them
    #: Dossiers and feedback take ``?plan=`` (the calendar their rates are computed for).
    takes_plan: bool = False


BULK_ROUTES = (
    BulkRoute(
        ImportKind.READINGS,
        "readings",
        "Import many readings (JSON, CSV or .xlsx) in one transaction",
        "Columns: `indicator, unit, period, domain, value, numerator, denominator, note,\n"
        "evidence_url, version, plan`. Rows are checked exactly as `PUT /readings` checks one.",
    ),
    BulkRoute(
        ImportKind.PROGRESS,
        "progress",
        "Import many progress reports (JSON, CSV or .xlsx) in one transaction",
        "Columns: `assignment, unit, period, status, percent_complete, result, difficulties,\n"
        "proposals, evidence, version, plan`. Rows are checked exactly as `PUT /progress` checks "
        "one.",
    ),
    BulkRoute(
        ImportKind.DOSSIERS,
        "dossiers",
        "Import TTHC dossiers (upsert by code) and recompute the rates they feed",
        "Columns: `code, unit, procedure_code, procedure_name, domain, channel (direct, online,\n"
        "postal), received_at, due_at, completed_at, returned_at, rescheduled, fully_online,\n"
        "digitized, e_result, reused_data, paid_online`. Dates: ISO 8601 or `dd/mm/yyyy [HH:MM]`\n"
        "(Vietnam time unless a zone is given). The touched periods' computed readings are updated "
        "in\nthe same transaction.",
        takes_plan=True,
    ),
    BulkRoute(
        ImportKind.FEEDBACK,
        "feedback",
        "Import citizens' feedback (upsert by code) and recompute the rates it feeds",
        "Columns: `code, unit, channel (1022, national_portal, direct), kind (petition,\n"
        "complaint, denunciation), received_at, due_at, resolved_at, satisfied`.",
        takes_plan=True,
    ),
)


async def _bulk(
    kind: ImportKind,
    request: Request,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    *,
    dry_run: bool,
    partial: bool,
    sheet: str | None,
    profile: str | None,
    plan: str | None = None,
) -> JSONResponse:
    result = await run_upload(
        request,
        kind,
        db_session=db_session,
        actor=actor,
        clock=clock,
        options=ImportOptions(dry_run=dry_run, partial=partial),
        sheet=sheet,
        profile_code=profile,
        plan_code=plan,
    )
    return summary_response(result)


def _bulk_endpoint(kind: ImportKind, *, takes_plan: bool) -> Callable[..., Awaitable[JSONResponse]]:
    """The endpoint of one kind: its query parameters are the signature FastAPI reads."""
    run = functools.partial(_bulk, kind)

    if takes_plan:

        async def with_plan(
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
            return await run(
                request,
                db_session,
                actor,
                clock,
                dry_run=dry_run,
                partial=partial,
                sheet=sheet,
                plan=plan,
                profile=profile,
            )

        return with_plan

    async def without_plan(
        request: Request,
        db_session: SessionDep,
        actor: CurrentActor,
        clock: ClockDep,
        dry_run: DryRun = False,
        partial: Partial = False,
        sheet: Sheet = None,
        profile: ProfileParam = None,
    ) -> JSONResponse:
        return await run(
            request,
            db_session,
            actor,
            clock,
            dry_run=dry_run,
            partial=partial,
            sheet=sheet,
            profile=profile,
        )

    return without_plan


for _route in BULK_ROUTES:
    bulk_router.add_api_route(
        f"/{_route.kind.value}/bulk",
        _bulk_endpoint(_route.kind, takes_plan=_route.takes_plan),
        methods=["POST"],
        name=f"bulk_{_route.kind.value}",
        tags=[_route.tag],
        response_model=ImportSummary,
        responses=_RESPONSES,
        openapi_extra=_BODY,
        summary=_route.summary,
        description=_route.description,
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
    from app.imports import templates_xlsx  # openpyxl: imported on first use

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
