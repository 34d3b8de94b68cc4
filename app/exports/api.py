"""JSON API of exports: any list as CSV or Excel, with the list's own filters."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.exports.datasets import Dataset
from app.exports.service import export_file
from app.exports.writers import ExportFormat
from app.routes import Routes

router = Routes()


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
    dataset: Dataset,
    fmt: ExportFormat,
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
        export_file,
        db_session=db_session,
        actor=actor,
        clock=clock,
        dataset=dataset,
        fmt=fmt,
        filters=filters,
    )
    media = (
        "text/csv; charset=utf-8"
        if fmt == ExportFormat.CSV
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
