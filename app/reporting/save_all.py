"""“Lưu tất cả”: every changed row of a unit's workspace in one request, each with its own result.

Each row is written exactly as its own "Lưu" writes it (the progress and reading services, their
rules, versions and audit), and in its own transaction: one refused row must not cost the officer
the twenty others typed with it, so a refusal stays on its row and the rest are saved. The page
and ``POST /api/v1/units/{unit}/periods/{period}/rows`` both call ``save_rows``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import AppError, Invalid
from app.forms import app_error_messages, validate
from app.kpis import readings as kpi_readings
from app.kpis.models import ReadingSource, ReadingWrite
from app.permissions import Permission, authorize
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from app.schemas import StrictInput

#: More rows than any unit's workspace holds (the largest has 72): a bigger body is a mistake.
MAX_ROWS = 500
#: Refusals that mean "someone else changed this row since you loaded it".
CONFLICT_CODES = frozenset({"stale_version", "already_exists"})


class RowStatus(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"
    INVALID = "invalid"
    CONFLICT = "conflict"
    REFUSED = "refused"


class RowOutcome(BaseModel):
    """What happened to one row: its new version when written, else why not."""

    kind: str = Field(examples=["task"])
    key: str = Field(description="The task's code, or `indicator` / `indicator/domain`.")
    status: RowStatus
    version: int | None = None
    message: str = ""
    errors: dict[str, str] = Field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status in (RowStatus.SAVED, RowStatus.UNCHANGED)


class SaveAllResult(BaseModel):
    saved: int = Field(description="Rows written or already holding these values.")
    failed: int
    rows: list[RowOutcome]


class SaveAllRequest(StrictInput):
    """Rows as the single endpoints take them, without `unit` and `period` (from the path); an
    unknown key here (``reading`` for ``readings``) is refused, not silently ignored."""

    tasks: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        examples=[[{"assignment": "II.1.1.1", "status": "in_progress", "percent_complete": 60}]],
    )
    readings: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        examples=[[{"indicator": "online_dossier", "value": "85,5", "version": 0}]],
    )


def reading_key(indicator: str, domain: str | None) -> str:
    return f"{indicator}/{domain}" if domain else indicator


def _one(
    db_session: Session,
    *,
    kind: str,
    key: str,
    model: type[BaseModel],
    data: dict[str, Any],
    write: Callable[[Any], tuple[int, bool]],
) -> RowOutcome:
    """Validate and write one row in its own transaction; a refusal becomes the row's outcome."""
    parsed, errors = validate(model, data)
    if parsed is None:
        return RowOutcome(kind=kind, key=key, status=RowStatus.INVALID, errors=errors)
    try:
        version, changed = write(parsed)
    except AppError as exc:
        db_session.rollback()
        fields, message = app_error_messages(exc)
        if exc.status_code == 409 and exc.code in CONFLICT_CODES:
            status = RowStatus.CONFLICT
            message = message or exc.message
        elif exc.status_code == 422:
            status = RowStatus.INVALID
        else:
            status = RowStatus.REFUSED
        return RowOutcome(kind=kind, key=key, status=status, message=message, errors=fields)
    status = RowStatus.SAVED if changed else RowStatus.UNCHANGED
    return RowOutcome(kind=kind, key=key, status=status, version=version)


def save_rows(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    unit: str,
    period: str,
    tasks: Sequence[Mapping[str, Any]] = (),
    readings: Sequence[Mapping[str, Any]] = (),
) -> SaveAllResult:
    """Write each given row of one unit's period; every row gets its outcome, in input order
    (tasks first). Another unit's rows are refused as a whole (403) before anything is written."""
    authorize(actor, Permission.DATA_WRITE, unit_code=unit)
    if len(tasks) + len(readings) > MAX_ROWS:
        raise Invalid.one("rows", "too_many", f"Mỗi lần lưu tối đa {MAX_ROWS} dòng.")
    outcomes: list[RowOutcome] = []

    def progress_write(parsed: ProgressWrite) -> tuple[int, bool]:
        result = progress_service.upsert_progress(
            db_session=db_session, actor=actor, clock=clock, data=parsed
        )
        return result.progress.version, result.changed

    def reading_write(parsed: ReadingWrite) -> tuple[int, bool]:
        result = kpi_readings.upsert_reading(
            db_session=db_session,
            actor=actor,
            clock=clock,
            data=parsed,
            source=ReadingSource.FORM,
        )
        return result.reading.version, result.changed

    for item in tasks:
        data = {**item, "unit": unit, "period": period}
        key = str(item.get("assignment", ""))
        outcomes.append(
            _one(
                db_session,
                kind="task",
                key=key,
                model=ProgressWrite,
                data=data,
                write=progress_write,
            )
        )
    for item in readings:
        data = {**item, "unit": unit, "period": period}
        domain = item.get("domain") or None
        key = reading_key(str(item.get("indicator", "")), str(domain) if domain else None)
        outcomes.append(
            _one(
                db_session,
                kind="reading",
                key=key,
                model=ReadingWrite,
                data=data,
                write=reading_write,
            )
        )
    saved = sum(1 for o in outcomes if o.ok)
    return SaveAllResult(saved=saved, failed=len(outcomes) - saved, rows=outcomes)
