"""Validation rules as data: comparisons between a report's figures that an admin edits.

A rule is one explicit comparison, never an expression to evaluate: a left operand, an operator
(<, ≤, =, ≥, >, ≠) and a right operand, each operand either a field (value, numerator,
denominator) of an indicator's reading, optionally of one TTHC domain, or a constant. Two more
kinds check the progress of the plan's tasks: "100 % only when done" and its converse, "done
means 100 %". Each rule carries its Vietnamese message and a severity: ``block`` refuses the
report's submission, ``flag`` shows it to the reviewer.

A rule whose operand has no figure in the report (the reading is not entered, or has no
numerator) is skipped for that report: a missing figure is the completeness check's business, not
a contradiction. An indicator split by domain named without a domain stands for its domains'
total: the sum of their numerators or denominators (its ``value``, a rate, has no total and is
skipped).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field as PydanticField
from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime
from app.formatting import format_number
from app.schemas import Code, FiniteFloat, NewCode, NonEmptyStr, ReadModel, StrictInput


class Severity(StrEnum):
    BLOCK = "block"  # refuses the submission
    FLAG = "flag"  # shown to the reviewer


class RuleKind(StrEnum):
    COMPARE = "compare"
    PERCENT_100_ONLY_WHEN_DONE = "percent_100_only_when_done"
    DONE_MEANS_100 = "done_means_100"


class Operator(StrEnum):
    LT = "<"
    LE = "<="
    EQ = "="
    GE = ">="
    GT = ">"
    NE = "!="


class ReadingField(StrEnum):
    VALUE = "value"
    NUMERATOR = "numerator"
    DENOMINATOR = "denominator"


SEVERITY_LABELS = {Severity.BLOCK: "Chặn gửi báo cáo", Severity.FLAG: "Cảnh báo người duyệt"}
KIND_LABELS = {
    RuleKind.COMPARE: "So sánh hai số liệu",
    RuleKind.PERCENT_100_ONLY_WHEN_DONE: "Nhiệm vụ: 100% chỉ khi đã hoàn thành",
    RuleKind.DONE_MEANS_100: "Nhiệm vụ: đã hoàn thành thì 100%",
}
OPERATOR_SIGNS = {
    Operator.LT: "<",
    Operator.LE: "≤",
    Operator.EQ: "=",
    Operator.GE: "≥",
    Operator.GT: ">",
    Operator.NE: "≠",
}
FIELD_LABELS = {
    ReadingField.VALUE: "giá trị",
    ReadingField.NUMERATOR: "tử số",
    ReadingField.DENOMINATOR: "mẫu số",
}
_SIDES = ("left", "right")


class ValidationRule(SQLModel, table=True):
    """One rule of a plan; ``code`` is its public key."""

    __tablename__ = "validation_rule"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    code: str = Field(max_length=64)
    message: str = Field(sa_type=Text)
    severity: str = Field(max_length=16)
    kind: str = Field(max_length=32)
    left_indicator: str | None = Field(default=None, max_length=64)
    left_field: str | None = Field(default=None, max_length=16)
    left_domain: str | None = Field(default=None, max_length=64)
    left_constant: float | None = None
    operator: str | None = Field(default=None, max_length=2)
    right_indicator: str | None = Field(default=None, max_length=64)
    right_field: str | None = Field(default=None, max_length=16)
    right_domain: str | None = Field(default=None, max_length=64)
    right_constant: float | None = None
    active: bool = True
    version: int = 1
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


# --- API schemas ---------------------------------------------------------------------------------


class _RuleFields(StrictInput):
    left_indicator: Code | None = PydanticField(default=None, examples=["reuse_digitized"])
    left_field: ReadingField | None = PydanticField(default=None, examples=["numerator"])
    left_domain: Code | None = None
    left_constant: FiniteFloat | None = None
    operator: Operator | None = PydanticField(default=None, examples=["<="])
    right_indicator: Code | None = PydanticField(default=None, examples=["digitized_components"])
    right_field: ReadingField | None = PydanticField(default=None, examples=["numerator"])
    right_domain: Code | None = None
    right_constant: FiniteFloat | None = None


def shape_error(data: Mapping[str, object]) -> tuple[str, str] | None:
    """A comparison needs both operands (each an indicator or a constant, not both) and an
    operator; a progress rule has none. The first problem as (field, Vietnamese message)."""
    kind = data.get("kind") or RuleKind.COMPARE
    if kind != RuleKind.COMPARE:
        return None
    if not data.get("operator"):
        return "operator", "Hãy chọn phép so sánh."
    for side in _SIDES:
        indicator = data.get(f"{side}_indicator")
        constant = data.get(f"{side}_constant")
        if indicator and constant is not None:
            return f"{side}_constant", "Chọn chỉ tiêu hoặc nhập hằng số, không chọn cả hai."
        if not indicator and constant is None:
            return f"{side}_indicator", "Hãy chọn chỉ tiêu hoặc nhập một hằng số."
    if not data.get("left_indicator") and not data.get("right_indicator"):
        return "left_indicator", "Ít nhất một vế phải là số liệu của một chỉ tiêu."
    return None


class RuleCreate(_RuleFields):
    code: NewCode = PydanticField(examples=["reuse-within-digitized"])
    message: NonEmptyStr = PydanticField(
        max_length=1000,
        examples=[
            "Số hồ sơ khai thác lại dữ liệu số hóa không thể nhiều hơn số hồ sơ được số hóa."
        ],
    )
    severity: Severity = PydanticField(default=Severity.FLAG, examples=["flag"])
    kind: RuleKind = PydanticField(default=RuleKind.COMPARE, examples=["compare"])
    active: bool = True
    plan: Code | None = None


class RuleUpdate(_RuleFields):
    """The whole rule as it should be (operands left out are cleared), with the version seen."""

    message: NonEmptyStr = PydanticField(max_length=1000)
    severity: Severity = Severity.FLAG
    kind: RuleKind = RuleKind.COMPARE
    active: bool = True
    version: int | None = PydanticField(
        default=None, ge=1, description="The version you saw; a stale one answers 409."
    )


class RuleRead(ReadModel):
    code: str = PydanticField(examples=["reuse-within-digitized"])
    plan: str
    message: str
    severity: Severity
    kind: RuleKind
    left_indicator: str | None
    left_field: ReadingField | None
    left_domain: str | None
    left_constant: float | None
    operator: Operator | None
    right_indicator: str | None
    right_field: ReadingField | None
    right_domain: str | None
    right_constant: float | None
    active: bool
    text: str = PydanticField(
        description="The rule in words: “tử số của reuse_digitized ≤ tử số của "
        "digitized_components”."
    )
    version: int
    created_at: datetime
    updated_at: datetime


def to_read(
    rule: ValidationRule, *, plan_code: str, names: Mapping[str, str] | None = None
) -> RuleRead:
    """The rule for the API and the pages; ``names`` (code → name) words its ``text``."""
    return RuleRead(
        code=rule.code,
        plan=plan_code,
        message=rule.message,
        severity=Severity(rule.severity),
        kind=RuleKind(rule.kind),
        left_indicator=rule.left_indicator,
        left_field=ReadingField(rule.left_field) if rule.left_field else None,
        left_domain=rule.left_domain,
        left_constant=rule.left_constant,
        operator=Operator(rule.operator) if rule.operator else None,
        right_indicator=rule.right_indicator,
        right_field=ReadingField(rule.right_field) if rule.right_field else None,
        right_domain=rule.right_domain,
        right_constant=rule.right_constant,
        active=rule.active,
        text=describe(rule, names),
        version=rule.version,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


# --- evaluation (pure) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One reading's numbers."""

    value: float | None
    numerator: float | None
    denominator: float | None

    def get(self, name: str) -> float | None:
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True)
class TaskState:
    """One task's progress as the progress rules read it."""

    task: str
    status: str
    percent_complete: int | None


@dataclass(frozen=True)
class Failure:
    """A rule the report breaks, with the figures that break it."""

    rule: str
    severity: Severity
    message: str
    detail: str
    indicator: str | None = None
    domain: str | None = None
    task: str | None = None


#: (indicator code, domain code or None) → the reading's figures.
ReadingMap = Mapping[tuple[str, str | None], Figures]


def _side(rule: ValidationRule, side: str) -> tuple[str | None, str, str | None, float | None]:
    return (
        getattr(rule, f"{side}_indicator"),
        getattr(rule, f"{side}_field") or ReadingField.VALUE,
        getattr(rule, f"{side}_domain"),
        getattr(rule, f"{side}_constant"),
    )


def operand(
    readings: ReadingMap,
    *,
    indicator: str | None,
    field: str,
    domain: str | None,
    constant: float | None,
) -> float | None:
    """The operand's number in this report, or ``None`` when the report lacks it (rule skipped)."""
    if indicator is None:
        return constant
    found = readings.get((indicator, domain))
    if found is not None:
        return found.get(field)
    if domain is not None or field == ReadingField.VALUE:
        return None
    parts = [f.get(field) for (code, dom), f in readings.items() if code == indicator and dom]
    if not parts or any(p is None for p in parts):
        return None
    return sum(p for p in parts if p is not None)


def compare(left: float, operator: str, right: float) -> bool:
    """The comparison, with equality up to rounding noise (1e-9 relative)."""
    close = math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    match operator:
        case Operator.LT:
            return left < right and not close
        case Operator.LE:
            return left < right or close
        case Operator.EQ:
            return close
        case Operator.GE:
            return left > right or close
        case Operator.GT:
            return left > right and not close
        case Operator.NE:
            return not close
    raise ValueError(f"unknown operator {operator!r}")


def _label(
    indicator: str | None,
    field: str,
    domain: str | None,
    constant: float | None,
    names: Mapping[str, str],
) -> str:
    if indicator is None:
        return format_number(constant)
    where = names.get(indicator, indicator) + (f" – {names.get(domain, domain)}" if domain else "")
    return f"{FIELD_LABELS[ReadingField(field)]} của “{where}”"


def describe(rule: ValidationRule, names: Mapping[str, str] | None = None) -> str:
    """The rule in words, for the admin list and the API."""
    if rule.kind != RuleKind.COMPARE:
        return KIND_LABELS[RuleKind(rule.kind)]
    names = names or {}
    sign = OPERATOR_SIGNS.get(Operator(rule.operator or "="), rule.operator or "")
    return f"{_label(*_side(rule, 'left'), names)} {sign} {_label(*_side(rule, 'right'), names)}"


def _compare_failure(
    rule: ValidationRule, readings: ReadingMap, names: Mapping[str, str]
) -> Failure | None:
    left_side, right_side = _side(rule, "left"), _side(rule, "right")
    left = operand(
        readings,
        indicator=left_side[0],
        field=left_side[1],
        domain=left_side[2],
        constant=left_side[3],
    )
    right = operand(
        readings,
        indicator=right_side[0],
        field=right_side[1],
        domain=right_side[2],
        constant=right_side[3],
    )
    if left is None or right is None or rule.operator is None:
        return None  # a figure the report does not have: skipped
    if compare(left, rule.operator, right):
        return None
    detail = (
        f"{_label(*left_side, names)} là {format_number(left)}, "
        f"{_label(*right_side, names)} là {format_number(right)}"
    )
    return Failure(
        rule=rule.code,
        severity=Severity(rule.severity),
        message=rule.message,
        detail=detail,
        indicator=left_side[0] or right_side[0],
        domain=left_side[2] or right_side[2],
    )


def _progress_failures(rule: ValidationRule, tasks: Iterable[TaskState]) -> list[Failure]:
    found = []
    for task in tasks:
        if rule.kind == RuleKind.PERCENT_100_ONLY_WHEN_DONE:
            broken = task.percent_complete == 100 and task.status != "done"
            detail = f"Nhiệm vụ {task.task} ghi 100% nhưng chưa ở trạng thái “Đã hoàn thành”"
        else:
            broken = (
                task.status == "done"
                and task.percent_complete is not None
                and task.percent_complete < 100
            )
            detail = f"Nhiệm vụ {task.task} ghi “Đã hoàn thành” nhưng mới {task.percent_complete}%"
        if broken:
            found.append(
                Failure(
                    rule=rule.code,
                    severity=Severity(rule.severity),
                    message=rule.message,
                    detail=detail,
                    task=task.task,
                )
            )
    return found


def evaluate(
    rules: Iterable[ValidationRule],
    *,
    readings: ReadingMap,
    tasks: Iterable[TaskState] = (),
    names: Mapping[str, str] | None = None,
) -> list[Failure]:
    """Every failure of the active rules on one report's figures; skipped rules say nothing."""
    names = names or {}
    task_list = list(tasks)
    found: list[Failure] = []
    for rule in rules:
        if not rule.active:
            continue
        if rule.kind == RuleKind.COMPARE:
            failure = _compare_failure(rule, readings, names)
            if failure is not None:
                found.append(failure)
        else:
            found.extend(_progress_failures(rule, task_list))
    return found
