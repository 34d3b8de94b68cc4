"""JSON API of the registers: the same routes for each (list with filters, read, create, update,
history, bulk import, CSV and .xlsx exports), made from its spec. Rows are named by code.

No ``from __future__ import annotations`` here: each route's body type is the register's own
model, made at import time, and FastAPI reads it from the live annotation.
"""

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any

from fastapi import Body, Query, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse

from app.accounts.dependencies import CurrentActor
from app.audit import service as audit_service
from app.audit.models import AuditEventRead
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.registers import conclusions, export_api, service, transfer
from app.registers.specs import INPUTS, READS, REGISTERS, RegisterSpec
from app.routes import Routes
from app.schemas import Page
from app.uploads.bulk import ImportOptions, ImportSummary
from app.uploads.receive import FILE_BODY, IMPORT_RESPONSES, received_import

router = Routes()

Year = Annotated[int | None, Query(ge=2000, le=2100, description="Rows dated in this year.")]
Text = Annotated[str | None, Query(max_length=200)]


def _filters(
    unit: Annotated[str | None, Query(max_length=64, examples=["ttpvhcc"])] = None,
    state: Text = None,
    year: Year = None,
    overdue: Annotated[bool, Query(description="Open rows past their deadline.")] = False,
    q: Annotated[str | None, Query(max_length=200, description="Words in the text.")] = None,
    task: Annotated[str | None, Query(max_length=32, examples=["II.2.2.5"])] = None,
    kind: Text = None,
) -> service.Filters:
    return service.Filters(
        unit=unit, state=state, year=year, overdue=overdue, q=q, task=task, kind=kind
    )


def _reads(spec: RegisterSpec) -> tuple[Callable[..., Any], ...]:
    """The register's list, one row and a row's history."""

    def list_rows(
        db_session: SessionDep,
        actor: CurrentActor,
        clock: ClockDep,
        paging: PagingDep,
        unit: Annotated[str | None, Query(max_length=64)] = None,
        state: Text = None,
        year: Year = None,
        overdue: bool = False,
        q: Text = None,
        task: Annotated[str | None, Query(max_length=32)] = None,
        kind: Annotated[str | None, Query(max_length=200, description="Rows of this kind.")] = None,
    ) -> Any:
        rows, total = service.list_rows(
            spec, db_session=db_session, actor=actor, clock=clock,
            filters=_filters(unit, state, year, overdue, q, task, kind),
            limit=paging.limit, offset=paging.offset,
        )  # fmt: skip
        return {"items": rows, "total": total, "limit": paging.limit, "offset": paging.offset}

    def get_row(code: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep) -> Any:
        return service.get_row(spec, db_session=db_session, actor=actor, clock=clock, code=code)

    def history(
        code: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
    ) -> list[AuditEventRead]:
        row = service.get_row(spec, db_session=db_session, actor=actor, clock=clock, code=code)
        events, _ = audit_service.list_events(
            db_session=db_session, entity=spec.entity, key=str(row.model_dump()["code"]),
            limit=200,
        )  # fmt: skip
        return events

    return list_rows, get_row, history


def _writes(spec: RegisterSpec) -> tuple[Callable[..., Any], ...]:
    """Add a row, change one, import a file of them."""
    create_model, update_model = INPUTS[spec.slug]

    def create_row(
        data: Annotated[create_model, Body()],  # type: ignore[valid-type]
        db_session: SessionDep,
        actor: CurrentActor,
        clock: ClockDep,
    ) -> Any:
        return service.create_row(spec, db_session=db_session, actor=actor, clock=clock, data=data)

    def update_row(
        code: str,
        data: Annotated[update_model, Body()],  # type: ignore[valid-type]
        db_session: SessionDep,
        actor: CurrentActor,
        clock: ClockDep,
    ) -> Any:
        return service.update_row(
            spec, db_session=db_session, actor=actor, clock=clock, code=code, data=data
        )

    async def bulk(
        request: Request,
        db_session: SessionDep,
        actor: CurrentActor,
        clock: ClockDep,
        dry_run: Annotated[bool, Query(description="Validate without writing.")] = False,
    ) -> JSONResponse:
        service.require_ward(actor)
        return await received_import(
            request, db_session, actor, clock,
            lambda upload: transfer.import_rows(
                spec, db_session=db_session, actor=actor, clock=clock, upload=upload,
                options=ImportOptions(dry_run=dry_run),
            ),
            dry_run=dry_run,
        )  # fmt: skip

    return create_row, update_row, bulk


def _export(spec: RegisterSpec, fmt: str) -> Callable[..., Response]:
    def download(
        db_session: SessionDep,
        actor: CurrentActor,
        clock: ClockDep,
        unit: Annotated[str | None, Query(max_length=64)] = None,
        state: Text = None,
        year: Year = None,
        overdue: bool = False,
        q: Text = None,
        kind: Text = None,
    ) -> Response:
        filters = _filters(unit, state, year, overdue, q, None, kind)
        rows = list(transfer.export_rows(spec, db_session=db_session, actor=actor, clock=clock,
                                         filters=filters))  # fmt: skip
        return export_api.file_response(spec, rows, fmt)

    return download


def _add_routes(spec: RegisterSpec) -> None:
    read_model = READS[spec.slug]
    tag: list[str | Enum] = [spec.slug]
    path = spec.api
    list_rows, get_row, history = _reads(spec)
    create_row, update_row, bulk = _writes(spec)
    router.add_api_route(path, list_rows, methods=["GET"], tags=tag,
                         response_model=Page[read_model],  # type: ignore[valid-type]
                         summary=f"{spec.title}: the rows, with filters")  # fmt: skip
    for fmt, media in (("csv", "text/csv"), ("xlsx", export_api.XLSX)):
        router.add_api_route(f"{path}.{fmt}", _export(spec, fmt), methods=["GET"], tags=tag,
                             response_class=StreamingResponse,
                             responses={200: {"content": {media: {}}}},
                             summary=f"{spec.title}: export (.{fmt}), re-importable")  # fmt: skip
    router.add_api_route(
        f"{path}/bulk", bulk, methods=["POST"], tags=tag, openapi_extra=FILE_BODY,
        response_model=ImportSummary, responses=IMPORT_RESPONSES,
        summary=f"{spec.title}: import many rows (CSV, .xlsx, JSON), all or none",
        description="Columns: `" + ", ".join(transfer.columns_of(spec)) + "` (or their "
        "Vietnamese labels, as the export names them). A row whose `code` exists updates it.",
    )  # fmt: skip
    router.add_api_route(path, create_row, methods=["POST"], tags=tag,
                         status_code=status.HTTP_201_CREATED, response_model=read_model,
                         responses={409: {"description": "The code is taken."}},
                         summary=f"{spec.title}: add a row")  # fmt: skip
    router.add_api_route(f"{path}/{{code}}", get_row, methods=["GET"], tags=tag,
                         response_model=read_model, summary=f"{spec.title}: one row")  # fmt: skip
    router.add_api_route(f"{path}/{{code}}", update_row, methods=["PATCH"], tags=tag,
                         response_model=read_model,
                         responses={409: {"description": "A stale `version`."}},
                         summary=f"{spec.title}: change a row")  # fmt: skip
    router.add_api_route(f"{path}/{{code}}/history", history, methods=["GET"], tags=tag,
                         response_model=list[AuditEventRead],
                         summary=f"{spec.title}: a row's changes")  # fmt: skip


@router.get(
    "/conclusions/tally",
    response_model=conclusions.Tally,
    tags=["ket-luan"],
    summary="Kết luận, nhiệm vụ được giao: the period's tally for the monthly report",
)
def conclusions_tally(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: Annotated[str, Query(max_length=16, examples=["2025-11"])],
) -> conclusions.Tally:
    """Due in the period: done on time, done late, not done; still open from before it; and
    every overdue item with its days of delay (judged on the period's last day, or today)."""
    return conclusions.tally(db_session=db_session, actor=actor, clock=clock, period=period)


for _spec in REGISTERS:
    _add_routes(_spec)
