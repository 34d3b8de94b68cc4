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
from collections.abc import Sequence
from importlib import resources
from typing import Any

from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import FieldError, Invalid, NotFound
from app.formatting import format_number
from app.par.models import (
    CriterionRead,
    CriterionUpdate,
    FrameworkRead,
    ParCriterion,
    ParFramework,
    RuleBand,
    ScoredBy,
)
from app.par.rules import RuleError, parse_rule
from app.permissions import Permission
from app.tenancy import authorize_shared
from app.versioning import check_version, claim_version

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
    check_version(current=row.version, expected=data.version, what=f"Tiêu chí {code}")
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
    table.updated_at = clock.now()
    db_session.add_all([row, table])
    row.version = claim_version(
        db_session=db_session,
        model=ParCriterion,
        row_id=row.id,
        seen=before.version,
        message=f"Tiêu chí {code} vừa được người khác sửa; hãy tải lại trang và sửa lại.",
    )
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
