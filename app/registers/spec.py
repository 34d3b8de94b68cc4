"""What a register is, apart from any one register: the description every page, API route,
import, export and report of the registers is made from (``specs.py`` and
``specs_monitoring.py`` describe each register with it).

Kept in its own module so that the registers' descriptions can be split over several modules
and still be gathered in one list (``specs.REGISTERS``) without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.registers.fields import FieldKind, FieldSpec
from app.registers.models import RegisterRow

PAR_AREAS = tuple((f"par{n}", f"Lĩnh vực {n}") for n in range(1, 9))

#: ``(spec, db_session, actor, clock, years)``: bring what the register computes for those years
#: (a plan indicator's readings) in line with its rows, in the caller's transaction.
Recompute = Callable[["RegisterSpec", Session, Actor, Clock, set[int]], None]
#: ``(db_session, row, today)``: a rule that needs other rows or the day (an inspection is
#: closed only when its findings are; no figure for a month to come); raises ``Invalid``.
RowCheck = Callable[[Session, Any, date], None]


@dataclass(frozen=True)
class RegisterSpec:
    """A register: where it lives, what it holds, and how its rows are named."""

    slug: str  # the path segment of its pages: /so-theo-doi/ket-luan
    api: str  # the path of its API: /api/v1/conclusions
    entity: str  # the audit entity
    model: type[RegisterRow]
    title: str
    singular: str
    prefix: str  # codes made for rows sent without one: kl-2025-001
    fields: tuple[FieldSpec, ...]
    #: The field that dates a row (its year in codes and filters): a date, or a year.
    dated_by: str
    #: The state field and the states that end a row's life (not overdue, not open).
    closed_states: frozenset[str] = frozenset()
    #: A row's sentence in lists and the audit: what it is about.
    headline: str = "title"
    #: Extra read-only values of a row (``overdue``), computed from it and the day.
    extras: Callable[[Any, date], dict[str, Any]] = field(default=lambda row, today: {})
    #: Each extra's type in the API and its label on the pages (``None``: not shown there).
    extra_fields: tuple[tuple[str, Any, str | None], ...] = ()
    #: Extras shown as columns of the list.
    listed_extras: tuple[str, ...] = ()
    section: str = ""  # the plan's sections that ask for it
    #: The plan indicator the register computes (``disbursement``), and how.
    computes: str | None = None
    computes_how: str = ""
    recompute: Recompute | None = None
    #: The field holding a row's figure per month (``FieldKind.MONTHLY``), if it has one: the
    #: computed indicator's periods start at its first month.
    monthly_field: str | None = None
    check: RowCheck | None = None

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def state(self) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == "state"), None)

    @property
    def kind(self) -> FieldSpec | None:
        """The field that sorts rows into kinds (a project or a revenue line), if any."""
        return next((f for f in self.fields if f.name == "kind"), None)

    @property
    def yearly(self) -> bool:
        """Dated by a year (a target of 2025), not by a day."""
        return self.field(self.dated_by).kind is FieldKind.YEAR

    @property
    def extra_labels(self) -> list[tuple[str, str]]:
        return [(name, label) for name, _, label in self.extra_fields if label]

    def year_of(self, value: Any) -> int | None:
        if value is None:
            return None
        return int(value) if self.yearly else int(value.year)
