"""The register rows a unit has named as evidence of a plan task: shown beside the task in the
unit's workspace, so the officer reporting on the task sees (and the reviewer opens) the
conclusions, initiatives and courses that back it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from app.registers.specs import REGISTERS


@dataclass(frozen=True)
class RegisterLink:
    register: str
    code: str
    text: str
    url: str


def by_task(db_session: Session, unit_id: int | None) -> dict[str, list[RegisterLink]]:
    """Task code → the unit's register rows naming it (a unit keeps hundreds, not millions)."""
    found: dict[str, list[RegisterLink]] = {}
    if unit_id is None:
        return found
    for spec in REGISTERS:
        model: Any = spec.model
        for row in db_session.exec(select(model).where(model.unit_id == unit_id)):
            text = str(getattr(row, spec.headline, "") or "")
            link = RegisterLink(
                register=spec.title,
                code=row.code,
                text=text[:120] + ("…" if len(text) > 120 else ""),
                url=f"/so-theo-doi/{spec.slug}/{row.code}",
            )
            for task in row.task_codes:
                found.setdefault(task, []).append(link)
    return found
