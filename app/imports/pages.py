"""HTML pages of file imports: the upload page and an import's error reports."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.imports.profiles.service import list_profiles
from app.imports.registry import import_file
from app.imports.templates import LABELS, ImportKind
from app.imports.upload import authorize_upload_page, file_problem_summary
from app.names import names_for, reading_key_name
from app.routes import Routes
from app.templating import render
from app.uploads import errors_report
from app.uploads.bulk import ImportOptions, ImportStatus
from app.uploads.errors_report import CODE_LABELS, ERRORS_FILE, REJECTED_FILE
from app.uploads.headers import field_label
from app.uploads.receive import Received, received_file

router = Routes(include_in_schema=False)

_STATUS_TEXT = {
    ImportStatus.OK: "Tất cả các dòng hợp lệ.",
    ImportStatus.WARNING: "Đã ghi các dòng hợp lệ; các dòng dưới đây bị từ chối.",
    ImportStatus.ERROR: "Không ghi dòng nào: hãy sửa các lỗi dưới đây rồi gửi lại.",
}


def _context(**more: Any) -> dict[str, Any]:
    return {
        "title": "Nhập dữ liệu hàng loạt",
        "kinds": [(k.value, LABELS[k]) for k in ImportKind],
        "chosen": ImportKind.READINGS.value,
        "result": None,
        "code_label": lambda code: CODE_LABELS.get(code, code),
        "field_label": field_label,
        **more,
    }


def _profiles(db_session: Session) -> list[tuple[str, str]]:
    """The mapping profiles an officer may pick (code, "name (dữ liệu)")."""
    return [
        (p.code, f"{p.name} ({LABELS.get(ImportKind(p.spec.kind), p.spec.kind)})")
        for p in list_profiles(db_session=db_session)
    ]


@router.get("/imports", response_class=HTMLResponse)
def upload_page(request: Request, identity: WebUser, db_session: SessionDep) -> HTMLResponse:
    authorize_upload_page(identity.actor)
    return render(request, "integration/upload.html", _context(profiles=_profiles(db_session)))


@router.post("/imports", response_class=HTMLResponse)
async def upload(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    """Runs the import and answers with its summary (the ``result`` block for the page's script,
    the whole page for a plain form): 200 when written or valid, 422 when refused."""
    actor = identity.actor
    authorize_upload_page(actor)
    # the shared receive: no pooled connection held while the body arrives, one import slot
    async with received_file(request, db_session=db_session, actor=actor, now=clock.now()) as got:
        return await _upload(request, got, actor=actor, db_session=db_session, clock=clock)


async def _upload(
    request: Request, got: Received, *, actor: Actor, db_session: Session, clock: Clock
) -> HTMLResponse:
    try:
        kind = ImportKind(got.field("kind"))
    except ValueError:
        kind = ImportKind.READINGS
    options = ImportOptions(
        dry_run=got.field("dry_run") == "on", partial=got.field("partial") == "on"
    )
    sheet = got.field("sheet").strip() or None
    profile_code = got.field("profile").strip() or None
    received = got.upload
    filename = received.filename if received is not None else ""
    if received is None:
        assert got.problem is not None
        result = file_problem_summary(got.problem, dry_run=options.dry_run)
    else:
        received.sheet = sheet
        result = await run_in_threadpool(
            import_file,
            kind,
            db_session=db_session,
            actor=actor,
            clock=clock,
            upload=received,
            options=options,
            keep_rejected=True,
            profile_code=profile_code,
        )
    token = result.report_token
    summary = result.summary
    return render(
        request,
        "integration/upload.html",
        _context(
            chosen=kind.value,
            result=summary,
            status_text=_STATUS_TEXT[summary.status],
            errors_link=f"/imports/reports/{token}/{ERRORS_FILE}" if token else None,
            rejected_link=(
                f"/imports/reports/{token}/{REJECTED_FILE}" if result.has_rejected_rows else None
            ),
            filename=filename,
            options=options,
            sheet=sheet or "",
            profiles=_profiles(db_session),
            profile=profile_code or "",
            conflict_names=[
                reading_key_name(names_for(db_session), key) for key in summary.conflict_keys
            ],
        ),
        block="result",
        status_code=422 if summary.status == ImportStatus.ERROR else 200,
    )


@router.get("/imports/reports/{token}/{name}")
def import_report(token: str, name: str, identity: WebUser) -> StreamingResponse:
    """An import's full error list, or its refused rows, for the person who sent the file."""
    blocks = errors_report.open_report(token=token, name=name, username=identity.actor.username)
    return StreamingResponse(
        blocks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
