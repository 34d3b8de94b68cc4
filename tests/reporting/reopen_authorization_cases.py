"""Reopen-request write endpoints for ``tests/accounts/test_authorization_matrix.py``
(``CASES.update(REOPEN_CASES)``) and ``tests/audit/test_audit.py``
(``EXPECTED.update(REOPEN_AUDIT)``).

Both are the unit's own writes (rule ``unit``): asking, and withdrawing its request. Granting
and refusing are the coordinators' (with the own-unit refusal), covered in
``tests/reporting/test_reopen_*.py``. Builders approve the target unit's October report first.
"""

from __future__ import annotations

from typing import Any

from app.actors import SYSTEM
from app.reporting import reopen, transitions

API = "/api/v1"
PERIOD = "2025-10"


def _approved(ctx: Any) -> None:
    for action in ("submit", "approve"):
        transitions.act(
            action=action,
            db_session=ctx.session,
            actor=SYSTEM,
            clock=ctx.clock,
            unit=ctx.unit,
            period=PERIOD,
        )


def _ask(ctx: Any) -> tuple[str, dict[str, Any]]:
    _approved(ctx)
    return (
        f"{API}/units/{ctx.unit}/periods/{PERIOD}/reopen-requests",
        {"reason": "Nhập nhầm số liệu tháng 10, cần sửa."},
    )


def _withdraw(ctx: Any) -> tuple[str, dict[str, Any]]:
    _approved(ctx)
    made = reopen.request_reopen(
        db_session=ctx.session,
        actor=SYSTEM,
        clock=ctx.clock,
        unit=ctx.unit,
        period=PERIOD,
        reason="Nhập nhầm số liệu tháng 10, cần sửa.",
    )
    return (f"{API}/reopen-requests/{ctx.unit}/{PERIOD}/{made.number}/withdraw", {"version": 1})


REOPEN_CASES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/api/v1/units/{unit}/periods/{period}/reopen-requests"): ("unit", _ask),
    ("POST", "/api/v1/reopen-requests/{unit}/{period}/{number}/{decision}"): ("unit", _withdraw),
}

REOPEN_AUDIT: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/units/{unit}/periods/{period}/reopen-requests"): (
        "reopen_request",
        "create",
    ),
    ("POST", "/api/v1/reopen-requests/{unit}/{period}/{number}/{decision}"): (
        "reopen_request",
        "update",
    ),
}
