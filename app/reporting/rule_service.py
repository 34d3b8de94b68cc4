"""Listing and editing the plan's validation rules: authorised (admins and coordinators, the
plan's writers), audited, versioned. The rules themselves and their evaluation are in ``rules``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import Conflict, FieldError, Invalid, NotFound
from app.kpis.models import Domain, Indicator
from app.permissions import Permission, authorize
from app.plans import service as plan_service
from app.plans.models import Plan
from app.reporting.rules import (
    ReadingField,
    RuleCreate,
    RuleKind,
    RuleRead,
    RuleUpdate,
    Severity,
    ValidationRule,
    shape_error,
    to_read,
)
from app.versioning import check_version

_SIDES = ("left", "right")
_OPERAND_FIELDS = tuple(
    f"{side}_{name}" for side in _SIDES for name in ("indicator", "field", "domain", "constant")
)


def _entity_key(plan: Plan, code: str) -> str:
    return f"{plan.code}/{code}"


def _get(*, db_session: Session, plan: Plan, code: str) -> ValidationRule:
    row = db_session.exec(
        select(ValidationRule).where(ValidationRule.plan_id == plan.id, ValidationRule.code == code)
    ).first()
    if row is None:
        raise NotFound(f"Không có quy tắc kiểm tra mã “{code}”.", code="rule_not_found")
    return row


def names(*, db_session: Session, plan: Plan) -> dict[str, str]:
    """Indicator and domain codes → their names, for the rules in words."""
    found = {
        code: name
        for code, name in db_session.exec(
            select(Indicator.code, Indicator.name).where(Indicator.plan_id == plan.id)
        )
    }
    return found | {code: name for code, name in db_session.exec(select(Domain.code, Domain.name))}


def active_rules(*, db_session: Session, plan: Plan) -> list[ValidationRule]:
    """The rules a report is checked against (no authorisation: the check is the service's)."""
    return list(
        db_session.exec(
            select(ValidationRule)
            .where(ValidationRule.plan_id == plan.id, col(ValidationRule.active))
            .order_by(col(ValidationRule.code))
        )
    )


def list_rules(
    *, db_session: Session, plan_code: str | None, active: bool | None = None
) -> list[RuleRead]:
    """Every rule of the plan, by code; anyone signed in may read them (a reporter should know
    what its report is checked against)."""
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    query = select(ValidationRule).where(ValidationRule.plan_id == plan.id)
    if active is not None:
        query = query.where(ValidationRule.active == active)
    rows = db_session.exec(query.order_by(col(ValidationRule.code))).all()
    words = names(db_session=db_session, plan=plan)
    return [to_read(r, plan_code=plan.code, names=words) for r in rows]


def get_rule(*, db_session: Session, plan_code: str | None, code: str) -> RuleRead:
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    row = _get(db_session=db_session, plan=plan, code=code)
    return to_read(row, plan_code=plan.code, names=names(db_session=db_session, plan=plan))


def _check_operands(*, db_session: Session, plan: Plan, values: dict[str, Any]) -> None:
    """The shape, then the references: each indicator is the plan's, each domain exists and
    belongs to an indicator split by domain, numerators only of rates."""
    problem = shape_error(values)
    if problem is not None:
        raise Invalid.one(problem[0], "invalid_rule", problem[1])
    if values.get("kind", RuleKind.COMPARE) != RuleKind.COMPARE:
        return
    for side in _SIDES:
        code = values.get(f"{side}_indicator")
        if not code:
            continue
        indicator = db_session.exec(
            select(Indicator).where(Indicator.plan_id == plan.id, Indicator.code == code)
        ).first()
        if indicator is None:
            raise Invalid.one(
                f"{side}_indicator", "unknown_indicator", f"Không có chỉ tiêu mã “{code}”."
            )
        field = values.get(f"{side}_field") or ReadingField.VALUE
        if field != ReadingField.VALUE and indicator.measure != "percent":
            raise Invalid.one(
                f"{side}_field",
                "not_a_rate",
                f"Chỉ tiêu “{indicator.name}” không tính theo tỷ lệ nên không có tử số, mẫu số.",
            )
        domain = values.get(f"{side}_domain")
        if not domain:
            continue
        if indicator.disaggregation != "domain":
            raise Invalid.one(
                f"{side}_domain",
                "not_by_domain",
                f"Chỉ tiêu “{indicator.name}” không chia số liệu theo lĩnh vực.",
            )
        if db_session.exec(select(Domain.id).where(Domain.code == domain)).first() is None:
            raise Invalid.one(f"{side}_domain", "unknown_domain", f"Không có lĩnh vực “{domain}”.")


def _values(data: RuleCreate | RuleUpdate) -> dict[str, Any]:
    """The row's columns from the input: an operand's field defaults to ``value``; a progress
    rule keeps no operands."""
    values: dict[str, Any] = data.model_dump(
        include={"message", "severity", "kind", "active", "operator", *_OPERAND_FIELDS}
    )
    if values["kind"] != RuleKind.COMPARE:
        values |= {name: None for name in (*_OPERAND_FIELDS, "operator")}
        return values
    for side in _SIDES:
        if values[f"{side}_indicator"]:
            values[f"{side}_field"] = values[f"{side}_field"] or ReadingField.VALUE
        else:
            values |= {f"{side}_field": None, f"{side}_domain": None}
    return values


def create_rule(*, db_session: Session, actor: Actor, clock: Clock, data: RuleCreate) -> RuleRead:
    authorize(actor, Permission.PLAN_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=data.plan)
    values = _values(data)
    _check_operands(db_session=db_session, plan=plan, values=values)
    exists = db_session.exec(
        select(ValidationRule.id).where(
            ValidationRule.plan_id == plan.id, ValidationRule.code == data.code
        )
    ).first()
    if exists is not None:
        raise Conflict(
            f"Quy tắc mã “{data.code}” đã có.",
            code="rule_exists",
            errors=[FieldError("code", "duplicate", "Mã quy tắc đã được dùng.")],
        )
    now = clock.now()
    assert plan.id is not None
    row = ValidationRule(plan_id=plan.id, code=data.code, created_at=now, updated_at=now, **values)
    db_session.add(row)
    db_session.flush()
    after = to_read(row, plan_code=plan.code, names=names(db_session=db_session, plan=plan))
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="validation_rule",
        key=_entity_key(plan, row.code),
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def _write(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan: Plan,
    row: ValidationRule,
    values: dict[str, Any],
) -> RuleRead:
    before = to_read(row, plan_code=plan.code, names=names(db_session=db_session, plan=plan))
    for name, value in values.items():
        setattr(row, name, value)
    row.version += 1
    row.updated_at = clock.now()
    db_session.add(row)
    db_session.flush()
    after = to_read(row, plan_code=plan.code, names=names(db_session=db_session, plan=plan))
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.UPDATE,
        entity="validation_rule",
        key=_entity_key(plan, row.code),
        before=before,
        after=after,
        clock=clock,
    )
    db_session.commit()
    return after


def update_rule(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_code: str | None,
    code: str,
    data: RuleUpdate,
) -> RuleRead:
    """Replace the rule's message, severity, kind and comparison (a stale version is 409)."""
    authorize(actor, Permission.PLAN_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    row = _get(db_session=db_session, plan=plan, code=code)
    check_version(current=row.version, expected=data.version, what=f"Quy tắc kiểm tra {code}")
    values = _values(data)
    _check_operands(db_session=db_session, plan=plan, values=values)
    return _write(
        db_session=db_session, actor=actor, clock=clock, plan=plan, row=row, values=values
    )


def set_active(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    plan_code: str | None,
    code: str,
    active: bool,
    version: int | None,
) -> RuleRead:
    """Deactivate (or bring back) a rule; its history stays in the audit log."""
    authorize(actor, Permission.PLAN_WRITE)
    plan = plan_service.get_plan(db_session=db_session, code=plan_code)
    row = _get(db_session=db_session, plan=plan, code=code)
    check_version(current=row.version, expected=version, what=f"Quy tắc kiểm tra {code}")
    return _write(
        db_session=db_session,
        actor=actor,
        clock=clock,
        plan=plan,
        row=row,
        values={"active": active},
    )


#: Rules for Plan 84's indicators, seeded once by code (an admin's later edit is never undone).
SEED_RULES: tuple[dict[str, Any], ...] = (
    {
        "code": "so-hoa-cung-tiep-nhan",
        "message": "Số hồ sơ tiếp nhận (mẫu số) của tỷ lệ số hóa thành phần hồ sơ phải bằng số "
        "hồ sơ tiếp nhận của tỷ lệ hồ sơ xử lý trực tuyến: cùng là hồ sơ tiếp nhận trong kỳ.",
        "severity": Severity.FLAG,
        "left_indicator": "digitized_components",
        "left_field": ReadingField.DENOMINATOR,
        "operator": "=",
        "right_indicator": "online_dossier",
        "right_field": ReadingField.DENOMINATOR,
    },
    {
        "code": "khai-thac-khong-vuot-so-hoa",
        "message": "Số hồ sơ khai thác, sử dụng lại dữ liệu số hóa không thể nhiều hơn số hồ sơ "
        "được số hóa.",
        "severity": Severity.FLAG,
        "left_indicator": "reuse_digitized",
        "left_field": ReadingField.NUMERATOR,
        "operator": "<=",
        "right_indicator": "digitized_components",
        "right_field": ReadingField.NUMERATOR,
    },
    {
        "code": "ket-qua-dien-tu-khong-vuot-da-giai-quyet",
        "message": "Số hồ sơ được cấp kết quả điện tử không thể nhiều hơn số hồ sơ đã giải quyết "
        "(tổng các lĩnh vực của tỷ lệ giải quyết đúng hạn).",
        "severity": Severity.BLOCK,
        "left_indicator": "electronic_results",
        "left_field": ReadingField.NUMERATOR,
        "operator": "<=",
        "right_indicator": "tthc_ontime",
        "right_field": ReadingField.DENOMINATOR,
    },
    {
        "code": "tien-do-100-khi-hoan-thanh",
        "message": "Nhiệm vụ ghi 100% phải ở trạng thái “Đã hoàn thành”; nếu chưa xong, hãy ghi "
        "tỷ lệ thực tế.",
        "severity": Severity.BLOCK,
        "kind": RuleKind.PERCENT_100_ONLY_WHEN_DONE,
    },
    {
        "code": "hoan-thanh-la-100",
        "message": "Nhiệm vụ đã hoàn thành nhưng tỷ lệ hoàn thành ghi dưới 100%.",
        "severity": Severity.FLAG,
        "kind": RuleKind.DONE_MEANS_100,
    },
)


def seed_rules(*, db_session: Session, plan: Plan, now: datetime) -> int:
    """Add the missing ``SEED_RULES`` (by code) to the plan, in the caller's transaction; the
    number added. Rules naming an indicator the plan lacks are left out."""
    have = set(
        db_session.exec(select(ValidationRule.code).where(ValidationRule.plan_id == plan.id))
    )
    indicators = set(db_session.exec(select(Indicator.code).where(Indicator.plan_id == plan.id)))
    added = 0
    assert plan.id is not None
    for spec in SEED_RULES:
        named = {spec.get("left_indicator"), spec.get("right_indicator")} - {None}
        if spec["code"] in have or not named <= indicators:
            continue
        values = {"kind": RuleKind.COMPARE, **spec}
        db_session.add(ValidationRule(plan_id=plan.id, created_at=now, updated_at=now, **values))
        added += 1
    return added
