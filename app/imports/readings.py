"""The importers of readings and progress reports: the single writes' rules, for a whole file.

Each row goes through ``kpi_readings.plan_reading`` / ``progress_service.plan_progress``, the very
functions behind ``PUT /readings`` and ``PUT /progress``, so a file is refused row by row with the
messages those endpoints give; the writes then happen in one transaction, chunk by chunk, with
one audit row per changed row (``via="import"``) and none for an unchanged one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from app.actors import Actor
from app.clock import Clock
from app.errors import AppError
from app.kpis import reading_rules as reading_rules
from app.kpis import store as reading_store
from app.kpis.lookups import Lookups
from app.kpis.models import ReadingSource, ReadingWrite
from app.kpis.reading_rows import reading_from_row
from app.periods import Period, PeriodError
from app.progress import service as progress_service
from app.progress.models import ProgressWrite
from app.uploads.bulk import Outcome
from app.uploads.files import Upload
from app.versioning import WriteAction

_OUTCOME = {
    WriteAction.CREATE: Outcome.CREATED,
    WriteAction.UPDATE: Outcome.UPDATED,
    WriteAction.UNCHANGED: Outcome.UNCHANGED,
}

READING_COLUMNS = tuple(ReadingWrite.model_fields)
READING_REQUIRED = ("indicator", "unit", "period")
PROGRESS_COLUMNS = tuple(ProgressWrite.model_fields)
PROGRESS_REQUIRED = ("assignment", "unit", "period", "status")


_PROGRESS_CODES = ("unit", "plan")


def _lower_codes(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Codes in any case, as the dossier feed takes them (``TTPVHCC`` is ``ttpvhcc``)."""
    for name in names:
        value = values.get(name)
        if isinstance(value, str) and not value.islower():
            values[name] = value.strip().lower()
    return values


def _code(value: Any) -> str:
    if type(value) is str:
        return value.strip().lower()
    return "" if value is None else str(value).strip().lower()


def _period(value: Any) -> str:
    return _period_text("" if value is None else str(value).strip())


@lru_cache(maxsize=4096)
def _period_text(text: str) -> str:
    """A file names a handful of periods on every row: each is read once per process."""
    try:
        return str(Period.parse(text))
    except PeriodError:
        return text


class _KeyedImporter:
    """Rows that upsert by a natural key: look every existing row up at once, plan each row
    with the single write's own checks, then apply the valid ones together (no commit)."""

    columns: Sequence[str]
    required: Sequence[str]

    def __init__(self, *, db_session: Session, actor: Actor, clock: Clock) -> None:
        self.lookups = Lookups(db_session=db_session, clock=clock)
        self.db_session = db_session
        self.actor = actor.through("import")
        self.clock = clock
        self.lookups.prime()
        self.batch_id: int | None = None
        self.default_plan = _default_plan_code(self.lookups)
        self.conflict_keys: list[str] = []

    # The four steps each kind supplies.
    def check(self, data: Any) -> tuple[Any, Any]:
        """The row's natural key and everything about it that needs no stored row."""
        raise NotImplementedError

    def find(self, keys: list[Any]) -> dict[Any, Any]:
        raise NotImplementedError

    def decide(self, checked: Any, existing: Any) -> Any:
        raise NotImplementedError

    def apply(self, planned: list[Any]) -> None:
        raise NotImplementedError

    def process(
        self, rows: Sequence[tuple[int, Any]], *, write: bool
    ) -> Iterable[tuple[int, Outcome | AppError]]:
        """Check, look up and decide a chunk of rows; write it unless told not to.

        A refused row's error is kept without its traceback: the traceback holds this frame,
        whose ``out`` holds the error, a cycle only the garbage collector frees, and with the
        server's larger collection batches 100,000 refused rows once held 400 MB that way.
        """
        checked: list[tuple[int, Any, Any]] = []
        out: dict[int, Outcome | AppError] = {}
        for number, data in rows:
            try:
                key, item = self.check(data)
            except AppError as exc:
                out[number] = exc.with_traceback(None)  # see _KeyedImporter.process
                continue
            checked.append((number, key, item))
        existing = self.find([key for _, key, _ in checked])
        planned: list[Any] = []
        for number, key, item in checked:
            try:
                decided = self.decide(item, existing.get(key))
            except AppError as exc:
                out[number] = exc.with_traceback(None)  # see _KeyedImporter.process
                continue
            planned.append(decided)
            out[number] = _OUTCOME[decided.action]
        if write and planned:
            self.apply(planned)
        return [(number, out[number]) for number, _ in rows]

    def finish(self) -> None:
        return None


class ReadingImporter(_KeyedImporter):
    """Rows of ``POST /readings/bulk``: one ``ReadingWrite`` each."""

    kind = "readings"
    columns: Sequence[str] = READING_COLUMNS
    required: Sequence[str] = READING_REQUIRED

    def __init__(self, *, db_session: Session, actor: Actor, clock: Clock) -> None:
        super().__init__(db_session=db_session, actor=actor, clock=clock)
        #: Each distinct code text of the file folded once (``reading_from_row``).
        self.codes: dict[str, str] = {}

    def key(self, values: dict[str, Any]) -> str:
        get = values.get
        plan = _code(get("plan")) or self.default_plan
        indicator, unit, domain = _code(get("indicator")), _code(get("unit")), _code(get("domain"))
        return f"{plan}|{indicator}|{unit}|{_period(get('period'))}|{domain}"

    def parse(self, values: dict[str, Any]) -> ReadingWrite:
        return reading_from_row(values, self.codes)

    def check(self, data: ReadingWrite) -> tuple[Any, reading_rules.CheckedReading]:
        checked = reading_rules.check_reading(
            lookups=self.lookups, actor=self.actor, data=data, source=ReadingSource.IMPORT
        )
        return checked.key, checked

    def find(self, keys: list[Any]) -> dict[Any, Any]:
        return reading_store.find_readings(db_session=self.db_session, keys=keys)

    def decide(self, checked: reading_rules.CheckedReading, existing: Any) -> Any:
        decided = reading_rules.decide_reading(checked, existing)
        if decided.conflict:  # kept as the unit's figure; the computed one still counts
            indicator, unit, domain = decided.codes
            self.conflict_keys.append(f"{indicator}/{unit}/{decided.key[2]}/{domain or '-'}")
        return decided

    def apply(self, planned: list[Any]) -> None:
        reading_store.apply_readings(
            db_session=self.db_session,
            actor=self.actor,
            clock=self.clock,
            planned=planned,
            results=False,
            import_batch_id=self.batch_id,
        )


class ProgressImporter(_KeyedImporter):
    """Rows of ``POST /progress/bulk``: one ``ProgressWrite`` each (audited row by row: a plan
    has some sixty tasks, so a progress file is small)."""

    kind = "progress"
    columns: Sequence[str] = PROGRESS_COLUMNS
    required: Sequence[str] = PROGRESS_REQUIRED

    def key(self, values: dict[str, Any]) -> str:
        plan = _code(values.get("plan")) or self.default_plan
        assignment = "" if values.get("assignment") is None else str(values["assignment"]).strip()
        return "|".join(
            (plan, assignment, _code(values.get("unit")), _period(values.get("period")))
        )

    def parse(self, values: dict[str, Any]) -> ProgressWrite:
        return ProgressWrite.model_validate(_lower_codes(values, _PROGRESS_CODES))

    def check(self, data: ProgressWrite) -> tuple[Any, ProgressWrite]:
        return progress_service.progress_natural_key(lookups=self.lookups, data=data), data

    def find(self, keys: list[Any]) -> dict[Any, Any]:
        return progress_service.find_progress(db_session=self.db_session, keys=keys)

    def decide(self, data: ProgressWrite, existing: Any) -> Any:
        return progress_service.plan_progress(
            lookups=self.lookups, actor=self.actor, data=data, existing=existing
        )

    def apply(self, planned: list[Any]) -> None:
        progress_service.apply_progress(
            db_session=self.db_session, actor=self.actor, clock=self.clock, planned=planned
        )


def _default_plan_code(lookups: Lookups) -> str:
    try:
        return lookups.plan(None).code
    except AppError:
        return ""


def make_reading_importer(
    *, db_session: Session, actor: Actor, clock: Clock, upload: Upload, plan_code: str | None
) -> ReadingImporter:
    """``POST /readings/bulk``: the rows name their plan (``plan`` column), so ``plan_code`` and
    the file itself are not needed to set the importer up."""
    return ReadingImporter(db_session=db_session, actor=actor, clock=clock)


def make_progress_importer(
    *, db_session: Session, actor: Actor, clock: Clock, upload: Upload, plan_code: str | None
) -> ProgressImporter:
    """``POST /progress/bulk``: as readings, the rows name their plan."""
    return ProgressImporter(db_session=db_session, actor=actor, clock=clock)
