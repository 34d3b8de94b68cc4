"""One import, whatever it carries: dry run, atomic or partial, per-row errors, one transaction.

A kind of import (readings, progress, dossiers, feedback) is an ``Importer``: it names its columns,
the natural key of a row, how to read a row and how to validate and write a chunk of rows. This
module owns everything they share: the two passes over the file (duplicate keys first, so both
rows of a duplicate are refused even in a partial import), chunking, the summary, and the rule
that nothing is written unless the whole batch is accepted or ``partial`` was asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic import Field as PydanticField
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import (
    AppError,
    Conflict,
    FieldError,
    Forbidden,
    translate_validation_errors,
)
from app.uploads.batches import close_batch, open_batch
from app.uploads.duplicates import duplicate_error, find_duplicates
from app.uploads.errors_report import (
    ERRORS_FILE,
    ERRORS_SHOWN,
    GROUPS_SHOWN,
    REJECTED_FILE,
    ErrorCollector,
    ErrorGroup,
    RowError,
)
from app.uploads.files import FileProblem, Upload
from app.uploads.headers import RowProfile
from app.uploads.source import ProfileFinder, RowSource

#: Rows validated and written together: enough to amortise queries, small enough for memory.
CHUNK_ROWS = 1000
#: How many conflicting keys a summary names (``conflicts`` always counts them all).
CONFLICT_KEYS_SHOWN = 50


class ImportStatus(StrEnum):
    OK = "ok"  # every row accepted
    WARNING = "warning"  # partial import: some rows written, the others rejected
    ERROR = "error"  # nothing written (atomic batch with errors, or nothing valid)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class ImportSummary(BaseModel):
    """What an import did (or, for a dry run or a refused batch, would do)."""

    status: ImportStatus
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    conflicts: int = PydanticField(
        default=0,
        description="Keys where the unit's own figure and the one computed from records differ; "
        "the computed one counts (docs/api.md).",
    )
    conflict_keys: list[str] = PydanticField(
        default_factory=list,
        description=f"The first {CONFLICT_KEYS_SHOWN} of them: indicator/unit/period/domain.",
    )
    errors: list[RowError] = PydanticField(
        default_factory=list,
        description=f"The first {ERRORS_SHOWN} errors in row order (all of them: `errors_total`, "
        "`error_groups`, and the `errors_report` file).",
    )
    errors_total: int = PydanticField(default=0, description="Every error found, counted.")
    error_groups: list[ErrorGroup] = PydanticField(
        default_factory=list,
        description=f"Errors grouped by field, code and value, the {GROUPS_SHOWN} largest first.",
    )
    error_groups_total: int = 0
    errors_report: str | None = PydanticField(
        default=None,
        description="Where to download every error as CSV (for 24 hours, by the sender only).",
    )
    rejected_report: str | None = PydanticField(
        default=None,
        description="The refused rows as read, with their errors, to fix and send again.",
    )

    def note_conflicts(self, keys: Sequence[str]) -> None:
        self.conflicts = len(keys)
        self.conflict_keys = list(keys[:CONFLICT_KEYS_SHOWN])


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    partial: bool = False


#: Where the reports of an import are downloaded (``{token}``, ``{name}``); pages use their own.
API_REPORTS = "/api/v1/imports/reports/{token}/{name}"


@dataclass
class ImportResult:
    """The summary, and the token of its error reports on disk (None when nothing was wrong)."""

    summary: ImportSummary
    report_token: str | None = None
    has_rejected_rows: bool = False

    @property
    def written(self) -> bool:
        return not self.summary.dry_run and self.summary.status != ImportStatus.ERROR


T = TypeVar("T")


class Importer(Protocol[T]):
    """What a kind of import tells the runner."""

    kind: str
    columns: Sequence[str]
    required: Sequence[str]
    actor: Actor
    clock: Clock
    batch_id: int | None  # set by the runner before the first write

    def key(self, values: dict[str, Any]) -> str | None:
        """The row's natural key as text, normalised as the database would compare it."""

    def parse(self, values: dict[str, Any]) -> T:
        """The row as a typed value; raises ``ValidationError`` or ``AppError``."""

    def process(
        self, rows: Sequence[tuple[int, T]], *, write: bool
    ) -> Iterable[tuple[int, Outcome | AppError]]:
        """Validate a chunk against the database and, when ``write``, apply the valid rows."""

    def finish(self) -> None:
        """After the last chunk of a batch that will be committed (recomputations)."""


def row_errors(row: int, exc: AppError | ValidationError) -> list[RowError]:
    """An error as the row's list of problems, with the message the single endpoints give."""
    if isinstance(exc, ValidationError):
        errors = translate_validation_errors(list(exc.errors()))
        return [RowError(row=row, field=e.field, code=e.code, message=e.message) for e in errors]
    if exc.code == "invalid" and exc.errors:
        return [
            RowError(row=row, field=e.field, code=e.code, message=e.message) for e in exc.errors
        ]
    field_name = exc.errors[0].field if exc.errors else _FIELD_OF_CODE.get(exc.code, "row")
    return [RowError(row=row, field=field_name, code=exc.code, message=exc.message)]


_FIELD_OF_CODE = {
    "unit_not_found": "unit",
    "indicator_not_found": "indicator",
    "domain_not_found": "domain",
    "plan_not_found": "plan",
    "assignment_not_found": "assignment",
    "other_unit": "unit",
    "forbidden": "unit",
    "period_locked": "period",
}


class ForbiddenRows(AppError):
    """An all-or-nothing batch with rows its sender may not write: refused whole, as 403.

    Not a data error to fix in the file but a matter of who sends it; the detail still carries
    the summary, so the sender sees which rows were another unit's.
    """

    def __init__(self, first: AppError, summary: ImportSummary) -> None:
        rows = sorted({e.row for e in summary.errors if e.code == first.code})
        shown = ", ".join(str(r) for r in rows[:20]) + (" …" if len(rows) > 20 else "")
        super().__init__(
            message=f"Dòng {shown}: {first.message}",
            code=first.code,
            errors=[
                FieldError(f"{e.row}.{e.field}", e.code, e.message)
                for e in summary.errors
                if e.code == first.code
            ][:100],
            status_code=403,
        )
        self.summary = summary

    def to_detail(self) -> dict[str, Any]:
        return {**super().to_detail(), "summary": self.summary.model_dump(mode="json")}


class _Tally:
    """Counts refused rows and hands their errors to the collector (never kept in a list)."""

    def __init__(self, summary: ImportSummary, collector: ErrorCollector) -> None:
        self.summary = summary
        self.collector = collector
        self.forbidden: Forbidden | None = None

    def reject(self, row: int, errors: list[RowError], values: dict[str, Any]) -> None:
        self.summary.rejected += 1
        self.collector.add(row, errors, values)


def file_failure(problem: FileProblem, *, dry_run: bool) -> ImportSummary:
    errors = [
        RowError(row=row, field=e.field, code=e.code, message=e.message)
        for row, e in problem.errors
    ]
    return ImportSummary(
        status=ImportStatus.ERROR,
        dry_run=dry_run,
        errors=errors[:ERRORS_SHOWN],
        errors_total=len(errors),
    )


def run_import(
    *,
    db_session: Session,
    importer: Importer[Any],
    upload: Upload,
    options: ImportOptions,
    key_label: str,
    keep_rejected: bool = False,
    profile: RowProfile | None = None,
    find_profile: ProfileFinder | None = None,
) -> ImportResult:
    """Read, validate and (unless refused) write a whole file in one transaction.

    Atomic by default: one rejected row and nothing is written (422; 403 when a row is one the
    sender may not write at all). ``partial`` writes the valid rows and reports the others, those
    included. A dry run validates everything against the database and rolls back. A refused file
    (bad header, legacy encoding, …) is never written, partial or not. ``profile`` maps another
    system's columns and values to ours; without it headers are matched by name or label, unless
    ``find_profile`` recognises (or looks up by the code the sender named) a profile from the
    header row.
    """
    summary = ImportSummary(status=ImportStatus.OK, dry_run=options.dry_run)
    collector = ErrorCollector(columns=importer.columns, keep_rejected=keep_rejected)
    tally = _Tally(summary, collector)
    source: RowSource | None = None
    try:
        source = RowSource(upload, importer, profile, find_profile)
        summary = _run_rows(db_session, importer, upload, options, key_label, source, tally)
    except FileProblem as problem:
        db_session.rollback()
        return ImportResult(file_failure(problem, dry_run=options.dry_run))
    finally:
        if source is not None:
            source.close()
        token = collector.close(importer.actor.username)
    summary.errors = collector.first_errors()
    summary.errors_total = collector.total
    summary.error_groups = collector.largest_groups()
    summary.error_groups_total = len(collector.groups)
    if token is not None:
        summary.errors_report = API_REPORTS.format(token=token, name=ERRORS_FILE)
        if keep_rejected:
            summary.rejected_report = API_REPORTS.format(token=token, name=REJECTED_FILE)
    if tally.forbidden is not None:
        raise ForbiddenRows(tally.forbidden, summary)
    return ImportResult(summary, token, keep_rejected and summary.rejected > 0)


class _Chunks:
    """The main pass: rows parsed into chunks, each validated (and written, while the batch can
    still be) with the importer; outcomes counted, refused rows handed to the tally."""

    def __init__(
        self,
        db_session: Session,
        importer: Importer[Any],
        upload: Upload,
        options: ImportOptions,
        tally: _Tally,
    ) -> None:
        self.db_session, self.importer, self.upload = db_session, importer, upload
        self.options, self.tally = options, tally
        self.writing = not options.dry_run
        self.forbidden: Forbidden | None = None
        self.chunk: list[tuple[int, Any]] = []
        self.values_of: dict[int, dict[str, Any]] = {}
        self.counted: dict[Outcome, int] = {}

    def add(self, number: int, values: dict[str, Any]) -> None:
        try:
            self.chunk.append((number, self.importer.parse(values)))
            self.values_of[number] = values
        except (ValidationError, AppError) as exc:
            self.tally.reject(number, row_errors(number, exc), values)

    def row_done(self) -> None:
        if self.tally.summary.rejected and not self.options.partial:
            self.writing = False  # the batch is lost anyway: validate the rest only
        if len(self.chunk) >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.chunk:
            return
        importer = self.importer
        if self.writing and importer.batch_id is None:
            importer.batch_id = open_batch(
                self.db_session, importer, self.upload, partial=self.options.partial
            )
        counted = self.counted
        for number, result in importer.process(self.chunk, write=self.writing):
            if isinstance(result, AppError):
                if isinstance(result, Forbidden) and self.forbidden is None:
                    self.forbidden = result
                self.tally.reject(number, row_errors(number, result), self.values_of[number])
                if not self.options.partial:
                    self.writing = False
            else:
                counted[result] = counted.get(result, 0) + 1
        self.chunk.clear()
        self.values_of.clear()


def _read_rows(importer: Importer[Any], key_label: str, source: RowSource, chunks: _Chunks) -> None:
    """Duplicate keys first (a pass of their own), then every row: refused where it cannot be
    read or shares its key, else into a chunk."""

    def keys() -> Iterator[tuple[int, str | None]]:
        for parsed, failed in source.rows():
            bad = parsed.problem is not None or failed is not None
            yield parsed.number, None if bad else importer.key(parsed.values)

    duplicates = find_duplicates(keys(), keys())
    reject = chunks.tally.reject
    for parsed, failed in source.rows():
        number, values = parsed.number, parsed.values
        if parsed.problem is not None:
            problem = parsed.problem
            error = RowError(
                row=number, field=problem.field, code=problem.code, message=problem.message
            )
            reject(number, [error], values)
        elif failed is not None:
            reject(number, row_errors(number, failed), values)
        elif number in duplicates:
            reject(number, [duplicate_error(number, duplicates[number], key_label)], values)
        else:
            chunks.add(number, values)
        chunks.row_done()
    chunks.flush()


def _run_rows(
    db_session: Session,
    importer: Importer[Any],
    upload: Upload,
    options: ImportOptions,
    key_label: str,
    source: RowSource,
    tally: _Tally,
) -> ImportSummary:
    """The passes over the rows and the commit (or rollback) that ends them."""
    summary = tally.summary
    chunks = _Chunks(db_session, importer, upload, options, tally)
    try:
        _read_rows(importer, key_label, source, chunks)
        for outcome, count in chunks.counted.items():
            setattr(summary, outcome.value, count)
    except IntegrityError as exc:
        db_session.rollback()
        raise _written_meanwhile() from exc
    except BaseException:
        db_session.rollback()
        raise
    accepted = summary.created + summary.updated + summary.unchanged
    if summary.rejected and (not options.partial or accepted == 0):
        summary.status = ImportStatus.ERROR
    elif summary.rejected:
        summary.status = ImportStatus.WARNING
    if chunks.forbidden is not None and not options.partial:
        db_session.rollback()
        tally.forbidden = chunks.forbidden
        return summary
    if options.dry_run or summary.status == ImportStatus.ERROR:
        db_session.rollback()
        summary.note_conflicts(getattr(importer, "conflict_keys", []))
        return summary
    _commit(db_session, importer, upload, summary)
    return summary


def _commit(
    db_session: Session, importer: Importer[Any], upload: Upload, summary: ImportSummary
) -> None:
    """Recomputations, the batch's record and the commit; nothing stays if any of it fails."""
    try:
        importer.finish()
        # An importer may list the keys where a unit's figure and a computed one now differ.
        summary.note_conflicts(getattr(importer, "conflict_keys", []))
        if importer.batch_id is not None:
            close_batch(db_session, importer, upload, summary)
        db_session.commit()
    except IntegrityError as exc:
        db_session.rollback()
        raise _written_meanwhile() from exc
    except BaseException:
        db_session.rollback()
        raise


def _written_meanwhile() -> Conflict:
    """Someone else wrote one of the file's keys while it was being imported (the unique index
    said so, possibly only when the rows reached the database): nothing was written."""
    return Conflict(
        "Trong lúc nhập tệp, đã có người khác ghi cùng một số liệu hoặc hồ sơ; không dòng nào "
        "được ghi. Hãy gửi lại tệp (các dòng đã có sẽ được báo là cập nhật hoặc không đổi).",
        code="already_exists",
    )
