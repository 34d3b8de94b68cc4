"""The one way a file upload is received, for every import route and page: the readings' bulk
API, the upload page, the PAR criteria, appraisal and framework imports (API and pages) and the
registers' bulk imports.

In this order: the request's pooled connection goes back (a slow sender holds none), one of the
user's import slots is taken (429 with ``Retry-After`` past ``max_imports_per_user``), the body
is spooled under the size limit, an idle gap and a deadline (413, 408), the work runs off the
event loop with the slot still held, and the spool is closed whatever happens. A route that
wrote its own copy of these steps would drift from them (one did: it read the whole file into
memory and took no slot), so there is none.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.actors import Actor
from app.clock import Clock
from app.errors import AppError
from app.uploads.bulk import ImportResult, ImportStatus, ImportSummary, file_failure
from app.uploads.files import FileProblem, Upload, receive_upload
from app.uploads.limits import import_slot, release_connection

FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "An Excel workbook (.xlsx) or CSV, raw or as a multipart `file`; the "
        "header row names the columns (or their Vietnamese labels).",
        "content": {
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
IMPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ImportSummary, "description": "Refused rows: nothing written."},
    413: {"description": "Body larger than `PARTRACK_MAX_UPLOAD_BYTES`."},
    429: {"description": "The user already runs its allowed imports at once."},
}


@dataclass
class Received:
    """A received body: the file (``None`` when it cannot be read at all, with ``problem`` saying
    why) and the form fields sent beside it (empty for a raw body)."""

    upload: Upload | None
    problem: FileProblem | None
    form: FormData

    def field(self, name: str) -> str:
        """A text field of the form, ``""`` when absent."""
        value = self.form.get(name)
        return value if isinstance(value, str) else ""

    def problem_text(self) -> str:
        """The first reason the file was refused, for a page that shows one line by its field."""
        if self.problem is None or not self.problem.errors:
            return "Tệp không đọc được."
        return self.problem.errors[0][1].message


@contextlib.asynccontextmanager
async def received_file(
    request: Request, *, db_session: Session, actor: Actor, now: datetime
) -> AsyncIterator[Received]:
    """Inside the block: the body received under the limits, with one of the actor's import
    slots held and no pooled connection kept while it arrived. The caller authorises before
    entering (a refused role must not wait for its body) and runs the import inside."""
    # first the connection, then the slot: a request holding one while it waits for another
    # would deadlock the pool once every pooled connection is held that way
    release_connection(db_session)
    async with import_slot(request, actor.username, now):
        upload: Upload | None = None
        problem: FileProblem | None = None
        try:
            upload = await receive_upload(
                request, limit=request.app.state.settings.max_upload_bytes
            )
        except FileProblem as refused:
            problem = refused
        try:
            # Starlette keeps the form receive_upload parsed; a raw body has none to read
            yield Received(upload, problem, await request.form())
        finally:
            if upload is not None:
                upload.close()


async def received_page(
    request: Request,
    *,
    db_session: Session,
    actor: Actor,
    now: datetime,
    work: Callable[[Received], Response],
    refused: Callable[[AppError], Response],
) -> Response:
    """An upload page's whole answer: ``work`` on the received body, or ``refused`` with the
    reason when the body never arrived whole (too large 413, too slow 408, too many imports at
    once 429). Both run off the event loop: the page they render reads its context from the
    database. ``work`` shows a file that arrived but cannot be read (``Received.problem``)."""
    try:
        async with received_file(request, db_session=db_session, actor=actor, now=now) as got:
            return await run_in_threadpool(work, got)
    except AppError as exc:
        return await run_in_threadpool(refused, exc)


async def run_received(
    request: Request,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    work: Callable[[Upload], ImportResult],
    dry_run: bool,
    sheet: str | None = None,
) -> ImportResult:
    """``work`` on the received file, off the event loop; a file that cannot be read at all is
    the import's one error (nothing written)."""
    async with received_file(request, db_session=db_session, actor=actor, now=clock.now()) as got:
        if got.upload is None:
            assert got.problem is not None
            return ImportResult(file_failure(got.problem, dry_run=dry_run))
        got.upload.sheet = sheet
        return await run_in_threadpool(work, got.upload)


def summary_response(result: ImportResult) -> JSONResponse:
    """200 for ok and warning, 422 when the batch was refused (nothing written)."""
    code = 422 if result.summary.status == ImportStatus.ERROR else 200
    return JSONResponse(result.summary.model_dump(mode="json"), status_code=code)


async def received_import(
    request: Request,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    work: Callable[[Upload], ImportResult],
    *,
    dry_run: bool,
) -> JSONResponse:
    """An import route's whole answer: ``run_received``'s summary as JSON."""
    result = await run_received(
        request, db_session=db_session, actor=actor, clock=clock, work=work, dry_run=dry_run
    )
    return summary_response(result)
