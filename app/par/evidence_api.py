"""JSON API of a criterion's evidence: attach a file, a link or a plan task; download; remove."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.par import evidence
from app.par.framework_api import (
    CriterionCode,
    Year,
)
from app.par.models import (
    EvidenceRef,
)
from app.progress.evidence import files
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits
from app.progress.evidence.store import EvidenceStore, store_from_settings
from app.progress.evidence.upload import received_form
from app.schemas import StrictInput

router = APIRouter(tags=["par-assessments"])


class TaskEvidence(StrictInput):
    task: str = PydanticField(max_length=32, examples=["II.2.3.1"])
    note: str = PydanticField(default="", max_length=500)


def _store(request: Request) -> EvidenceStore:
    return store_from_settings(request.app.state.settings)


@router.get(
    "/par-assessments/evidence/{key}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
    summary="Download a criterion's evidence file",
)
def download_evidence(
    request: Request, key: str, db_session: SessionDep, actor: CurrentActor
) -> StreamingResponse:
    ev, stream = evidence.open_evidence(
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
    evidence.remove_evidence(
        db_session=db_session, actor=actor, clock=clock, store=_store(request), key=key
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
            evidence.attach_file,
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
            evidence.attach_task,
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
        evidence.attach_link,
        db_session=db_session,
        actor=actor,
        clock=clock,
        year=year,
        criterion=criterion,
        data=data,
    )
