"""The JSON API of mapping profiles: list, read, save, delete, and preview a sample file."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.imports.profiles.models import ProfileCreate, ProfileRead, ProfileUpdate
from app.imports.profiles.previews import ProfilePreview, preview
from app.imports.profiles.service import (
    create_profile,
    delete_profile,
    get_profile,
    list_profiles,
    update_profile,
)
from app.routes import Routes

router = Routes(tags=["import profiles"])


@router.get("/import-profiles", response_model=list[ProfileRead])
def list_route(db_session: SessionDep) -> list[ProfileRead]:
    """Every profile: the shipped ones and those saved in this database."""
    return list_profiles(db_session=db_session)


@router.get("/import-profiles/{code}", response_model=ProfileRead)
def get_route(code: str, db_session: SessionDep) -> ProfileRead:
    return get_profile(db_session=db_session, code=code)


@router.post("/import-profiles", response_model=ProfileRead, status_code=status.HTTP_201_CREATED)
def create_route(
    data: ProfileCreate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> ProfileRead:
    return create_profile(db_session=db_session, actor=actor, clock=clock, data=data)


@router.put("/import-profiles/{code}", response_model=ProfileRead)
def update_route(
    code: str, data: ProfileUpdate, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> ProfileRead:
    return update_profile(db_session=db_session, actor=actor, clock=clock, code=code, data=data)


@router.delete("/import-profiles/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_route(
    code: str, db_session: SessionDep, actor: CurrentActor, clock: ClockDep
) -> Response:
    delete_profile(db_session=db_session, actor=actor, clock=clock, code=code)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/import-profiles/{code}/preview", response_model=ProfilePreview)
async def preview_route(
    code: str,
    file: Annotated[UploadFile, File(description="A sample export: .csv or .xlsx.")],
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
) -> ProfilePreview:
    """The first rows of a sample file as an import with this profile would read them."""
    return await run_in_threadpool(
        preview,
        db_session=db_session,
        actor=actor,
        clock=clock,
        code=code,
        data=file.file,  # read where the framework spooled it: only the first rows are read
        filename=file.filename or "",
    )
