"""The city's criteria tables: the starting table partrack ships, the city's .xlsx imported over
it, and a criterion edited in the browser.

A framework is shared by every ward, so only a city administrator (or the administrator of a
one-ward installation) changes it (``tenancy.authorize_shared``). The import goes through the
same runner as every other import (``app.uploads.bulk.run_import``): all or nothing, dry runs,
per-row errors; the finished table is checked as a whole (every parent's maximum is the sum of
its children's) before anything is committed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pydantic import Field as PydanticField
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.formatting import format_number
from app.kpis.models import CleanStr, Number
from app.par.models import (
    CRITERION_CODE_PATTERN,
    MAX_TEXT,
    CriterionRead,
    CriterionUpdate,
    FrameworkRead,
    ParAssessment,
    ParCriterion,
    ParFramework,
    RuleBand,
    ScoredBy,
)
from app.par.rules import RuleError, parse_rule
from app.permissions import Permission
from app.schemas import StrictInput
from app.tenancy import ALL_WARDS, authorize_shared
from app.uploads.bulk import ImportOptions, ImportResult, Outcome, run_import
from app.uploads.files import Upload

STARTER = "chi-so-cchc-phuong-2025.json"
AREA_CODES = tuple(f"par{n}" for n in range(1, 9))


def sort_key(code: str) -> str:
    return ".".join(part.zfill(3) for part in code.split("."))


def parent_of(code: str) -> str:
    return code.rpartition(".")[0]


def level_of(code: str) -> int:
    return code.count(".") + 1


def _bands(raw: Any) -> list[dict[str, float]]:
    if isinstance(raw, list):
        return [{"min": float(b["min"]), "share": float(b["share"])} for b in raw]
    return parse_rule(str(raw or ""))


def to_read(row: ParCriterion) -> CriterionRead:
    return CriterionRead(
        code=row.code,
        parent=row.parent_code or None,
        level=row.level,
        area=row.area_code,
        title=row.title,
        max_points=row.max_points,
        method=row.method,
        evidence=row.evidence,
        scored_by=ScoredBy(row.scored_by),
        official=row.official,
        indicator=row.indicator_code or None,
        rule=[RuleBand(**b) for b in row.rule],
        version=row.version,
    )


def is_leaf(row: ParCriterion, codes: set[str]) -> bool:
    """A row whose code is no other row's parent: only leaves are scored."""
    return row.code not in codes


def criteria_of(db_session: Session, framework_id: int) -> list[ParCriterion]:
    return list(
        db_session.exec(
            select(ParCriterion)
            .where(ParCriterion.framework_id == framework_id)
            .order_by(col(ParCriterion.sort_key))
        )
    )


def leaves(rows: Sequence[ParCriterion]) -> list[ParCriterion]:
    parents = {r.parent_code for r in rows if r.parent_code}
    return [r for r in rows if r.code not in parents]


def get_framework(db_session: Session, code: str) -> ParFramework:
    found = db_session.exec(select(ParFramework).where(ParFramework.code == code)).first()
    if found is None:
        raise NotFound(
            f"Không có bảng tiêu chí Chỉ số CCHC mã “{code}”.", code="framework_not_found"
        )
    return found


def framework_for_year(db_session: Session, year: int) -> ParFramework:
    """The year's table: the city's own when it was imported, else the starting table."""
    rows = db_session.exec(
        select(ParFramework)
        .where(ParFramework.year <= year)
        .order_by(col(ParFramework.year).desc(), col(ParFramework.official).desc())
    ).all()
    if not rows:
        raise NotFound(
            f"Chưa có bảng tiêu chí Chỉ số CCHC cho năm {year}: hãy nhập bảng của Thành phố.",
            code="framework_not_found",
        )
    return rows[0]


def list_frameworks(db_session: Session) -> list[ParFramework]:
    return list(db_session.exec(select(ParFramework).order_by(col(ParFramework.year).desc())))


def read_framework(db_session: Session, code: str) -> FrameworkRead:
    framework = get_framework(db_session, code)
    assert framework.id is not None
    rows = criteria_of(db_session, framework.id)
    return FrameworkRead(
        code=framework.code,
        year=framework.year,
        title=framework.title,
        source=framework.source,
        official=framework.official,
        max_points=round(sum(r.max_points for r in leaves(rows)), 4),
        criteria=[to_read(r) for r in rows],
    )


def check_tree(rows: Sequence[ParCriterion]) -> list[FieldError]:
    """Every parent present, every area one of the plan's eight, every parent's maximum the sum
    of its children's: a table that breaks these would score the ward wrongly."""
    problems: list[FieldError] = []
    by_code = {r.code: r for r in rows}
    children: dict[str, list[ParCriterion]] = {}
    for row in rows:
        if row.parent_code:
            if row.parent_code not in by_code:
                problems.append(
                    FieldError(
                        row.code,
                        "parent_missing",
                        f"Tiêu chí {row.code}: không có dòng {row.parent_code} (tiêu chí cha).",
                    )
                )
                continue
            children.setdefault(row.parent_code, []).append(row)
    for code, kids in children.items():
        total = round(sum(k.max_points for k in kids), 4)
        parent = by_code[code]
        if abs(total - parent.max_points) > 1e-6:
            problems.append(
                FieldError(
                    code,
                    "points_mismatch",
                    f"Tiêu chí {code} có điểm tối đa {format_number(parent.max_points)} nhưng các "
                    f"tiêu chí con cộng lại {format_number(total)}.",
                )
            )
    return problems


# --- the starting table --------------------------------------------------------------------------


def starter_data() -> dict[str, Any]:
    text = resources.files("app.par").joinpath("data", STARTER).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_framework(db_session: Session, data: dict[str, Any], *, now: Any) -> ParFramework:
    """A table in partrack's JSON form (the starting table), created if its code is new; the
    caller commits. Loading it twice changes nothing."""
    existing = db_session.exec(
        select(ParFramework).where(ParFramework.code == data["code"])
    ).first()
    if existing is not None:
        return existing
    framework = ParFramework(
        code=data["code"],
        year=int(data["year"]),
        title=data["title"],
        source=data.get("source", ""),
        official=bool(data.get("official", False)),
        created_at=now,
        updated_at=now,
    )
    db_session.add(framework)
    db_session.flush()
    assert framework.id is not None
    rows = []
    for item in data["criteria"]:
        code = item["code"]
        rows.append(
            ParCriterion(
                framework_id=framework.id,
                code=code,
                parent_code=parent_of(code),
                level=level_of(code),
                sort_key=sort_key(code),
                area_code=item["area"],
                title=item["title"],
                max_points=float(item["max_points"]),
                method=item.get("method", ""),
                evidence=item.get("evidence", ""),
                scored_by=item.get("scored_by", ScoredBy.SELF),
                official=bool(item.get("official", framework.official)),
                indicator_code=item.get("indicator", "") or "",
                rule=_bands(item.get("rule", "")),
            )
        )
    problems = check_tree(rows)
    if problems:
        raise Invalid(problems, message=problems[0].message)
    db_session.add_all(rows)
    return framework


def ensure_starter(db_session: Session, *, now: Any) -> ParFramework:
    """The starting table, loaded once (the seed calls this; the caller commits)."""
    return load_framework(db_session, starter_data(), now=now)


# --- one criterion edited ------------------------------------------------------------------------


def update_criterion(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    framework: str,
    code: str,
    data: CriterionUpdate,
) -> CriterionRead:
    authorize_shared(db_session, actor, Permission.PLAN_WRITE)
    table = get_framework(db_session, framework)
    row = db_session.exec(
        select(ParCriterion).where(ParCriterion.framework_id == table.id, ParCriterion.code == code)
    ).first()
    if row is None:
        raise NotFound(f"Bảng {framework} không có tiêu chí {code}.", code="criterion_not_found")
    if data.version is not None and data.version != row.version:
        raise Conflict(
            f"Tiêu chí {code} vừa được người khác sửa (phiên bản {row.version}); hãy tải lại "
            "trang và sửa lại.",
            code="version_conflict",
            errors=[FieldError("version", "version_conflict", "Phiên bản đã cũ.")],
        )
    before = to_read(row)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "rule" in changes:
        try:
            row.rule = parse_rule(changes.pop("rule") or "")
        except RuleError as exc:
            raise Invalid.one("rule", "invalid_rule", str(exc)) from exc
    if "indicator" in changes:
        row.indicator_code = changes.pop("indicator") or ""
    for name, value in changes.items():
        if value is not None:
            setattr(row, name, value)
    if row.rule and not row.indicator_code:
        raise Invalid.one(
            "indicator", "indicator_required", "Quy tắc đề xuất điểm cần một chỉ tiêu để đọc số."
        )
    if "max_points" in changes:
        siblings = criteria_of(db_session, row.framework_id)
        problems = check_tree(siblings)
        if problems:
            raise Invalid(
                [FieldError("max_points", p.code, p.message) for p in problems],
                message=problems[0].message,
            )
    row.version += 1
    table.updated_at = clock.now()
    db_session.add_all([row, table])
    after = to_read(row)
    audit.record(
        db_session=db_session,
        actor=actor,
        clock=clock,
        action=AuditAction.UPDATE,
        entity="par_criterion",
        key=f"{framework}/{code}",
        before=before,
        after=after,
    )
    db_session.commit()
    return after


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
