"""Receiving an evidence file from a multipart request, with the body capped as it arrives.

A declared length over the limit is refused before anything is read; an undeclared one is
counted while Starlette parses it and refused the moment it passes the limit. Starlette spools
each file part (a megabyte in memory, the rest in an unnamed temporary file), so memory stays
bounded and a refused upload leaves nothing on disk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData, UploadFile

from app.errors import Invalid
from app.progress.evidence.service import EvidenceTooLarge

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]

#: What a multipart form may carry beside its file (the note, the CSRF token, boundaries).
FORM_OVERHEAD_BYTES = 64 * 1024


def _capped(receive: Receive, *, max_bytes: int, limit: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > max_bytes:
            raise EvidenceTooLarge(limit)
        return message

    return counted


async def received_form(request: Request, *, limit: int) -> tuple[UploadFile, FormData]:
    """The request's ``file`` part and the rest of its form (413 past ``limit`` bytes)."""
    cap = limit + FORM_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise EvidenceTooLarge(limit)
    original = request._receive  # Starlette keeps the channel here
    request._receive = _capped(original, max_bytes=cap, limit=limit)
    try:
        form = await request.form(max_files=1, max_fields=20)
    finally:
        request._receive = original
    part = form.get("file")
    if not isinstance(part, UploadFile) or not part.filename:
        raise Invalid.one("file", "file_missing", "Hãy chọn tệp cần đính kèm.")
    return part, form
