"""Evidence over HTTP, both ways: receiving a file (multipart) or a link (JSON) with the body
capped as it arrives, and sending a stored file back. A task's evidence
(``/api/v1/units/…/evidence``) and a PAR criterion's (``/api/v1/par-assessments/…/evidence``)
are received and answered by these functions; only what is stored, and where, differs.

A declared length over the limit is refused before anything is read; an undeclared one is
counted while Starlette parses it and refused the moment it passes the limit; a body that stalls
or drags past the upload timeouts (``PARTRACK_UPLOAD_IDLE_TIMEOUT_SECONDS``,
``PARTRACK_UPLOAD_DEADLINE_SECONDS``) is refused with 408, as an import's is. Starlette spools
each file part (a megabyte in memory, the rest in an unnamed temporary file), so memory stays
bounded and a refused upload leaves nothing on disk. No pooled connection is held while a body
arrives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import IO, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from app.bodies import timed_receive
from app.db import release_slot
from app.errors import AppError, Invalid
from app.progress.evidence import files
from app.progress.evidence.service import EvidenceTooLarge

#: What a multipart form may carry beside its file (the note, the CSRF token, boundaries).
FORM_OVERHEAD_BYTES = 64 * 1024
#: A link's JSON (an address and a note of 500 characters) is far smaller than this.
JSON_MAX_BYTES = 64 * 1024

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class UnsupportedEvidenceBody(AppError):
    """415: evidence is a file (multipart) or a link (JSON), nothing else."""

    def __init__(self, content_type: str) -> None:
        super().__init__(
            message=f"Không nhận minh chứng kiểu “{content_type or 'không rõ'}”: gửi tệp "
            "(multipart/form-data, trường file) hoặc liên kết (application/json).",
            code="unsupported_media_type",
            status_code=415,
        )


def media_type(request: Request) -> str:
    """The body's media type without its parameters (``multipart/form-data``)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


@contextlib.contextmanager
def _guarded(request: Request, *, cap: int, too_large: Callable[[], Exception]) -> Iterator[None]:
    """While inside, the body is read under the upload timeouts and capped at ``cap`` bytes."""
    settings = request.app.state.settings
    original = request._receive  # Starlette keeps the channel here
    request._receive = timed_receive(
        original,
        idle=settings.upload_idle_timeout_seconds,
        deadline=settings.upload_deadline_seconds,
        max_bytes=cap,
        too_large=too_large,
    )
    try:
        yield
    finally:
        request._receive = original


async def received_form(request: Request, *, limit: int) -> tuple[UploadFile, FormData]:
    """The request's ``file`` part and the rest of its form (413 past ``limit`` bytes)."""
    cap = limit + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise EvidenceTooLarge(limit)
    with _guarded(request, cap=cap, too_large=lambda: EvidenceTooLarge(limit)):
        form = await request.form(max_files=1, max_fields=20)
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        raise Invalid.one("file", "file_missing", "Hãy chọn tệp cần đính kèm.")
    return part, form


def _json_too_large() -> AppError:
    return AppError(
        message="Liên kết minh chứng gửi lên quá lớn: phần JSON tối đa "
        f"{files.size_vi(JSON_MAX_BYTES)} (địa chỉ và ghi chú).",
        code="payload_too_large",
        status_code=413,
    )


async def received_json(request: Request) -> bytes:
    """A link's JSON body, under the same timeouts and capped at ``JSON_MAX_BYTES``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > JSON_MAX_BYTES:
        raise _json_too_large()
    with _guarded(request, cap=JSON_MAX_BYTES, too_large=_json_too_large):
        return await request.body()


def validated(model: type[M], body: bytes) -> M:
    """The JSON body as ``model``, or FastAPI's 422 with the fields under ``body`` (the answer
    a declared body parameter would give; the route reads the body itself to tell a file from a
    link)."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
        ) from None


async def attach_received(
    request: Request,
    db_session: Session,
    *,
    max_bytes: int,
    attach_file: Callable[[UploadFile, str], T],
    attach_json: Callable[[bytes], T],
) -> T:
    """Evidence received by its content type and attached off the event loop: a multipart
    ``file`` (with its ``note``) goes to ``attach_file(part, note)``, a JSON body to
    ``attach_json(body)``; anything else is a 415. The request's pooled connection (and its
    request slot) goes back before the body is awaited: a slow sender holds neither."""
    media = media_type(request)
    if media not in ("multipart/form-data", "application/json"):
        raise UnsupportedEvidenceBody(media)
    db_session.close()
    release_slot(db_session)
    if media == "multipart/form-data":
        part, form = await received_form(request, limit=max_bytes)
        note = form.get("note")
        return await run_in_threadpool(attach_file, part, note if isinstance(note, str) else "")
    body = await received_json(request)
    return await run_in_threadpool(attach_json, body)


def file_response(
    *, filename: str, content_type: str, size: int, stream: IO[bytes], inline: bool = False
) -> StreamingResponse:
    """The stored bytes with the whitelisted type, a safe name, and no sniffing or scripts."""

    def chunks() -> Iterator[bytes]:
        with stream:
            while block := stream.read(64 * 1024):
                yield block

    return StreamingResponse(
        chunks(),
        media_type=content_type,
        headers={
            "Content-Disposition": files.content_disposition(filename, inline=inline),
            "Content-Length": str(size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, no-store",
        },
    )
