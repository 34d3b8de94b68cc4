"""JSON API for units."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response, status

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.pagination import PagingDep
from app.routes import Routes
from app.schemas import Page
from app.units import service
from app.units.models import UnitCreate, UnitRead, UnitUpdate

router = Routes(prefix="/units", tags=["units"])


@router.get("", response_model=Page[UnitRead], summary="List units")
def list_units(
    db_session: SessionDep,
    paging: PagingDep,
    active: bool | None = None,
    parent: Annotated[str | None, Query(description="Children of this unit code.")] = None,
    q: Annotated[str | None, Query(description="Search in code and name.")] = None,
) -> Page[UnitRead]:
    items, total = service.list_units(
        db_session=db_session,
        active=active,
        parent=parent,
        q=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post("", response_model=UnitRead, status_code=status.HTTP_201_CREATED)
def create_unit(
    data: UnitCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> UnitRead:
    return service.create_unit(db_session=db_session, actor=actor, clock=clock, data=data)


@router.get("/{code}", response_model=UnitRead)
def get_unit(code: str, db_session: SessionDep) -> UnitRead:
    unit = service.get_by_code(db_session=db_session, code=code)
    return service.to_read(db_session=db_session, units=[unit])[0]


@router.patch("/{code}", response_model=UnitRead)
def update_unit(
    code: str, data: UnitUpdate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> UnitRead:
    return service.update_unit(
        db_session=db_session, actor=actor, clock=clock, code=code, data=data
    )


@router.delete(
    "/{code}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={409: {"description": "Data still refers to the unit; deactivate it instead."}},
)
def delete_unit(
    code: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    service.delete_unit(db_session=db_session, actor=actor, code=code, clock=clock)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
