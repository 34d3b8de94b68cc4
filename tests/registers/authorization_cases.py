"""The registers' write endpoints for ``tests/accounts/test_authorization_matrix.py``
(``CASES.update(REGISTER_CASES)``): every write is the responsible unit's (rule "unit": its own
officers and coordinators, and admins), whether one row, a change, or a file of rows."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from app.actors import SYSTEM
from app.registers import service
from app.registers.specs import INPUTS, REGISTERS, RegisterSpec
from app.wards.models import Ward

API = "/api/v1"


def _example(spec: RegisterSpec, unit: str) -> dict[str, Any]:
    values = {f.name: f.example for f in spec.fields if f.example is not None}
    return {**values, "unit": unit}


def _existing(spec: RegisterSpec) -> Any:
    def build(ctx: Any) -> tuple[str, dict[str, Any]]:
        ward = ctx.session.exec(select(Ward)).one()
        create, _ = INPUTS[spec.slug]
        row = service.create_row(
            spec, db_session=ctx.session, actor=SYSTEM.inside(ward.id, ward.code),
            clock=ctx.clock, data=create.model_validate(_example(spec, ctx.unit)),
        )  # fmt: skip
        text = next(f.name for f in spec.fields if f.kind.value in ("text", "long"))
        return f"{API}{spec.api}/{row.code}", {text: "Đã cập nhật"}  # type: ignore[attr-defined]

    return build


REGISTER_CASES: dict[tuple[str, str], tuple[str, Any]] = {}
for _spec in REGISTERS:
    REGISTER_CASES[("POST", f"{API}{_spec.api}")] = (
        "unit",
        lambda c, s=_spec: (f"{API}{s.api}", _example(s, c.unit)),
    )
    REGISTER_CASES[("PATCH", f"{API}{_spec.api}/{{code}}")] = ("unit", _existing(_spec))
    REGISTER_CASES[("POST", f"{API}{_spec.api}/bulk")] = (
        "unit",
        lambda c, s=_spec: (f"{API}{s.api}/bulk", [_example(s, c.unit)]),
    )

#: What each write leaves in the audit trail (``tests/audit/test_audit.py``): rows of a file are
#: audited one by one, then the batch.
REGISTER_AUDIT: dict[tuple[str, str], tuple[str, str]] = {}
for _spec in REGISTERS:
    REGISTER_AUDIT[("POST", f"{API}{_spec.api}")] = (_spec.entity, "create")
    REGISTER_AUDIT[("PATCH", f"{API}{_spec.api}/{{code}}")] = (_spec.entity, "update")
    REGISTER_AUDIT[("POST", f"{API}{_spec.api}/bulk")] = (_spec.entity, "create")
