"""The city's criteria table imported from its .xlsx (or CSV) through the common import runner:
all or nothing, dry runs, per-row errors, and the finished table checked as a whole before the
commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field as PydanticField
from sqlmodel import Session, select

from app.actors import Actor
from app.clock import Clock
from app.errors import Invalid
from app.kpis.models import CleanStr, Number
from app.par.framework import AREA_CODES, check_tree, criteria_of, level_of, parent_of, sort_key
from app.par.models import (
    CRITERION_CODE_PATTERN,
    MAX_TEXT,
    ParAssessment,
    ParCriterion,
    ParFramework,
    ScoredBy,
)
from app.par.rules import RuleError, parse_rule
from app.permissions import Permission
from app.schemas import StrictInput
from app.tenancy import ALL_WARDS, authorize_shared
from app.uploads.bulk import ImportOptions, ImportResult, Outcome, run_import
from app.uploads.files import Upload

# --- the city's table imported -------------------------------------------------------------------

CRITERIA_COLUMNS = (
    "criterion",
    "par_area",
    "title",
    "max_points",
    "scored_by",
    "method",
    "evidence_required",
    "indicator",
    "rule",
    "official",
)
CRITERIA_REQUIRED = ("criterion", "title", "max_points")

_SCORED_BY_WORDS = {
    "self": ScoredBy.SELF,
    "tu danh gia": ScoredBy.SELF,
    "tự đánh giá": ScoredBy.SELF,
    "thẩm định": ScoredBy.SELF,
    "survey": ScoredBy.SURVEY,
    "dieu tra": ScoredBy.SURVEY,
    "điều tra": ScoredBy.SURVEY,
    "điều tra xã hội học": ScoredBy.SURVEY,
    "dieu tra xa hoi hoc": ScoredBy.SURVEY,
    "xhh": ScoredBy.SURVEY,
}


class CriterionRow(StrictInput):
    """One row of the city's table as the import reads it."""

    criterion: str = PydanticField(pattern=CRITERION_CODE_PATTERN, max_length=32)
    par_area: str | None = PydanticField(default=None, max_length=16)
    title: CleanStr = PydanticField(min_length=1, max_length=MAX_TEXT)
    max_points: Number = PydanticField(ge=0, le=1000)
    scored_by: str | None = PydanticField(default=None, max_length=40)
    method: CleanStr = PydanticField(default="", max_length=MAX_TEXT)
    evidence_required: CleanStr = PydanticField(default="", max_length=MAX_TEXT)
    indicator: str | None = PydanticField(default=None, max_length=64)
    rule: str | None = PydanticField(default=None, max_length=500)
    official: bool | str | None = None


def _scored_by(text: str | None) -> ScoredBy:
    if text is None or not text.strip():
        return ScoredBy.SELF
    found = _SCORED_BY_WORDS.get(text.strip().lower())
    if found is None:
        raise Invalid.one(
            "scored_by",
            "invalid",
            f"Hình thức đánh giá “{text}” không rõ: ghi “Tự đánh giá” hoặc “Điều tra xã hội học”.",
        )
    return found


def _official(value: bool | str | None, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or not str(value).strip():
        return default
    return str(value).strip().lower() in {"1", "x", "có", "co", "true", "yes", "chính thức"}


@dataclass
class CriteriaImporter:
    """Rows of the city's table upserted into one framework by criterion code."""

    db_session: Session
    actor: Actor
    clock: Clock
    framework: ParFramework
    official_default: bool
    kind: str = "par_criteria"
    columns: Sequence[str] = CRITERIA_COLUMNS
    required: Sequence[str] = CRITERIA_REQUIRED
    batch_id: int | None = None

    def key(self, values: dict[str, Any]) -> str | None:
        code = values.get("criterion")
        return str(code).strip() if code not in (None, "") else None

    def parse(self, values: dict[str, Any]) -> CriterionRow:
        clean = {k: (str(v).strip() if isinstance(v, (int, float)) and k == "criterion" else v)
                 for k, v in values.items() if v not in (None, "")}  # fmt: skip
        return CriterionRow.model_validate(clean)

    def _area(self, row: CriterionRow) -> str:
        if row.par_area:
            area = row.par_area.strip().lower()
            if area.isdigit():
                area = f"par{area}"
            if area not in AREA_CODES:
                raise Invalid.one(
                    "par_area",
                    "invalid",
                    f"Lĩnh vực “{row.par_area}” không có: ghi từ 1 đến 8 (hoặc par1…par8).",
                )
            return area
        top = row.criterion.split(".")[0]
        if f"par{top}" not in AREA_CODES:
            raise Invalid.one(
                "par_area",
                "invalid",
                f"Tiêu chí {row.criterion} không thuộc lĩnh vực nào từ 1 đến 8: ghi cột lĩnh vực.",
            )
        return f"par{top}"

    def process(
        self, rows: Sequence[tuple[int, CriterionRow]], *, write: bool
    ) -> Iterable[tuple[int, Outcome | Invalid]]:
        assert self.framework.id is not None
        existing = {r.code: r for r in criteria_of(self.db_session, self.framework.id)}
        for number, row in rows:
            try:
                area = self._area(row)
                scored_by = _scored_by(row.scored_by)
                try:
                    bands = parse_rule(row.rule or "")
                except RuleError as exc:
                    raise Invalid.one("rule", "invalid_rule", str(exc)) from exc
                if bands and not row.indicator:
                    raise Invalid.one(
                        "indicator",
                        "indicator_required",
                        "Quy tắc đề xuất điểm cần một chỉ tiêu để đọc số.",
                    )
            except Invalid as exc:
                yield number, exc
                continue
            fields: dict[str, Any] = {
                "parent_code": parent_of(row.criterion),
                "level": level_of(row.criterion),
                "sort_key": sort_key(row.criterion),
                "area_code": area,
                "title": row.title,
                "max_points": float(row.max_points),
                "method": row.method,
                "evidence": row.evidence_required,
                "scored_by": scored_by.value,
                "official": _official(row.official, self.official_default),
                "indicator_code": (row.indicator or "").strip().lower(),
                "rule": bands,
            }
            found = existing.get(row.criterion)
            if found is None:
                if write:
                    created = ParCriterion(
                        framework_id=self.framework.id, code=row.criterion, **fields
                    )
                    self.db_session.add(created)
                    existing[row.criterion] = created
                yield number, Outcome.CREATED
            elif all(getattr(found, k) == v for k, v in fields.items()):
                yield number, Outcome.UNCHANGED
            else:
                if write:
                    for name, value in fields.items():
                        setattr(found, name, value)
                    found.version += 1
                    self.db_session.add(found)
                yield number, Outcome.UPDATED
        if write:
            self.db_session.flush()

    def finish(self) -> None:
        assert self.framework.id is not None
        self.db_session.flush()
        problems = check_tree(criteria_of(self.db_session, self.framework.id))
        if problems:
            raise Invalid(problems[:50], message=problems[0].message)
        self.framework.updated_at = self.clock.now()
        self.db_session.add(self.framework)


class FrameworkHeader(StrictInput):
    """The table's own facts, sent with its rows."""

    year: int = PydanticField(ge=2000, le=2100)
    title: CleanStr = PydanticField(default="", max_length=MAX_TEXT)
    source: CleanStr = PydanticField(default="", max_length=MAX_TEXT)
    official: bool = True


def import_criteria(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    code: str,
    header: FrameworkHeader,
    upload: Upload,
    options: ImportOptions,
) -> ImportResult:
    """The city's table from a file, into framework ``code`` (created when new)."""
    authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    framework = db_session.exec(select(ParFramework).where(ParFramework.code == code)).first()
    now = clock.now()
    if framework is None:
        framework = ParFramework(
            code=code,
            year=header.year,
            title=header.title or f"Bảng tiêu chí Chỉ số CCHC năm {header.year}",
            source=header.source,
            official=header.official,
            created_at=now,
            updated_at=now,
        )
        db_session.add(framework)
        db_session.flush()
    else:
        used = db_session.exec(
            select(ParAssessment.id)
            .where(ParAssessment.framework_id == framework.id)
            .limit(1)
            .execution_options(**{ALL_WARDS: True})
        ).first()
        if used is not None and framework.year != header.year:
            raise Invalid.one(
                "year", "framework_in_use", "Bảng đã được dùng để đánh giá: không đổi năm được."
            )
        framework.year = header.year
        framework.title = header.title or framework.title
        framework.source = header.source or framework.source
        framework.official = header.official
    importer = CriteriaImporter(
        db_session=db_session,
        actor=actor,
        clock=clock,
        framework=framework,
        official_default=header.official,
    )
    return run_import(
        db_session=db_session,
        importer=importer,
        upload=upload,
        options=options,
        key_label="criterion",
    )
