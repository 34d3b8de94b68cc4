"""Validation-rule write endpoints for ``tests/accounts/test_authorization_matrix.py``: the
plan's writers (admins and coordinators) only, whatever the unit."""

from __future__ import annotations

from typing import Any

from app.actors import SYSTEM
from app.reporting import rule_service
from app.reporting.rules import RuleCreate

API = "/api/v1"

_RULE = {
    "message": "Tỷ lệ hồ sơ trực tuyến không thể vượt 100%.",
    "severity": "flag",
    "left_indicator": "online_dossier",
    "operator": "<=",
    "right_constant": 100,
}


def _existing(ctx: Any) -> str:
    rule_service.create_rule(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        data=RuleCreate(code="ma-tran", **_RULE),  # type: ignore[arg-type]
    )
    return f"{API}/validation-rules/ma-tran"


RULE_CASES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/api/v1/validation-rules"): (
        "plan",
        lambda c: (f"{API}/validation-rules", {"code": "ma-tran-moi", **_RULE}),
    ),
    ("PUT", "/api/v1/validation-rules/{code}"): (
        "plan",
        lambda c: (_existing(c), {**_RULE, "severity": "block", "version": 1}),
    ),
    ("POST", "/api/v1/validation-rules/{code}/active"): (
        "plan",
        lambda c: (f"{_existing(c)}/active", {"active": False, "version": 1}),
    ),
}

#: The audit record each of them must leave (``tests/audit/test_audit.py``).
RULE_AUDIT: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/validation-rules"): ("validation_rule", "create"),
    ("PUT", "/api/v1/validation-rules/{code}"): ("validation_rule", "update"),
    ("POST", "/api/v1/validation-rules/{code}/active"): ("validation_rule", "update"),
}
