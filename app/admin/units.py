"""Units in the browser: the tree, creating, editing and deactivating (never deleting history)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from app.accounts.dependencies import WebUser
from app.clock import ClockDep
from app.db import SessionDep
from app.forms import FormState, Outcome, answer, attempt, blank_none, read_form
from app.permissions import Permission, authorize
from app.routes import Routes
from app.templating import render
from app.units import service as unit_service
from app.units.models import UnitCreate, UnitRead, UnitUpdate

router = Routes(include_in_schema=False)

KIND_LABELS = {
    "committee": "Ủy ban nhân dân",
    "office": "Phòng chuyên môn",
    "centre": "Trung tâm",
    "front": "Mặt trận, đoàn thể",
    "other": "Khác",
}
_FIELDS = ("code", "name", "short_name", "kind", "parent")
TEMPLATE = "admin/units.html"


def all_units(db_session: Session) -> list[UnitRead]:
    units, _ = unit_service.list_units(
        db_session=db_session, active=None, parent=None, q=None, limit=1000, offset=0
    )
    return units


def tree(units: list[UnitRead]) -> list[tuple[UnitRead, int]]:
    """Depth-first, each unit with its depth, so a flat table reads as the tree it is."""
    children: dict[str | None, list[UnitRead]] = {}
    for unit in units:
        children.setdefault(unit.parent, []).append(unit)
    out: list[tuple[UnitRead, int]] = []
    known = {u.code for u in units}
    stack = [(u, 0) for u in reversed(children.get(None, []))]
    stack += [(u, 0) for u in units if u.parent and u.parent not in known]
    while stack:
        unit, depth = stack.pop()
        out.append((unit, depth))
        stack += [(c, depth + 1) for c in reversed(children.get(unit.code, []))]
    return out


def _context(db_session: Session, **extra: Any) -> dict[str, Any]:
    units = all_units(db_session)
    return {
        "title": "Đơn vị",
        "rows": tree(units),
        "kind_options": list(KIND_LABELS.items()),
        "kind_labels": KIND_LABELS,
        "parent_options": [(u.code, f"{u.short_name} ({u.code})") for u in units if u.active],
        "create": FormState("unit-create"),
        **extra,
    }


@router.get("/admin/units", response_class=HTMLResponse)
def units_page(request: Request, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.UNITS_WRITE)
    return render(request, TEMPLATE, _context(db_session), block="unit_create")


@router.post("/admin/units", response_class=HTMLResponse)
async def create_unit(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.UNITS_WRITE)  # the role before the form
    typed = await read_form(request, _FIELDS)
    data = {**typed, "parent": blank_none(typed["parent"]), "kind": typed["kind"] or "office"}
    outcome = attempt(
        db_session,
        UnitCreate,
        data,
        lambda parsed: unit_service.create_unit(
            db_session=db_session, actor=identity.actor, clock=clock, data=parsed
        ),
    )
    code = outcome.result.code if outcome.ok else ""
    return answer(
        request,
        outcome,
        template=TEMPLATE,
        context=lambda: _context(db_session, create=outcome.state("unit-create", typed)),
        block="unit_create",
        redirect=f"/admin/units/{code}?da_tao=1",
        hx_redirect=True,
    )


def _edit_context(
    db_session: Session, code: str, edit: FormState | None = None, status: FormState | None = None
) -> dict[str, Any]:
    row = unit_service.get_by_code(db_session=db_session, code=code)
    unit = unit_service.to_read(db_session=db_session, units=[row])[0]
    units = all_units(db_session)
    return {
        "title": f"Đơn vị {unit.short_name}",
        "unit": unit,
        "refs": unit_service.references(db_session=db_session, unit=row),
        "kind_options": list(KIND_LABELS.items()),
        "parent_options": [
            (u.code, f"{u.short_name} ({u.code})") for u in units if u.code != code and u.active
        ],
        "edit": edit or FormState("unit-edit"),
        "status": status or FormState("unit-status"),
    }


@router.get("/admin/units/{code}", response_class=HTMLResponse)
def unit_page(request: Request, code: str, identity: WebUser, db_session: SessionDep) -> Response:
    authorize(identity.actor, Permission.UNITS_WRITE)
    saved = "Đã tạo đơn vị." if request.query_params.get("da_tao") else ""
    edit = FormState("unit-edit", saved=saved)
    return render(request, "admin/unit.html", _edit_context(db_session, code, edit), block="edit")


@router.post("/admin/units/{code}", response_class=HTMLResponse)
async def update_unit(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    authorize(identity.actor, Permission.UNITS_WRITE)  # the role before the form
    typed = await read_form(request, ("name", "short_name", "kind", "parent"))
    data = {**typed, "parent": blank_none(typed["parent"])}
    outcome = attempt(
        db_session,
        UnitUpdate,
        data,
        lambda parsed: unit_service.update_unit(
            db_session=db_session, actor=identity.actor, clock=clock, code=code, data=parsed
        ),
    )
    return answer(
        request,
        outcome,
        template="admin/unit.html",
        context=lambda: _edit_context(
            db_session, code, edit=outcome.state("unit-edit", typed, saved="Đã lưu.")
        ),
        block="edit",
        redirect=f"/admin/units/{code}",
    )


@router.post("/admin/units/{code}/active", response_class=HTMLResponse)
async def set_active(
    request: Request, code: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    """Deactivating needs the confirmation box ticked: it stops the unit from being chosen for
    new tasks and accounts (its history stays). Reactivating needs no confirmation."""
    authorize(identity.actor, Permission.UNITS_WRITE)  # the role before the form
    typed = await read_form(request, ("active", "confirm"))
    active = typed["active"] == "1"
    if not active and typed["confirm"] != "1":
        outcome = Outcome(
            errors={"confirm": "Hãy đánh dấu xác nhận trước khi ngừng hoạt động đơn vị."},
            status_code=422,
        )
    else:
        outcome = attempt(
            db_session,
            None,
            {},
            lambda _: unit_service.update_unit(
                db_session=db_session,
                actor=identity.actor,
                clock=clock,
                code=code,
                data=UnitUpdate(active=active),
            ),
        )
    saved = "Đơn vị đã hoạt động trở lại." if active else "Đã ngừng hoạt động đơn vị."
    return answer(
        request,
        outcome,
        template="admin/unit.html",
        context=lambda: _edit_context(
            db_session, code, status=outcome.state("unit-status", typed, saved=saved)
        ),
        block="status",
        redirect=f"/admin/units/{code}",
    )
