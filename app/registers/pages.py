"""The registers in the browser (``/so-theo-doi``): each register's list with filters, a form to
add a row, a row's page with its form and history. One set of templates draws every register
from its spec; every form calls the API's service, and a refusal comes back next to its field
with everything typed kept.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from app.accounts.dependencies import WebUser
from app.actors import Actor
from app.admin.history import record_context
from app.clock import Clock, ClockDep
from app.db import SessionDep
from app.errors import NotFound
from app.forms import FormState, answer, attempt, read_form
from app.permissions import Permission, can
from app.registers import service, summaries
from app.registers.fields import FieldKind
from app.registers.specs import BY_SLUG, INPUTS, REGISTERS, RegisterSpec
from app.registers.summaries import extra_shown
from app.routes import Routes
from app.templating import render
from app.units.models import Unit

router = Routes(include_in_schema=False)
BASE = "/so-theo-doi"


def _spec(slug: str) -> RegisterSpec:
    found = BY_SLUG.get(slug)
    if found is None:
        raise NotFound(f"Không có sổ theo dõi “{slug}”.")
    return found


def _unit_options(db_session: Session, actor: Actor) -> list[tuple[str, str]]:
    units = db_session.exec(
        select(Unit).where(col(Unit.active).is_(True)).order_by(col(Unit.code))
    ).all()
    return [(u.code, u.name) for u in units if can(actor, Permission.DATA_WRITE, unit_code=u.code)]


@router.get(BASE, response_class=HTMLResponse)
def registers_page(
    request: Request, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    counts = []
    for spec in REGISTERS:
        _, total = service.list_rows(spec, db_session=db_session, actor=identity.actor,
                                     clock=clock, filters=service.Filters(), limit=1)  # fmt: skip
        overdue = 0
        if "deadline" in spec.model.__table__.columns:  # type: ignore[attr-defined]
            _, overdue = service.list_rows(spec, db_session=db_session, actor=identity.actor,
                                           clock=clock, filters=service.Filters(overdue=True),
                                           limit=1)  # fmt: skip
        counts.append((spec, total, overdue))
    return render(request, "registers/index.html", {"title": "Sổ theo dõi", "counts": counts})


def _list_context(
    db_session: Session, actor: Actor, clock: Clock, spec: RegisterSpec, filters: service.Filters
) -> dict[str, Any]:
    rows, total = service.list_rows(
        spec, db_session=db_session, actor=actor, clock=clock, filters=filters, limit=500
    )
    return {
        "title": spec.title,
        "spec": spec,
        "rows": rows,
        "total": total,
        "filters": filters,
        "units": _unit_options(db_session, actor) or [],
        "all_units": [
            (u.code, u.name) for u in db_session.exec(select(Unit).order_by(col(Unit.code)))
        ],
        "may_write": can(actor, Permission.DATA_WRITE),
        "listed": [f for f in spec.fields if f.listed],
        "extras": [(n, label) for n, label in spec.extra_labels if n in spec.listed_extras],
        "extra_shown": extra_shown,
        "summary": summaries.ward_summary(spec, db_session, actor, clock, filters.year),
    }


@router.get(BASE + "/{slug}", response_class=HTMLResponse)
def list_page(
    request: Request,
    slug: str,
    identity: WebUser,
    db_session: SessionDep,
    clock: ClockDep,
    unit: str = "",
    state: str = "",
    kind: str = "",
    year: str = "",
    overdue: bool = False,
    q: str = "",
) -> Response:
    spec = _spec(slug)
    filters = service.Filters(
        unit=unit or None,
        state=state or None,
        kind=kind[:32] or None,
        year=int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None,
        overdue=overdue,
        q=q[:200] or None,
    )
    context = _list_context(db_session, identity.actor, clock, spec, filters)
    return render(request, "registers/list.html", context, block="rows")


def _form_context(
    db_session: Session,
    actor: Actor,
    spec: RegisterSpec,
    state: FormState,
    row: Any = None,
    clock: Clock | None = None,
    preset: dict[str, str] | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = dict(preset or {})
    if row is not None:
        values = {f.name: f.typed(getattr(row, f.name)) for f in spec.fields}
        values |= {"unit": row.unit, "tasks": ", ".join(row.tasks), "code": row.code}
    context: dict[str, Any] = {
        "extra_shown": extra_shown,
        "children": summaries.children(spec, db_session, actor, clock, row),
        "title": f"{spec.title}: {row.code}" if row is not None else f"Thêm {spec.singular}",
        "spec": spec,
        "row": row,
        "values": values,
        "form": state,
        "units": _unit_options(db_session, actor),
        "kinds": FieldKind,
    }
    if row is not None:
        context |= record_context(db_session, entity=spec.entity, key=row.code)
    return context


def _data(spec: RegisterSpec, typed: dict[str, str], *, update: bool) -> dict[str, Any]:
    """What the form sent, as the API's body: blanks are none (cleared on an update)."""
    data: dict[str, Any] = {}
    for f in spec.fields:
        text = typed[f.name].strip()
        if text or update:
            data[f.name] = text or None
    data["unit"] = typed["unit"].strip() or None
    data["tasks"] = [t for t in typed["tasks"].replace(";", ",").split(",") if t.strip()]
    if update:
        data["version"] = typed["version"] or None
    elif typed["code"].strip():
        data["code"] = typed["code"].strip()
    return data


def _names(spec: RegisterSpec) -> tuple[str, ...]:
    return ("code", "unit", "tasks", "version", *(f.name for f in spec.fields))


@router.get(BASE + "/{slug}/moi", response_class=HTMLResponse)
def new_page(request: Request, slug: str, identity: WebUser, db_session: SessionDep) -> Response:
    """The empty form; a field named in the query comes filled (a finding added from its
    inspection's page names the inspection)."""
    spec = _spec(slug)
    names = {f.name for f in spec.fields} | {"unit", "tasks"}
    preset = {k: v[:200] for k, v in request.query_params.items() if k in names}
    context = _form_context(db_session, identity.actor, spec, FormState("register-form"),
                            preset=preset)  # fmt: skip
    return render(request, "registers/row.html", context)


@router.post(BASE + "/{slug}/moi", response_class=HTMLResponse)
async def create_page(
    request: Request, slug: str, identity: WebUser, db_session: SessionDep, clock: ClockDep
) -> Response:
    spec = _spec(slug)
    typed = await read_form(request, _names(spec))
    create_model, _ = INPUTS[spec.slug]

    def work() -> Response:
        outcome = attempt(
            db_session, create_model, _data(spec, typed, update=False),
            lambda parsed: service.create_row(spec, db_session=db_session,
                                              actor=identity.actor, clock=clock, data=parsed),
        )  # fmt: skip
        target = f"{BASE}/{slug}/{outcome.result.code}" if outcome.ok else f"{BASE}/{slug}"
        return answer(
            request, outcome, template="registers/row.html",
            context=lambda: _form_context(db_session, identity.actor, spec,
                                          outcome.state("register-form", typed), clock=clock),
            block="form", redirect=target, hx_redirect=True,
        )  # fmt: skip

    return await run_in_threadpool(work)


@router.get(BASE + "/{slug}/{code}", response_class=HTMLResponse)
def row_page(
    request: Request, slug: str, code: str, identity: WebUser, db_session: SessionDep,
    clock: ClockDep,
) -> Response:  # fmt: skip
    spec = _spec(slug)
    row = service.get_row(spec, db_session=db_session, actor=identity.actor, clock=clock, code=code)
    saved = "Đã lưu." if request.query_params.get("da_luu") else ""
    state = FormState("register-form", saved=saved)
    context = _form_context(db_session, identity.actor, spec, state, row, clock)
    return render(request, "registers/row.html", context)


@router.post(BASE + "/{slug}/{code}", response_class=HTMLResponse)
async def update_page(
    request: Request, slug: str, code: str, identity: WebUser, db_session: SessionDep,
    clock: ClockDep,
) -> Response:  # fmt: skip
    spec = _spec(slug)
    typed = await read_form(request, _names(spec))
    _, update_model = INPUTS[spec.slug]

    def work() -> Response:
        outcome = attempt(
            db_session, update_model, _data(spec, typed, update=True),
            lambda parsed: service.update_row(spec, db_session=db_session, actor=identity.actor,
                                              clock=clock, code=code, data=parsed),
        )  # fmt: skip

        def context() -> dict[str, Any]:
            row = service.get_row(spec, db_session=db_session, actor=identity.actor,
                                  clock=clock, code=code)  # fmt: skip
            state = outcome.state("register-form", typed, saved="Đã lưu.")
            return _form_context(db_session, identity.actor, spec, state, row, clock)

        return answer(
            request, outcome, template="registers/row.html", context=context, block="form",
            redirect=f"{BASE}/{slug}/{code}?da_luu=1", hx_redirect=True,
        )  # fmt: skip

    return await run_in_threadpool(work)
