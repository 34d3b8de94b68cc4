"""Who may import, and the bulk API's import of a kind (pages never import the API).

Receiving the body is ``app/uploads/receive.py``, the one path every upload takes.
"""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import Forbidden
from app.imports.registry import import_file
from app.imports.templates import ImportKind
from app.permissions import Permission, authorize, can
from app.uploads.bulk import ImportOptions, ImportResult, file_failure
from app.uploads.files import FileProblem
from app.uploads.receive import run_received


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


def file_problem_summary(problem: FileProblem, *, dry_run: bool) -> ImportResult:
    return ImportResult(file_failure(problem, dry_run=dry_run))


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
    """A bulk route's import: the role refused before a byte of the body is read, then the
    shared receive (``uploads/receive.run_received``: no pooled connection held, one import
    slot, 413/408 limits) and the importer of ``kind``."""
    authorize_import(actor)
    return await run_received(
        request,
        db_session=db_session,
        actor=actor,
        clock=clock,
        dry_run=options.dry_run,
        sheet=sheet,
        work=lambda upload: import_file(
            kind,
            db_session=db_session,
            actor=actor,
            clock=clock,
            upload=upload,
            options=options,
            profile_code=profile_code,
            plan_code=plan_code,
        ),
    )
