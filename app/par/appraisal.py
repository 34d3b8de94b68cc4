"""The city's appraisal: appraised (and survey) points per criterion, typed as JSON rows or
imported from the city's table through the common import runner, all rows or none; and the index
and rank the city published."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import AppError, FieldError, Invalid
from app.formatting import format_number
from app.par.models import (
    AppraisalRow,
    AssessmentRead,
    AssessmentStatus,
    ParCriterion,
    ParItem,
    PublishedResult,
)
from app.par.reads import (
    TOLERANCE,
    Context,
    get_assessment,
    load,
    require_ward,
)
from app.par.results import summarise
from app.permissions import Permission, authorize, can
from app.uploads.bulk import ImportOptions, ImportResult, Outcome, run_import
from app.uploads.files import Upload


def authorize_import(actor: Actor) -> None:
    """Refused before a file's body is read: the appraisal is recorded inside a ward, by those
    who may record it."""
    require_ward(actor)
    _authorize_appraisal(actor)


def _authorize_appraisal(actor: Actor) -> None:
    """The city's appraisal: a city administrator enters it, or the ward's office transcribes
    the city's published decision."""
    if can(actor, Permission.WARDS_MANAGE):
        return
    authorize(actor, Permission.REVIEW)


@dataclass
class _Appraisal:
    """Apply appraisal rows to an assessment's items (shared by JSON and files)."""

    db_session: Session
    actor: Actor
    clock: Clock
    ctx: Context
    changed: list[dict[str, Any]] = field(default_factory=list)

    def check(self, row: AppraisalRow) -> tuple[ParItem, ParCriterion]:
        item = self.ctx.item(row.criterion)
        criterion = self.ctx.criterion(item)
        if not item.applicable:
            raise Invalid.one(
                "criterion", "not_applicable", f"Tiêu chí {row.criterion} không áp dụng."
            )
        if row.points > criterion.max_points + TOLERANCE:
            raise Invalid.one(
                "points",
                "above_max",
                f"Điểm thẩm định {format_number(row.points)} vượt điểm tối đa "
                f"{format_number(criterion.max_points)} của tiêu chí {row.criterion}.",
            )
        return item, criterion

    def apply(self, row: AppraisalRow, *, write: bool) -> Outcome:
        item, criterion = self.check(row)
        same = (
            item.appraised_points is not None
            and abs(item.appraised_points - row.points) < TOLERANCE
            and item.appraisal_comment == row.comment
        )
        if same:
            return Outcome.UNCHANGED
        outcome = Outcome.CREATED if item.appraised_points is None else Outcome.UPDATED
        if write:
            self.changed.append(
                {
                    "criterion": criterion.code,
                    "before": item.appraised_points,
                    "after": float(row.points),
                }
            )
            item.appraised_points = float(row.points)
            item.appraisal_comment = row.comment
            item.version += 1
            item.updated_by = self.actor.username
            item.updated_at = self.clock.now()
            self.db_session.add(item)
        return outcome

    def finish(self, *, audited: bool = True) -> None:
        """The assessment is appraised; one audit event holds every criterion's points before
        and after (a file's import is audited by its batch instead, ``audited=False``)."""
        a = self.ctx.assessment
        if self.changed:
            a.status = AssessmentStatus.APPRAISED
            a.version += 1
            a.updated_at = self.clock.now()
            self.db_session.add(a)
            if not audited:
                return
            shown = self.changed[:500]
            audit.record(
                db_session=self.db_session,
                actor=self.actor,
                clock=self.clock,
                action=AuditAction.UPDATE,
                entity="par_appraisal",
                key=str(a.year),
                before={"points": {c["criterion"]: c["before"] for c in shown}},
                after={"points": {c["criterion"]: c["after"] for c in shown},
                       "count": len(self.changed)},
            )  # fmt: skip


@dataclass
class AppraisalOutcome:
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[FieldError] = field(default_factory=list)


def record_appraisal(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    rows: Sequence[AppraisalRow],
    dry_run: bool = False,
) -> AppraisalOutcome:
    """The city's appraised points, all rows or none; a dry run reports what would change."""
    authorize_import(actor)
    ctx = load(db_session, clock, year, with_values=False)
    work = _Appraisal(db_session, actor, clock, ctx)
    result = AppraisalOutcome(dry_run=dry_run)
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        if row.criterion in seen:
            result.errors.append(
                FieldError(f"{number}.criterion", "duplicate", f"Tiêu chí {row.criterion} lặp lại.")
            )
            continue
        seen.add(row.criterion)
        try:
            work.check(row)
        except AppError as exc:
            name = exc.errors[0].field if exc.errors else "criterion"
            result.errors.append(FieldError(f"{number}.{name}", exc.code, exc.message))
    if result.errors or dry_run:
        for row in rows if not result.errors else []:
            outcome = work.apply(row, write=False)
            setattr(result, outcome.value, getattr(result, outcome.value) + 1)
        db_session.rollback()
        return result
    for row in rows:
        outcome = work.apply(row, write=True)
        setattr(result, outcome.value, getattr(result, outcome.value) + 1)
    work.finish()
    db_session.commit()
    return result


APPRAISAL_COLUMNS = ("criterion", "points", "comment")


@dataclass
class AppraisalImporter:
    """The city's appraisal table (.xlsx or CSV) through the common import runner."""

    work: _Appraisal
    actor: Actor
    clock: Clock
    kind: str = "par_appraisal"
    columns: Sequence[str] = APPRAISAL_COLUMNS
    required: Sequence[str] = ("criterion", "points")
    batch_id: int | None = None

    def key(self, values: dict[str, Any]) -> str | None:
        code = values.get("criterion")
        return str(code).strip() if code not in (None, "") else None

    def parse(self, values: dict[str, Any]) -> AppraisalRow:
        clean = {k: v for k, v in values.items() if v not in (None, "")}
        if "criterion" in clean:
            clean["criterion"] = str(clean["criterion"]).strip()
        return AppraisalRow.model_validate(clean)

    def process(
        self, rows: Sequence[tuple[int, AppraisalRow]], *, write: bool
    ) -> Iterable[tuple[int, Outcome | AppError]]:
        for number, row in rows:
            try:
                yield number, self.work.apply(row, write=write)
            except AppError as exc:
                yield number, exc

    def finish(self) -> None:
        self.work.finish(audited=False)  # the batch's own event names the file and its counts


def import_appraisal(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    year: int,
    upload: Upload,
    options: ImportOptions,
) -> ImportResult:
    authorize_import(actor)
    ctx = load(db_session, clock, year, with_values=False)
    work = _Appraisal(db_session, actor, clock, ctx)
    importer = AppraisalImporter(work=work, actor=actor, clock=clock)
    return run_import(
        db_session=db_session,
        importer=importer,
        upload=upload,
        options=options,
        key_label="criterion",
    )


def publish_result(
    *, db_session: Session, actor: Actor, clock: Clock, year: int, data: PublishedResult
) -> AssessmentRead:
    """The index and rank the city announced for the ward, kept beside the computed ones."""
    require_ward(actor)
    _authorize_appraisal(actor)
    a = get_assessment(db_session, year)
    if data.rank is not None and data.of is not None and data.rank > data.of:
        raise Invalid.one("rank", "invalid", "Thứ hạng không thể lớn hơn số đơn vị xếp hạng.")
    before = {"index": a.published_index, "rank": a.published_rank, "of": a.published_of}
    a.published_index = data.index
    a.published_rank = data.rank
    a.published_of = data.of
    a.appraisal_note = data.note
    a.version += 1
    a.updated_at = clock.now()
    db_session.add(a)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.UPDATE,
        entity="par_assessment",
        key=str(year),
        before=before,
        after={"index": data.index, "rank": data.rank, "of": data.of},
    )
    db_session.commit()
    return summarise(load(db_session, clock, year, with_values=False))
