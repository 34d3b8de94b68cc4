"""JSON API of the city's PAR Index criteria tables (``/api/v1/par-frameworks``); its import
is received as every import is (``app/uploads/receive.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlmodel import Session

from app.accounts.dependencies import CurrentActor
from app.actors import Actor
from app.clock import ClockDep
from app.db import SessionDep
from app.kpis.models import CleanStr
from app.par import criteria_import, framework
from app.par.models import (
    CriterionRead,
    CriterionUpdate,
    FrameworkRead,
)
from app.routes import Routes
from app.schemas import ReadModel
from app.uploads.bulk import ImportOptions, ImportSummary

# the shared receive of every import; FILE_BODY, IMPORT_RESPONSES and received_import are
# still importable from here (the registers' routes did)
from app.uploads.receive import FILE_BODY, IMPORT_RESPONSES, received_import

router = Routes(tags=["par-assessments"])

Year = Annotated[int, Path(ge=2000, le=2100, examples=[2025])]
CriterionCode = Annotated[str, Path(max_length=32, examples=["3.1"])]
DryRun = Annotated[bool, Query(description="Validate and report without writing anything.")]


class FrameworkListItem(ReadModel):
    code: str
    year: int
    title: str
    official: bool


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
    openapi_extra=FILE_BODY,
    response_model=ImportSummary,
    responses=IMPORT_RESPONSES,
    summary="Import the city's criteria table (.xlsx or CSV)",
)
async def import_criteria(
    request: Request,
    code: str,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    year: Annotated[int, Query(ge=2000, le=2100)],
    title: Annotated[CleanStr, Query(max_length=500)] = "",
    source: Annotated[CleanStr, Query(max_length=2000)] = "",
    official: bool = True,
    dry_run: DryRun = False,
) -> JSONResponse:
    """Columns (layout in `docs/par-index.md`): `criterion, par_area, title, max_points,
    scored_by, method, evidence_required, indicator, rule, official` (or their Vietnamese
    labels: Mã tiêu chí, Lĩnh vực CCHC, Nội dung tiêu chí, Điểm tối đa, …). Rows upsert by
    code into table `code` (created when new); all or nothing; every parent's maximum must be
    the sum of its children's."""
    try:
        header = criteria_import.FrameworkHeader(
            year=year, title=title, source=source, official=official
        )
    except ValidationError as exc:  # control characters in a query value: the edge says so
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
        ) from None
    framework_authorized(db_session, actor)
    return await received_import(
        request,
        db_session,
        actor,
        clock,
        lambda upload: criteria_import.import_criteria(
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
