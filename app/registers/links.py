"""The register rows a unit has named as evidence of a plan task: shown beside the task in the
unit's workspace, so the officer reporting on the task sees (and the reviewer opens) the
conclusions, initiatives and courses that back it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Text, bindparam, cast, literal, union_all
from sqlalchemy import select as core_select
from sqlmodel import Session, select

from app import tenancy
from app.registers.specs import REGISTERS


@dataclass(frozen=True)
class RegisterLink:
    register: str
    code: str
    text: str
    url: str


@cache
def _every_register(in_ward: bool) -> Any:
    """The statement of ``by_task``, built once per kind: the unit (and the ward) come as
    parameters. Building seven selects and their union, and the key SQLAlchemy's statement
    cache finds it by, cost more than running it; a statement built once keeps its key."""
    parts = []
    for position, spec in enumerate(REGISTERS):
        model: Any = spec.model
        part = select(
            literal(position).label("register"),
            model.code.label("code"),
            cast(getattr(model, spec.headline), Text).label("headline"),
            model.task_codes.label("task_codes"),
        ).where(model.unit_id == bindparam("unit_id"))
        if in_ward:
            part = part.where(model.ward_id == bindparam("ward_id"))
        parts.append(part)
    every = union_all(*parts).subquery()
    # The ward's criteria (a walk of the seven selects and seven criteria on each) cost more
    # than the read; the ward is one plain parameter instead, so that a unit id from anywhere
    # still reads only the session's ward.
    return (
        core_select(every)
        .order_by(every.c.register, every.c.code)
        .execution_options(**{tenancy.ALL_WARDS: True})
    )


def by_task(db_session: Session, unit_id: int | None) -> dict[str, list[RegisterLink]]:
    """Task code → the unit's register rows naming it (a unit keeps hundreds, not millions).

    One statement for every register (a ``UNION ALL`` of their code, headline and task codes),
    not one per register with whole rows: every workspace page and every row save asks, and
    seven statements were a fifth of a row save's (issue #17)."""
    found: dict[str, list[RegisterLink]] = {}
    if unit_id is None:
        return found
    ward = tenancy.ward_of(db_session)
    if ward is None:  # the city's scope, or no scope (the CLI, tests): every ward's rows
        rows = db_session.execute(_every_register(False), {"unit_id": unit_id}).all()
    else:
        params = {"unit_id": unit_id, "ward_id": ward}
        rows = db_session.execute(_every_register(True), params).all()
    for position, code, headline, task_codes in rows:
        spec = REGISTERS[position]
        text = str(headline or "")
        link = RegisterLink(
            register=spec.title,
            code=code,
            text=text[:120] + ("…" if len(text) > 120 else ""),
            url=f"/so-theo-doi/{spec.slug}/{code}",
        )
        for task in task_codes or []:
            found.setdefault(task, []).append(link)
    return found
