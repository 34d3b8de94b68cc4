"""Receiving an evidence file from a multipart request, with the body capped as it arrives.

A declared length over the limit is refused before anything is read; an undeclared one is
counted while Starlette parses it and refused the moment it passes the limit; a body that stalls
or drags past the upload timeouts (``PARTRACK_UPLOAD_IDLE_TIMEOUT_SECONDS``,
``PARTRACK_UPLOAD_DEADLINE_SECONDS``) is refused with 408, as an import's is. Starlette spools
each file part (a megabyte in memory, the rest in an unnamed temporary file), so memory stays
bounded and a refused upload leaves nothing on disk.
"""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from app.bodies import timed_receive
from app.errors import Invalid
from app.progress.evidence.service import EvidenceTooLarge

#: What a multipart form may carry beside its file (the note, the CSRF token, boundaries).
FORM_OVERHEAD_BYTES = 64 * 1024


async def received_form(request: Request, *, limit: int) -> tuple[UploadFile, FormData]:
    """The request's ``file`` part and the rest of its form (413 past ``limit`` bytes)."""
    cap = limit + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise EvidenceTooLarge(limit)
    settings = request.app.state.settings
    original = request._receive  # Starlette keeps the channel here
    request._receive = timed_receive(
        original,
        idle=settings.upload_idle_timeout_seconds,
        deadline=settings.upload_deadline_seconds,
        max_bytes=cap,
        too_large=lambda: EvidenceTooLarge(limit),
    )
    try:
        form = await request.form(max_files=1, max_fields=20)
    finally:
        request._receive = original
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        raise Invalid.one("file", "file_missing", "Hãy chọn tệp cần đính kèm.")
    return part, form
