"""JSON API for evidence: list and attach on a task's update, download and remove by key."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response, status
from fastapi.responses import StreamingResponse

from app.accounts.dependencies import CurrentActor
from app.clock import ClockDep
from app.db import SessionDep
from app.progress.evidence import service
from app.progress.evidence.models import EvidenceLinkCreate, EvidenceRead
from app.progress.evidence.store import EvidenceStore, store_from_settings
from app.progress.evidence.upload import attach_received, file_response, validated
from app.routes import Routes

router = Routes(tags=["evidence"])

_TASK_PATH = "/units/{unit}/periods/{period}/tasks/{code}/evidence"
_LINK_EXAMPLE = {
    "url": "https://phudinh.hochiminhcity.gov.vn/van-ban/ke-hoach-84",
    "note": "Quyết định số 12/QĐ-UBND ngày 05/11/2025",
}
_ATTACH_BODY: dict[str, Any] = {
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
                },
                "examples": {
                    "file": {
                        "summary": "A signed report as PDF",
                        "value": {"file": "bao-cao-ket-qua.pdf", "note": "Báo cáo số 45/BC-UBND"},
                    }
                },
            },
            "application/json": {
                "schema": EvidenceLinkCreate.model_json_schema(),
                "examples": {"link": {"summary": "A published document", "value": _LINK_EXAMPLE}},
            },
        },
    }
}


def _store(request: Request) -> EvidenceStore:
    return store_from_settings(request.app.state.settings)


def _limits(request: Request) -> service.EvidenceLimits:
    return service.EvidenceLimits.of(request.app.state.settings)


@router.get(
    "/units/{unit}/periods/{period}/evidence",
    response_model=list[EvidenceRead],
    summary="All the evidence of a unit's updates for a period",
)
def list_period_evidence(
    db_session: SessionDep, actor: CurrentActor, unit: str, period: str
) -> list[EvidenceRead]:
    """Every file and link the unit attached for `period`, task by task (each item names its
    `task`), oldest first: what an integrator archives, or a reviewer checks, in one call."""
    found = service.list_for_period(db_session=db_session, actor=actor, unit=unit, period=period)
    return [item for items in found.values() for item in items]


@router.get(_TASK_PATH, response_model=list[EvidenceRead], summary="A task update's evidence")
def list_evidence(
    db_session: SessionDep, actor: CurrentActor, unit: str, period: str, code: str
) -> list[EvidenceRead]:
    """Files and links the unit attached to its update on task `code` for `period`."""
    return service.list_for_task(
        db_session=db_session, actor=actor, unit=unit, period=period, task=code
    )


@router.post(
    _TASK_PATH,
    response_model=EvidenceRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_ATTACH_BODY,
    responses={413: {"description": "File over `evidence_max_bytes`."}},
    summary="Attach a file (multipart `file`) or a link (JSON) to a task's update",
)
async def attach_evidence(
    request: Request,
    db_session: SessionDep,
    actor: CurrentActor,
    clock: ClockDep,
    unit: str,
    period: str,
    code: str,
) -> EvidenceRead:
    """A file's kind is read from its bytes and must agree with its name (PDF, Word, Excel,
    OpenDocument, PNG, JPEG as the settings allow); a link must be http or https. The report
    must still be open (not sent or approved)."""
    limits = _limits(request)
    return await attach_received(
        request,
        db_session,
        max_bytes=limits.max_bytes,
        attach_file=lambda part, note: service.attach_file(
            db_session=db_session, actor=actor, clock=clock, store=_store(request),
            limits=limits, unit=unit, period=period, task=code, stream=part.file,
            filename=part.filename or "", note=note,
        ),
        attach_json=lambda body: service.attach_link(
            db_session=db_session, actor=actor, clock=clock, limits=limits, unit=unit,
            period=period, task=code, data=validated(EvidenceLinkCreate, body),
        ),
    )  # fmt: skip


@router.delete(
    "/evidence/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an evidence file or link",
)
def remove_evidence(
    request: Request, db_session: SessionDep, actor: CurrentActor, clock: ClockDep, key: str
) -> Response:
    """Refused (409 `last_evidence`) for the last evidence of a task marked done whose plan
    entry names a product; 404 for a key you may not see."""
    service.remove(db_session=db_session, actor=actor, clock=clock, store=_store(request), key=key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/evidence/{key}",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
    summary="Download an evidence file",
)
def download_evidence(
    request: Request, db_session: SessionDep, actor: CurrentActor, key: str
) -> StreamingResponse:
    """For users who may read that unit's report; 404 (not 403) for anyone else."""
    download = service.open_download(
        db_session=db_session, actor=actor, store=_store(request), key=key
    )
    return file_response(
        filename=download.item.filename,
        content_type=download.item.content_type,
        size=download.item.size,
        stream=download.stream,
        inline=download.inline,
    )
