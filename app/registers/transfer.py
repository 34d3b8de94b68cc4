"""A register in and out of spreadsheets: the bulk import through the common runner (CSV of any
Vietnamese-Excel dialect, .xlsx, JSON rows; all or none; dry runs; per-row errors) and the exports
(CSV, .xlsx) whose headers re-import.

A row with a code that exists updates that row with the file's values; a row without a code, or
with a new one, creates a row. Rows are checked exactly as the single endpoints check one, since
they go through the same service (``commit=False``: the runner commits every row or none).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.errors import AppError
from app.registers import service
from app.registers.specs import INPUTS, REGISTERS, RegisterSpec
from app.uploads.bulk import ImportOptions, ImportResult, Outcome, run_import
from app.uploads.files import Upload
from app.uploads.headers import FIELD_LABELS


def _teach_labels() -> None:
    """The registers' Vietnamese column names, added to the importers' one table of labels from
    the specs (their single source), so an exported file re-imports by its own headers."""
    extra = {"code": ("Mã",), "unit": ("Đơn vị",), "tasks": ("Nhiệm vụ kế hoạch",)}
    for spec in REGISTERS:
        for f in spec.fields:
            extra[f.name] = (*extra.get(f.name, ()), f.label)
    for name, labels in extra.items():
        known = FIELD_LABELS.get(name, ())
        FIELD_LABELS[name] = (*known, *(label for label in labels if label not in known))


_teach_labels()


def columns_of(spec: RegisterSpec) -> tuple[str, ...]:
    return ("code", "unit", *(f.name for f in spec.fields), "tasks")


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


@dataclass
class RegisterImporter:
    spec: RegisterSpec
    db_session: Session
    actor: Actor
    clock: Clock
    kind: str = ""
    columns: Sequence[str] = ()
    required: Sequence[str] = ()
    batch_id: int | None = None
    known: set[str] = field(default_factory=set)
    #: The years the file wrote rows of: what the register computes for them is brought in
    #: line once, after the last row (``finish``), not after each.
    years: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.kind = self.spec.entity[:16]
        self.columns = columns_of(self.spec)
        self.required = tuple(f.name for f in self.spec.fields if f.required)
        model: Any = self.spec.model
        self.known = set(self.db_session.exec(select(model.code)))

    def key(self, values: dict[str, Any]) -> str | None:
        code = values.get("code")
        return str(code).strip().lower() if code not in (None, "") else None

    def parse(self, values: dict[str, Any]) -> BaseModel:
        clean = {k: _cell(v) for k, v in values.items() if v not in (None, "")}
        if isinstance(clean.get("tasks"), str):
            clean["tasks"] = [t.strip() for t in clean["tasks"].replace(",", ";").split(";")]
        create, _ = INPUTS[self.spec.slug]
        return create.model_validate(clean)

    def _update(self, code: str, row: BaseModel) -> Outcome:
        _, update = INPUTS[self.spec.slug]
        sent = row.model_dump(exclude_unset=True, exclude={"code"})
        kwargs: dict[str, Any] = {"db_session": self.db_session, "actor": self.actor,
                                  "clock": self.clock, "code": code}  # fmt: skip
        before = service.get_row(self.spec, **kwargs)
        after = service.update_row(
            self.spec, data=update.model_validate(sent), commit=False, **kwargs
        )
        self._dated(before, after)
        return Outcome.UPDATED if after.model_dump() != before.model_dump() else Outcome.UNCHANGED

    def process(
        self, rows: Sequence[tuple[int, BaseModel]], *, write: bool
    ) -> Iterable[tuple[int, Outcome | AppError]]:
        for number, row in rows:
            code = getattr(row, "code", None)
            try:
                if code and code in self.known:
                    yield number, self._update(code, row)
                else:
                    made = service.create_row(
                        self.spec, db_session=self.db_session, actor=self.actor,
                        clock=self.clock, data=row, commit=False,
                    )  # fmt: skip
                    self.known.add(made.code)  # type: ignore[attr-defined]
                    self._dated(made)
                    yield number, Outcome.CREATED
            except AppError as exc:
                yield number, exc

    def _dated(self, *reads: BaseModel) -> None:
        for read in reads:
            year = self.spec.year_of(getattr(read, self.spec.dated_by, None))
            if year is not None:
                self.years.add(year)

    def finish(self) -> None:
        """The plan indicator the register computes, for the years the file touched, in the
        import's transaction (a failure there keeps nothing of the file)."""
        if self.spec.recompute is not None and self.years:
            self.spec.recompute(self.spec, self.db_session, self.actor, self.clock, self.years)


def import_rows(
    spec: RegisterSpec,
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    upload: Upload,
    options: ImportOptions,
) -> ImportResult:
    service.require_ward(actor)
    importer = RegisterImporter(spec, db_session, actor.through("import"), clock)
    return run_import(
        db_session=db_session, importer=importer, upload=upload, options=options, key_label="code"
    )


def export_rows(
    spec: RegisterSpec, *, db_session: Session, actor: Actor, clock: Clock, filters: Any
) -> Iterator[BaseModel]:
    """Every row the filters select, in pages of 500 (an export never holds a whole table)."""
    offset = 0
    while True:
        rows, _ = service.list_rows(spec, db_session=db_session, actor=actor, clock=clock,
                                    filters=filters, limit=500, offset=offset)  # fmt: skip
        yield from rows
        if len(rows) < 500:
            return
        offset += 500
