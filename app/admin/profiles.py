"""Mapping profiles in the browser: list, create, edit as plain lines, preview a sample file.

A profile is a nested structure; officers edit it as a few text areas of one rule per line
(``channel: Trực tuyến = online``), which reads like the note they would write anyway. The lines
become the same ``ProfileUpdate`` the JSON API takes, and the same service saves it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.admin import history
from app.clock import ClockDep
from app.db import SessionDep
from app.errors import AppError
from app.forms import FormState, answer, attempt, read_form
from app.imports.profiles import service as profiles
from app.imports.profiles.models import FIELD_LABELS, ProfileCreate, ProfileRead, ProfileUpdate
from app.imports.profiles.previews import preview
from app.permissions import Permission, authorize
from app.routes import Routes
from app.templating import render

router = Routes(include_in_schema=False)

KIND_LABELS = {"dossiers": "Hồ sơ TTHC", "feedback": "Phản ánh, kiến nghị"}
_EDIT_FIELDS = (
    "name",
    "description",
    "kind",
    "date_formats",
    "columns",
    "ignore",
    "values",
    "procedures",
    "defaults",
    "ignore_unknown_columns",
    "version",
)


# --- the profile as lines of text ----------------------------------------------------------------


def spec_texts(read: ProfileRead) -> dict[str, str]:
    """The stored profile as the form shows it."""
    spec = read.spec
    return {
        "name": read.name,
        "description": read.description,
        "kind": spec.kind,
        "date_formats": "; ".join(spec.date_formats),
        "columns": "\n".join(f"{f}: {' | '.join(hs)}" for f, hs in spec.columns.items()),
        "ignore": "\n".join(spec.ignore),
        "values": "\n".join(
            f"{f}: {text} = {target}" for f, m in spec.values.items() for text, target in m.items()
        ),
        "procedures": "\n".join(f"{name} = {code}" for name, code in spec.procedures.items()),
        "defaults": "\n".join(f"{f} = {v}" for f, v in spec.defaults.items()),
        "ignore_unknown_columns": "1" if spec.ignore_unknown_columns else "",
        "version": str(read.version),
    }


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def parse_texts(typed: dict[str, str], keep: ProfileRead) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's lines as a spec, and a Vietnamese message per text area that has a bad line."""
    errors: dict[str, str] = {}
    columns: dict[str, list[str]] = {}
    for n, line in _lines(typed["columns"]):
        name, sep, rest = line.partition(":")
        headers = [h.strip() for h in rest.split("|") if h.strip()]
        if not sep or not headers:
            errors.setdefault("columns", f"Dòng {n}: ghi “trường: Tên cột | Tên cột khác”.")
            continue
        columns.setdefault(name.strip(), []).extend(headers)
    values: dict[str, dict[str, str]] = {}
    for n, line in _lines(typed["values"]):
        name, sep, rest = line.partition(":")
        text, eq, target = rest.rpartition("=")
        if not sep or not eq or not text.strip() or not target.strip():
            errors.setdefault("values", f"Dòng {n}: ghi “trường: giá trị trong tệp = mã”.")
            continue
        values.setdefault(name.strip(), {})[text.strip()] = target.strip()
    pairs: dict[str, dict[str, str]] = {"procedures": {}, "defaults": {}}
    for area in pairs:
        for n, line in _lines(typed[area]):
            left, eq, right = line.rpartition("=")
            if not eq or not left.strip() or not right.strip():
                errors.setdefault(area, f"Dòng {n}: ghi “tên = mã”.")
                continue
            pairs[area][left.strip()] = right.strip()
    spec = {
        "kind": typed["kind"] or keep.spec.kind,
        "columns": columns,
        "ignore": [line for _, line in _lines(typed["ignore"])],
        "ignore_unknown_columns": typed["ignore_unknown_columns"] == "1",
        "date_formats": [f.strip() for f in typed["date_formats"].split(";") if f.strip()],
        "values": values,
        "procedures": pairs["procedures"],
        "defaults": pairs["defaults"],
        "sources": keep.spec.sources,
    }
    return spec, errors


# --- pages ---------------------------------------------------------------------------------------


def _list_context(db_session: Session, create: FormState | None = None) -> dict[str, Any]:
    every = profiles.list_profiles(db_session=db_session)
    return {
        "title": "Hồ sơ ánh xạ tệp của hệ thống khác",
        "profiles": every,
        "kind_labels": KIND_LABELS,
        "kind_options": list(KIND_LABELS.items()),
        "copy_options": [(p.code, p.name) for p in every],
        "create": create or FormState("profile-create"),
    }


@router.get("/admin/profiles", response_class=HTMLResponse)
def profiles_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, "admin/profiles.html", _list_context(db_session), block="create")


@router.post("/admin/profiles", response_class=HTMLResponse)
async def create_profile(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """A new profile starts as a copy of another (or empty) and is then edited on its page."""
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, ("code", "name", "kind", "copy_from"))
    spec: dict[str, Any] = {"kind": typed["kind"] or "dossiers", "columns": {}}
    if typed["copy_from"]:
        source = profiles.get_profile(db_session=db_session, code=typed["copy_from"])
        spec = {**source.spec.model_dump(mode="json"), "kind": spec["kind"]}
        if spec["kind"] != source.spec.kind:
            spec = {"kind": spec["kind"], "columns": {}}
    data = {"code": typed["code"], "name": typed["name"], "spec": spec}
    outcome = attempt(
        db_session,
        ProfileCreate,
        data,
        lambda parsed: profiles.create_profile(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    code = outcome.result.code if outcome.ok else ""
    return answer(
        request,
        outcome,
        template="admin/profiles.html",
        context=lambda: _list_context(db_session, outcome.state("profile-create", typed)),
        block="create",
        redirect=f"/admin/profiles/{code}",
        hx_redirect=True,
    )


def _profile_context(
    db_session: Session, code: str, edit: FormState | None = None, **more: Any
) -> dict[str, Any]:
    read = profiles.get_profile(db_session=db_session, code=code)
    return {
        "title": f"Hồ sơ ánh xạ: {read.name}",
        "profile": read,
        "texts": spec_texts(read),
        "kind_labels": KIND_LABELS,
        "kind_options": list(KIND_LABELS.items()),
        "field_labels": FIELD_LABELS,
        "edit": edit or FormState("profile-edit"),
        "preview": None,
        "preview_error": "",
        **history.record_context(db_session, entity="import_profile", key=code),
        **more,
    }


@router.get("/admin/profiles/{code}", response_class=HTMLResponse)
def profile_page(
    request: Request, code: str, identity: WebUser, db_session: SessionDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)
    return render(request, "admin/profile.html", _profile_context(db_session, code), block="edit")


@router.post("/admin/profiles/{code}", response_class=HTMLResponse)
async def update_profile(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    typed = await read_form(request, _EDIT_FIELDS)
    current = profiles.get_profile(db_session=db_session, code=code)
    spec, line_errors = parse_texts(typed, current)
    data = {
        "name": typed["name"],
        "description": typed["description"],
        "spec": spec,
        "version": typed["version"] or None,
    }
    outcome = attempt(
        db_session,
        ProfileUpdate,
        data,
        lambda parsed: profiles.update_profile(
            db_session=db_session, actor=identity.actor, clock=clock, code=code, data=parsed
        ),
        errors=line_errors,
    )
    return answer(
        request,
        outcome,
        template="admin/profile.html",
        context=lambda: _profile_context(
            db_session,
            code,
            outcome.state("profile-edit", typed, saved="Đã lưu hồ sơ ánh xạ."),
            oob=True,
        ),
        block="edit",
        redirect=f"/admin/profiles/{code}",
    )


@router.post("/admin/profiles/{code}/preview", response_class=HTMLResponse)
async def preview_profile(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """The sample's first rows as the import will read them; nothing is stored."""
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    form = await request.form()
    upload = form.get("file")
    found = None
    problem = ""
    if upload is None or isinstance(upload, str) or not upload.filename:
        problem = "Hãy chọn một tệp mẫu (.csv hoặc .xlsx) xuất từ hệ thống."
    else:
        try:
            found = await run_in_threadpool(
                preview,
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                code=code,
                data=upload.file,  # where the form parser spooled it; only the first rows are read
                filename=upload.filename,
            )
        except AppError as exc:
            if exc.status_code == 403:
                raise
            problem = exc.message
    context = _profile_context(db_session, code, preview=found, preview_error=problem)
    return render(
        request,
        "admin/profile.html",
        context,
        block="preview",
        status_code=422 if problem else 200,
    )


@router.post("/admin/profiles/{code}/delete", response_class=HTMLResponse)
def delete_profile(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.PLAN_WRITE)  # the role before the form
    profiles.delete_profile(db_session=db_session, actor=identity.actor, clock=clock, code=code)
    return RedirectResponse("/admin/profiles", status_code=303)
