"""Validation rules evaluated as pure functions: comparisons, domain totals, skipped operands and
the progress rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.reporting import rules
from app.reporting.rules import Figures, RuleKind, Severity, TaskState, ValidationRule

NOW = datetime(2025, 11, 20, tzinfo=UTC)
NAMES = {
    "online_dossier": "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến",
    "digitized_components": "Tỷ lệ số hóa thành phần hồ sơ TTHC",
    "tthc_ontime": "Tỷ lệ hồ sơ TTHC giải quyết đúng hạn",
    "ho-tich": "Hộ tịch",
}


def rule(**fields: object) -> ValidationRule:
    base: dict[str, object] = {
        "plan_id": 1,
        "code": "r",
        "message": "Số hồ sơ số hóa không thể nhiều hơn số hồ sơ tiếp nhận.",
        "severity": Severity.BLOCK,
        "kind": RuleKind.COMPARE,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return ValidationRule(**{**base, **fields})


NUMERATOR_LE = rule(
    left_indicator="digitized_components",
    left_field="numerator",
    operator="<=",
    right_indicator="online_dossier",
    right_field="denominator",
)


@pytest.mark.parametrize(
    ("left", "op", "right", "holds"),
    [
        (1, "<", 2, True),
        (2, "<", 2, False),
        (2, "<=", 2, True),
        (0.1 + 0.2, "=", 0.3, True),  # rounding noise is equality
        (3, "=", 2, False),
        (3, ">=", 3, True),
        (3, ">", 3, False),
        (3, "!=", 3, False),
        (3, "!=", 4, True),
    ],
)
def test_operators(left: float, op: str, right: float, holds: bool) -> None:
    assert rules.compare(left, op, right) is holds


def test_a_broken_comparison_names_both_figures() -> None:
    readings = {
        ("digitized_components", None): Figures(100.0, 130, 130),
        ("online_dossier", None): Figures(50.0, 60, 120),
    }
    [failure] = rules.evaluate([NUMERATOR_LE], readings=readings, names=NAMES)
    assert failure.severity is Severity.BLOCK and failure.indicator == "digitized_components"
    assert failure.detail == (
        "tử số của “Tỷ lệ số hóa thành phần hồ sơ TTHC” là 130, "
        "mẫu số của “Tỷ lệ hồ sơ TTHC được xử lý trực tuyến” là 120"
    )
    readings[("digitized_components", None)] = Figures(100.0, 120, 120)
    assert rules.evaluate([NUMERATOR_LE], readings=readings) == []


def test_a_missing_operand_skips_the_rule() -> None:
    only_left = {("digitized_components", None): Figures(100.0, 130, 130)}
    assert rules.evaluate([NUMERATOR_LE], readings=only_left) == []
    no_parts = {
        ("digitized_components", None): Figures(100.0, None, None),
        ("online_dossier", None): Figures(50.0, 60, 120),
    }
    assert rules.evaluate([NUMERATOR_LE], readings=no_parts) == []


def test_an_inactive_rule_is_not_evaluated() -> None:
    readings = {
        ("digitized_components", None): Figures(100.0, 130, 130),
        ("online_dossier", None): Figures(50.0, 60, 120),
    }
    off = rule(**{**NUMERATOR_LE.model_dump(), "active": False})
    assert rules.evaluate([off], readings=readings) == []


def test_a_domain_split_indicator_without_a_domain_is_its_total() -> None:
    by_domain = {
        ("tthc_ontime", "ho-tich"): Figures(90.0, 9, 10),
        ("tthc_ontime", "dat-dai"): Figures(50.0, 5, 10),
    }
    assert (
        rules.operand(
            by_domain, indicator="tthc_ontime", field="denominator", domain=None, constant=None
        )
        == 20
    )
    assert (
        rules.operand(by_domain, indicator="tthc_ontime", field="value", domain=None, constant=None)
        is None
    )
    assert (
        rules.operand(
            by_domain, indicator="tthc_ontime", field="numerator", domain="ho-tich", constant=None
        )
        == 9
    )
    assert rules.operand(by_domain, indicator=None, field="value", domain=None, constant=100) == 100


def test_a_constant_operand_and_the_rule_in_words() -> None:
    at_most = rule(
        left_indicator="tthc_ontime",
        left_field="value",
        left_domain="ho-tich",
        operator="<=",
        right_constant=100,
    )
    assert (
        rules.describe(at_most, NAMES)
        == "giá trị của “Tỷ lệ hồ sơ TTHC giải quyết đúng hạn – Hộ tịch” ≤ 100"
    )
    readings = {("tthc_ontime", "ho-tich"): Figures(101.0, None, None)}
    [failure] = rules.evaluate([at_most], readings=readings, names=NAMES)
    assert failure.domain == "ho-tich" and failure.detail.endswith("là 101, 100 là 100")


def test_progress_rules() -> None:
    only_when_done = rule(kind=RuleKind.PERCENT_100_ONLY_WHEN_DONE, severity=Severity.BLOCK)
    done_is_100 = rule(code="d", kind=RuleKind.DONE_MEANS_100, severity=Severity.FLAG)
    tasks = [
        TaskState("II.1.1.1", "in_progress", 100),
        TaskState("II.1.1.2", "done", 100),
        TaskState("II.1.2.1", "done", 80),
        TaskState("II.1.2.2", "done", None),  # no percent typed: nothing to contradict
    ]
    found = rules.evaluate([only_when_done, done_is_100], readings={}, tasks=tasks)
    assert [(f.rule, f.task, f.severity) for f in found] == [
        ("r", "II.1.1.1", Severity.BLOCK),
        ("d", "II.1.2.1", Severity.FLAG),
    ]
    assert "ghi 100% nhưng chưa ở trạng thái “Đã hoàn thành”" in found[0].detail


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kind": "compare", "left_indicator": "a", "right_constant": 1}, "operator"),
        ({"operator": "<", "left_indicator": "a"}, "right_indicator"),
        ({"operator": "<", "left_constant": 1, "right_constant": 2}, "left_indicator"),
        (
            {"operator": "<", "left_indicator": "a", "left_constant": 1, "right_constant": 2},
            "left_constant",
        ),
    ],
)
def test_the_shape_of_a_comparison(data: dict[str, object], field: str) -> None:
    problem = rules.shape_error(data)
    assert problem is not None and problem[0] == field
    assert rules.shape_error({"kind": "done_means_100"}) is None
