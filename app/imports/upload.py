"""Receiving an upload, shared by the bulk API and the upload page (pages never import the API).

The body is spooled to disk under the size limit, an idle gap and a deadline; one of the user's
import slots is held throughout; the request's pooled connection is handed back before the body
is awaited; the import itself runs off the event loop.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import Forbidden
from app.imports.registry import import_file
from app.imports.templates import ImportKind
from app.permissions import Permission, authorize, can
from app.uploads.bulk import ImportOptions, ImportResult, ImportStatus, file_failure
from app.uploads.files import FileProblem, Upload, receive_upload
from app.uploads.limits import import_slot, release_connection


def authorize_import(actor: Actor) -> None:
    """Refuse a role that may not write data before its file is even read (403)."""
    authorize(actor, Permission.DATA_WRITE)


def authorize_upload_page(actor: Actor) -> None:
    """The upload page is for those who import for every unit: coordinators and admins."""
    if not (can(actor, Permission.DATA_WRITE) and can(actor, Permission.READ_ALL)):
        raise Forbidden(
            "Trang nhập dữ liệu hàng loạt dành cho bộ phận điều phối và quản trị. Cán bộ báo cáo "
            "của đơn vị nhập qua API (POST /api/v1/readings/bulk) cho đơn vị mình.",
            code="forbidden",
        )


def summary_response(result: ImportResult) -> JSONResponse:
    """200 for ok and warning, 422 when the batch was refused (nothing written)."""
    code = 422 if result.summary.status == ImportStatus.ERROR else 200
    return JSONResponse(result.summary.model_dump(mode="json"), status_code=code)


def file_problem_summary(problem: FileProblem, *, dry_run: bool) -> ImportResult:
    return ImportResult(file_failure(problem, dry_run=dry_run))


async def import_received(
    kind: ImportKind,
    upload: Upload,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    options: ImportOptions,
    keep_rejected: bool = False,
    profile_code: str | None = None,
    plan_code: str | None = None,
) -> ImportResult:
    """Import a received file off the event loop, and close its spool whatever happens."""
    try:
        return await run_in_threadpool(
            import_file,
            kind,
            db_session=db_session,
            actor=actor,
            clock=clock,
            upload=upload,
            options=options,
            keep_rejected=keep_rejected,
            profile_code=profile_code,
            plan_code=plan_code,
        )
    finally:
        upload.close()


async def run_upload(
    request: Request,
    kind: ImportKind,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    options: ImportOptions,
    sheet: str | None = None,
    profile_code: str | None = None,
    plan_code: str | None = None,
) -> ImportResult:
    """Receive the body (streamed to a spool, 413 past the limit, 408 when it stalls), then
    import it off the loop.

    One of the user's import slots is held throughout (429 past ``max_imports_per_user``), and
    the request's pooled connection, which authentication used, is handed back before the body
    is awaited: a slow sender must hold no connection or transaction that others need.
    """
    authorize_import(actor)
    limit = request.app.state.settings.max_upload_bytes
    # first the connection, then the slot: a request holding one while it waits for another
    # would deadlock the pool once every pooled connection is held that way
    release_connection(db_session)
    async with import_slot(request, actor.username, clock.now()):
        try:
            upload: Upload = await receive_upload(request, limit=limit)
        except FileProblem as problem:
            return file_problem_summary(problem, dry_run=options.dry_run)
        upload.sheet = sheet
        return await import_received(
            kind,
            upload,
            db_session=db_session,
            actor=actor,
            clock=clock,
            options=options,
            profile_code=profile_code,
            plan_code=plan_code,
        )
