"""JSON API of a criterion's evidence: attach a file, a link or a plan task; download; remove."""

from __future__ import annotations

import json

from fastapi import Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
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
from app.progress.evidence.models import EvidenceLinkCreate
from app.progress.evidence.service import EvidenceLimits
from app.progress.evidence.store import EvidenceStore, store_from_settings
from app.progress.evidence.upload import attach_received, file_response, validated
from app.routes import Routes
from app.schemas import StrictInput

router = Routes(tags=["par-assessments"])


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
    return file_response(
        filename=ev.filename, content_type=ev.content_type, size=ev.size, stream=stream
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
    """A file (multipart `file`, with its `note`) is checked and stored as a task's evidence
    is; a JSON body is a link (`url`, `note`) or, when it names a `task`, a plan task."""
    limits = EvidenceLimits.of(request.app.state.settings)

    def attach_json(body: bytes) -> EvidenceRef:
        data = validated(_json_model(body), body)
        if isinstance(data, TaskEvidence):
            return evidence.attach_task(
                db_session=db_session, actor=actor, clock=clock, year=year,
                criterion=criterion, task=data.task, note=data.note,
            )  # fmt: skip
        assert isinstance(data, EvidenceLinkCreate)
        return evidence.attach_link(
            db_session=db_session, actor=actor, clock=clock, year=year, criterion=criterion,
            data=data,
        )  # fmt: skip

    return await attach_received(
        request,
        db_session,
        max_bytes=limits.max_bytes,
        attach_file=lambda part, note: evidence.attach_file(
            db_session=db_session, actor=actor, clock=clock, store=_store(request),
            limits=limits, year=year, criterion=criterion, stream=part.file,
            filename=part.filename or "", note=note,
        ),
        attach_json=attach_json,
    )  # fmt: skip


def _json_model(body: bytes) -> type[BaseModel]:
    """A plan task when the object names a ``task``, else a link. JSON that does not parse is
    left to the link's validation, whose 422 says what is wrong with it."""
    try:
        value = json.loads(body)
    except ValueError:
        return EvidenceLinkCreate
    return TaskEvidence if isinstance(value, dict) and "task" in value else EvidenceLinkCreate
