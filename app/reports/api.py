"""JSON API of the consolidated report: generate (docx, xlsx, pdf, json), freeze, read back.

It answers files and JSON only; the HTML preview is a page (``app.reports.pages``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Path, Query, status
from fastapi.responses import Response

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.dependencies import ReportPeriodQuery
from app.reports import service
from app.reports.models import ReportConfigRead, ReportConfigUpdate, SnapshotRead
from app.routes import Routes
from app.scores.schemas import Basis

router = Routes(prefix="/reports", tags=["reports"])

BasisQuery = Annotated[
    Basis,
    Query(
        description="`all` (default): everything entered, each figure marked Đã duyệt / Chờ "
        "duyệt / Chưa gửi; `approved`: only approved reports are scored and ranked."
    ),
]


def _file(report: service.ReportFile, *, inline: bool = False) -> Response:
    disposition = "inline" if inline else "attachment"
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{report.filename}"'},
    )


@router.get(
    "/consolidated",
    summary="The consolidated report of a period, generated from the data as it stands",
    responses={200: {"content": {m: {} for m in service.MEDIA_TYPES.values()}}},
)
def consolidated(
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    period: ReportPeriodQuery = None,
    format: Literal["docx", "xlsx", "pdf", "json"] = "docx",
    basis: BasisQuery = "all",
) -> Response:
    """Word (Decree 30/2020 layout), Excel (one sheet per table), PDF (the HTML preview printed
    on A4, for signing and archiving), or the data as JSON. The figures are those of
    `GET /api/v1/scores` for the same period and basis. The HTML preview is the page
    `/reports/consolidated`, not this API."""
    report = service.generate(
        db_session=db_session, actor=actor, clock=clock, period=period, fmt=format, basis=basis
    )
    return _file(report, inline=format == "json")


@router.post(
    "/consolidated/final",
    response_model=SnapshotRead,
    status_code=status.HTTP_201_CREATED,
    summary="Mark the report of a period final: a frozen, numbered version of approved data",
)
def mark_final(
    db_session: SessionDep, actor: CurrentActor, clock: ClockDep, period: ReportPeriodQuery = None
) -> SnapshotRead:
    return service.mark_final(db_session=db_session, actor=actor, clock=clock, period=period)


@router.get("/consolidated/versions", response_model=list[SnapshotRead])
def versions(
    db_session: SessionDep, actor: CurrentActor, period: str | None = None
) -> list[SnapshotRead]:
    return service.list_snapshots(db_session=db_session, actor=actor, period=period)


@router.get("/consolidated/versions/{period}/{version}")
def version_file(
    period: str,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    db_session: SessionDep,
    actor: CurrentActor,
    format: Literal["docx", "xlsx", "pdf", "json"] = "docx",
) -> Response:
    """A frozen version, byte for byte as it was marked final (PDF: 404 for versions frozen
    before the PDF existed)."""
    report = service.snapshot_file(
        db_session=db_session, actor=actor, period=period, version=version, fmt=format
    )
    return _file(report, inline=format == "json")


@router.get("/config", response_model=ReportConfigRead)
def get_config(db_session: SessionDep, actor: CurrentActor) -> ReportConfigRead:
    return service.get_config(db_session=db_session, actor=actor)


@router.put("/config", response_model=ReportConfigRead)
def put_config(
    data: ReportConfigUpdate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> ReportConfigRead:
    """Issuing body, signer and recipients printed on the report."""
    return service.update_config(db_session=db_session, actor=actor, clock=clock, data=data)
