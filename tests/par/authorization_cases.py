"""The PAR self-assessment's write endpoints for ``tests/accounts/test_authorization_matrix.py``
(``CASES.update(PAR_CASES)``): who may open a year, assign, review, appraise and edit the table
("plan": coordinators and admins), and who may propose and attach evidence for a criterion
("unit": its responsible unit's officers, and admins). Builders open 2025 first and make the
target unit responsible for criterion 3.5; the review's criterion answers to ``vp``, which is
no role's own unit, so segregation of duties does not stand in the way of the rule tested."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from app.actors import SYSTEM
from app.par import evidence, service
from app.par.models import AssessmentCreate, ItemSettings, ItemStatus, ParItem, ProposalWrite
from app.progress.evidence.models import EvidenceLinkCreate
from app.wards.models import Ward

API = "/api/v1/par-assessments"
YEAR = 2025
ITEM = "3.5"


def _opened(ctx: Any, *, unit: str | None = None) -> Any:
    ward = ctx.session.exec(select(Ward)).one()
    actor = SYSTEM.inside(ward.id, ward.code)
    service.create_assessment(
        db_session=ctx.session, actor=actor, clock=ctx.clock, data=AssessmentCreate(year=YEAR)
    )
    service.update_settings(
        db_session=ctx.session, actor=actor, clock=ctx.clock, year=YEAR, criterion=ITEM,
        data=ItemSettings(responsible_unit=unit or ctx.unit),
    )  # fmt: skip
    return actor


def _submitted(ctx: Any) -> tuple[str, dict[str, Any]]:
    actor = _opened(ctx, unit="vp")
    service.save_proposal(
        db_session=ctx.session, actor=actor, clock=ctx.clock, year=YEAR, criterion=ITEM,
        data=ProposalWrite(points=1, reason="Văn bản lưu tại bộ phận một cửa."),
    )  # fmt: skip
    return f"{API}/{YEAR}/items/{ITEM}/review", {"decision": "accept"}


def _all_accepted(ctx: Any) -> tuple[str, None]:
    _opened(ctx)
    for item in ctx.session.exec(select(ParItem)).all():
        item.status, item.self_points = ItemStatus.ACCEPTED, 0.0
        ctx.session.add(item)
    ctx.session.commit()
    return f"{API}/{YEAR}/submit", None


def _evidence_key(ctx: Any) -> tuple[str, None]:
    actor = _opened(ctx)
    ref = evidence.attach_link(
        db_session=ctx.session, actor=actor, clock=ctx.clock, year=YEAR, criterion=ITEM,
        data=EvidenceLinkCreate.model_validate({"url": "https://phudinh.gov.vn/vb/1"}),
    )  # fmt: skip
    return f"{API}/evidence/{ref.key}", None


def _after(path: str, body: Any) -> Any:
    def build(ctx: Any) -> tuple[str, Any]:
        _opened(ctx)
        return path, body

    return build


PAR_CASES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/api/v1/par-assessments"): ("plan", lambda c: (API, {"year": YEAR})),
    ("PATCH", "/api/v1/par-assessments/{year}/items/{criterion}"): (
        "plan",
        _after(f"{API}/{YEAR}/items/{ITEM}", {"tasks": ["II.2.3.1"]}),
    ),
    ("PUT", "/api/v1/par-assessments/{year}/items/{criterion}/proposal"): (
        "unit",
        _after(f"{API}/{YEAR}/items/{ITEM}/proposal", {"points": "1,5", "reason": "Đang rà soát."}),
    ),
    ("POST", "/api/v1/par-assessments/{year}/items/{criterion}/review"): ("plan", _submitted),
    ("POST", "/api/v1/par-assessments/{year}/items/{criterion}/evidence"): (
        "unit",
        _after(f"{API}/{YEAR}/items/{ITEM}/evidence", {"url": "https://phudinh.gov.vn/vb/2"}),
    ),
    ("DELETE", "/api/v1/par-assessments/evidence/{key}"): ("unit", _evidence_key),
    ("POST", "/api/v1/par-assessments/{year}/submit"): ("plan", _all_accepted),
    ("PUT", "/api/v1/par-assessments/{year}/appraisal"): (
        "plan",
        _after(f"{API}/{YEAR}/appraisal", [{"criterion": ITEM, "points": "2,5"}]),
    ),
    ("POST", "/api/v1/par-assessments/{year}/appraisal/import"): (
        "plan",
        _after(f"{API}/{YEAR}/appraisal/import", [{"criterion": ITEM, "points": 2}]),
    ),
    ("PUT", "/api/v1/par-assessments/{year}/published"): (
        "plan",
        _after(f"{API}/{YEAR}/published", {"index": "85,5", "rank": 12, "of": 168}),
    ),
    ("PATCH", "/api/v1/par-frameworks/{code}/criteria/{criterion}"): (
        "plan",
        lambda c: (
            "/api/v1/par-frameworks/chi-so-cchc-phuong-2025/criteria/3.5",
            {"method": "Mỗi hồ sơ trễ hạn có văn bản xin lỗi."},
        ),
    ),
    ("POST", "/api/v1/par-frameworks/{code}/criteria/import"): (
        "plan",
        lambda c: (
            "/api/v1/par-frameworks/hcm-2026/criteria/import?year=2026",
            [{"criterion": "1", "title": "Chỉ đạo, điều hành", "max_points": 2}],
        ),
    ),
}

#: What each write leaves in the audit trail (``tests/audit/test_audit.py``): a file's import is
#: audited by its batch.
PAR_AUDIT: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/api/v1/par-assessments"): ("par_assessment", "create"),
    ("PATCH", "/api/v1/par-assessments/{year}/items/{criterion}"): ("par_item", "update"),
    ("PUT", "/api/v1/par-assessments/{year}/items/{criterion}/proposal"): ("par_item", "update"),
    ("POST", "/api/v1/par-assessments/{year}/items/{criterion}/review"): ("par_item", "update"),
    ("POST", "/api/v1/par-assessments/{year}/items/{criterion}/evidence"): (
        "par_evidence",
        "create",
    ),
    ("DELETE", "/api/v1/par-assessments/evidence/{key}"): ("par_evidence", "delete"),
    ("POST", "/api/v1/par-assessments/{year}/submit"): ("par_assessment", "update"),
    ("PUT", "/api/v1/par-assessments/{year}/appraisal"): ("par_appraisal", "update"),
    ("POST", "/api/v1/par-assessments/{year}/appraisal/import"): ("import_batch", "import"),
    ("PUT", "/api/v1/par-assessments/{year}/published"): ("par_assessment", "update"),
    ("PATCH", "/api/v1/par-frameworks/{code}/criteria/{criterion}"): ("par_criterion", "update"),
    ("POST", "/api/v1/par-frameworks/{code}/criteria/import"): ("import_batch", "import"),
}
