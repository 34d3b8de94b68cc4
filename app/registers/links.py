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
def _every_register() -> Any:
    """The statement of ``by_task``, built once: the unit comes as a parameter. Building seven
    selects and their union, and the key SQLAlchemy's statement cache finds it by, cost more
    than running it; a statement built once keeps its key."""
    parts = []
    for position, spec in enumerate(REGISTERS):
        model: Any = spec.model
        parts.append(
            select(
                literal(position).label("register"),
                model.code.label("code"),
                cast(getattr(model, spec.headline), Text).label("headline"),
                model.task_codes.label("task_codes"),
            ).where(model.unit_id == bindparam("unit_id"))
        )
    every = union_all(*parts).subquery()
    # The unit's own rows: its id is in one ward only, so the ward's criteria (a walk of the
    # seven selects and seven criteria on each) add nothing but cost.
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
    rows = db_session.execute(_every_register(), {"unit_id": unit_id}).all()
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
