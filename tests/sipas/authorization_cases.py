"""SIPAS write endpoints for ``tests/accounts/test_authorization_matrix.py``.

To be wired there with ``CASES.update(SIPAS_CASES)`` (and ``EXPECTED.update(SIPAS_AUDIT)`` in
``tests/audit/test_audit.py``) and one more rule in ``expected_allowed``:
``if rule == "centre": return role == "admin" or own_unit_of(role) == "ttpvhcc"`` — survey codes
are issued by the service centre's officers (and admins) whatever unit handled the dossier.
Builders take the matrix's ``Ctx`` (``session``, ``clock``, ``unit``) and set up what they need.
"""

from __future__ import annotations

import json
from typing import Any

from app.actors import SYSTEM
from app.sipas.questionnaire import DEFAULT_PATH, create_version, ensure_questionnaire
from app.sipas.service import ensure_sipas_indicator
from tests.sipas.conftest import add_answer

API = "/api/v1"


def _comment(ctx: Any, *, hidden: bool) -> str:
    from app.sipas.models import Response

    answer_id = add_answer(ctx.session, ctx.clock, ratings={"tc1": 4}, comment="Góp ý thử")
    if hidden:
        row = ctx.session.get(Response, answer_id)
        row.comment_hidden = True
        ctx.session.add(row)
        ctx.session.commit()
    return answer_id


def _draft(ctx: Any) -> str:
    ensure_questionnaire(db_session=ctx.session, clock=ctx.clock)
    content = json.loads(DEFAULT_PATH.read_text(encoding="utf-8")) | {"version": "2099.1"}
    create_version(db_session=ctx.session, actor=SYSTEM, clock=ctx.clock, raw=content)
    return f"{API}/sipas/questionnaires/2099.1/publish"


def _thirty_answers(ctx: Any) -> None:
    ensure_sipas_indicator(db_session=ctx.session, clock=ctx.clock)  # its own audit row, before
    for i in range(30):
        add_answer(ctx.session, ctx.clock, ratings={"tc1": 4 + i % 2, "cc1": 3 + i % 3})


def _new_version(ctx: Any) -> tuple[str, dict[str, Any]]:
    ensure_questionnaire(db_session=ctx.session, clock=ctx.clock)  # loaded (and audited) before
    content = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return f"{API}/sipas/questionnaires", content | {"version": "2099.2"}


def _ward_version(ctx: Any) -> tuple[str, dict[str, Any]]:
    ensure_questionnaire(db_session=ctx.session, clock=ctx.clock)  # loaded (and audited) before
    return f"{API}/sipas/ward-version", {"questionnaire": "2025.1"}


SIPAS_CASES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/api/v1/sipas/codes"): (
        "centre",
        lambda c: (
            f"{API}/sipas/codes",
            {"dossiers": [{"dossier_code": "H29-MATRIX-1", "unit": c.unit, "domain": "ho-tich"}]},
        ),
    ),
    ("POST", "/api/v1/sipas/questionnaires"): ("plan", _new_version),
    ("POST", "/api/v1/sipas/questionnaires/{version}/publish"): (
        "plan",
        lambda c: (_draft(c), None),
    ),
    ("POST", "/api/v1/sipas/comments/{comment_id}/hide"): (
        "plan",
        lambda c: (f"{API}/sipas/comments/{_comment(c, hidden=False)}/hide", {"reason": "Thử"}),
    ),
    ("POST", "/api/v1/sipas/comments/{comment_id}/show"): (
        "plan",
        lambda c: (f"{API}/sipas/comments/{_comment(c, hidden=True)}/show", {}),
    ),
    ("POST", "/api/v1/sipas/readings"): (
        "plan",
        lambda c: (_thirty_answers(c) or f"{API}/sipas/readings", {"period": "2025-11"}),
    ),
    ("PUT", "/api/v1/sipas/ward-version"): ("admin", _ward_version),
}

#: The one audit row each of them writes (for ``tests/audit/test_audit.py``'s ``EXPECTED``).
SIPAS_AUDIT: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/sipas/codes"): ("sipas_code", "create"),
    ("POST", "/api/v1/sipas/questionnaires"): ("sipas_questionnaire", "create"),
    ("POST", "/api/v1/sipas/questionnaires/{version}/publish"): ("sipas_questionnaire", "update"),
    ("POST", "/api/v1/sipas/comments/{comment_id}/hide"): ("sipas_comment", "update"),
    ("POST", "/api/v1/sipas/comments/{comment_id}/show"): ("sipas_comment", "update"),
    ("POST", "/api/v1/sipas/readings"): ("reading", "create"),
    ("PUT", "/api/v1/sipas/ward-version"): ("sipas_ward_version", "update"),
}
