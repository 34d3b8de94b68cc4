"""One-time survey codes: one per dossier, spent on use, stored only as a keyed hash.

A dossier's code is derived from its ward and its dossier code with a key only the server has
(HMAC), so asking twice for the same dossier gives the same code (a reprinted receipt, a retried
batch) and a dossier can never get a second one, while two wards' dossiers that happen to share a
number get different codes (each counting for its own ward). The table keeps the code's keyed
hash, the details the survey needs (unit, domain, procedure, channel, month) and whether it is
spent; never the dossier code. When the code is spent those details move to the answer and are
erased from the code row, and the answer keeps no reference to the code: nothing joins the two.
See docs/sipas.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.actors import Actor
from app.audit import service as audit
from app.audit.models import AuditAction
from app.clock import Clock
from app.errors import AppError, Conflict, FieldError, Forbidden, Invalid
from app.kpis import domains as kpi_domains
from app.kpis.models import Domain
from app.periods import Granularity, Period, PeriodError
from app.permissions import Permission, can
from app.sipas.models import DossierForCode, IssuedCode, IssuedCodes, SurveyCode
from app.units import service as unit_service
from app.units.models import Unit
from app.wards.models import Ward

#: 32 symbols without 0/O and 1/I, so a code read aloud or typed from paper survives.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # 50 bits: unguessable behind the per-address limit
SURVEY_PATH = "/khao-sat"


class CodeRefused(AppError):
    """A code that cannot be used; the message is shown to the citizen as it is. ``unit_id``:
    the dossier's unit when the code still names it (an expired one; a spent one was erased),
    so that the refusal is drawn in that ward's questionnaire."""

    def __init__(self, message: str, code: str, unit_id: int | None = None) -> None:
        super().__init__(message=message, code=code, status_code=422)
        self.unit_id = unit_id


def _subkey(signing_key: str, purpose: str) -> bytes:
    """Separate keys per use, so a code's hash can never be computed from a session cookie key."""
    return hmac.new(signing_key.encode(), f"partrack-sipas-{purpose}".encode(), "sha256").digest()


def keyed_hash(signing_key: str, purpose: str, value: str) -> str:
    return hmac.new(_subkey(signing_key, purpose), value.encode(), hashlib.sha256).hexdigest()


def code_for_dossier(signing_key: str, dossier_code: str, *, ward: str | None = None) -> str:
    """The dossier's code in its ward. ``ward=None``: the code as issued before wards named it
    (``code-v1``, the dossier number alone), still honoured for the ward that holds it."""
    number_text = dossier_code.strip().upper()
    if ward is None:
        key, message = _subkey(signing_key, "code-v1"), number_text
    else:
        key, message = _subkey(signing_key, "code-v2"), f"{ward}\x1f{number_text}"
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        number, rest = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[rest])
    return "".join(chars)


def normalise(text: str) -> str:
    """What a person typed (lower case, spaces, dashes) as the canonical code."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def is_well_formed(code: str) -> bool:
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def display(code: str) -> str:
    """``K7QM3XTP9A`` → ``K7QM-3XTP-9A``: easier to read out at a counter."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def code_hash(signing_key: str, code: str) -> str:
    return keyed_hash(signing_key, "code-hash-v1", code)


def survey_url(base_url: str, code: str | None = None) -> str:
    url = base_url.rstrip("/") + SURVEY_PATH
    return f"{url}?ma={code}" if code else url


def _qr(url: str) -> Any:
    """The QR code of ``url``. segno (with the XML and URL modules its writers load, 1 MiB) is
    imported by the pages that draw one, not by every worker at start."""
    import segno

    return segno.make(url, error="m")


def qr_svg(url: str) -> str:
    """An SVG image (presentation attributes only, so the strict CSP allows it inline)."""
    return str(_qr(url).svg_inline(scale=4, title="Mã QR khảo sát"))


def qr_svg_data_uri(url: str) -> str:
    return str(_qr(url).svg_data_uri(scale=6))


def qr_png(url: str, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def _month(text: str | None, *, today: date, field: str) -> str:
    if not text:
        return str(Period(today.year, Granularity.MONTH, today.month))
    try:
        period = Period.parse(text)
    except PeriodError as exc:
        raise Invalid.one(field, "month_invalid", exc.message) from exc
    if period.granularity is not Granularity.MONTH:
        raise Invalid.one(field, "month_invalid", "Tháng phải có dạng YYYY-MM, ví dụ 2025-11.")
    if period.start_date > today:
        raise Invalid.one(field, "month_future", f"Tháng {period} chưa tới.")
    return str(period)


def may_issue(actor: Actor, centre: str) -> bool:
    """Admins, and officers of the service centre (reporters or coordinators of that unit)."""
    return can(actor, Permission.DATA_WRITE, unit_code=centre)


@dataclass(frozen=True)
class CodeSettings:
    signing_key: str
    base_url: str
    valid_days: int
    centre: str


def _check_batch(
    *, db_session: Session, dossiers: list[DossierForCode], today: date
) -> tuple[dict[str, Unit], dict[str, Domain]]:
    """Every dossier's unit, domain and month checked before anything is written, so a batch
    fails whole with every problem listed by field."""
    units: dict[str, Unit] = {}
    domains: dict[str, Domain] = {}
    errors: list[FieldError] = []
    for i, item in enumerate(dossiers):
        try:
            units[item.unit] = units.get(item.unit) or unit_service.get_by_code(
                db_session=db_session, code=item.unit, field_name=f"dossiers.{i}.unit"
            )
            if item.domain:
                domains[item.domain] = domains.get(item.domain) or kpi_domains.get_domain(
                    db_session=db_session, code=item.domain
                )
            _month(item.month, today=today, field=f"dossiers.{i}.month")
        except Invalid as exc:
            errors.extend(exc.errors)
        except AppError as exc:
            errors.append(FieldError(f"dossiers.{i}", exc.code, exc.message))
    if errors:
        raise Invalid(errors, message=errors[0].message)
    return units, domains


def _stored_code(
    *,
    db_session: Session,
    settings: CodeSettings,
    item: DossierForCode,
    index: int,
    code: str,
    earlier: str,
    unit: Unit,
    domain: Domain | None,
    today: date,
) -> tuple[SurveyCode, bool, str]:
    """The dossier's code row, whether this call created it, and the code (a dossier asked
    again, in this batch or an earlier one, finds its row: same dossier, same code). ``earlier``
    is the code the dossier had before codes named their ward: kept if this ward issued it."""
    digest = code_hash(settings.signing_key, code)
    row = db_session.exec(select(SurveyCode).where(SurveyCode.code_hash == digest)).first()
    if row is not None:
        return row, False, code
    # A spent code has lost its unit with its other details: it still is the dossier's code
    # (a dossier is never given a second one), whichever ward it was.
    old = db_session.exec(
        select(SurveyCode)
        .outerjoin(Unit, col(Unit.id) == SurveyCode.unit_id)
        .where(
            SurveyCode.code_hash == code_hash(settings.signing_key, earlier),
            or_(col(SurveyCode.unit_id).is_(None), col(Unit.ward_id) == unit.ward_id),
        )
    ).first()
    if old is not None:
        return old, False, earlier
    row = SurveyCode(
        code_hash=digest,
        unit_id=unit.id,
        domain_id=domain.id if domain else None,
        procedure_code=item.procedure_code,
        procedure_name=item.procedure_name,
        channel=item.channel,
        month=_month(item.month, today=today, field=f"dossiers.{index}.month"),
        expires_on=today + timedelta(days=settings.valid_days),
    )
    db_session.add(row)
    try:
        db_session.flush()  # a repeat of this dossier later in the batch finds it
    except IntegrityError as exc:  # another batch is issuing the same dossier right now
        db_session.rollback()
        raise Conflict(
            "Mã khảo sát của một số hồ sơ đang được cấp cùng lúc; hãy gửi lại yêu cầu "
            "(gửi lại an toàn: cùng hồ sơ luôn nhận cùng mã).",
            code="codes_busy",
        ) from exc
    return row, True, code


def _ward_codes(db_session: Session, units: Iterable[Unit]) -> dict[int, str]:
    """The code of each ward the batch's units belong to (one, in practice)."""
    ids = {u.ward_id or 0 for u in units}
    rows = db_session.exec(select(Ward.id, Ward.code).where(col(Ward.id).in_(ids))).all()
    return {int(ward_id or 0): code for ward_id, code in rows}


def issue_codes(
    *,
    db_session: Session,
    actor: Actor,
    clock: Clock,
    settings: CodeSettings,
    dossiers: list[DossierForCode],
    qr: str = "none",
) -> IssuedCodes:
    """Codes for a batch of dossiers, in one transaction; a dossier asked again gets its code."""
    if not may_issue(actor, settings.centre):
        raise Forbidden(
            "Chỉ cán bộ Trung tâm Phục vụ hành chính công hoặc quản trị hệ thống được cấp mã "
            "khảo sát.",
            code="forbidden",
        )
    today = clock.today()
    units, domains = _check_batch(db_session=db_session, dossiers=dossiers, today=today)
    items: list[IssuedCode] = []
    created = 0
    wards = _ward_codes(db_session, units.values())
    for i, item in enumerate(dossiers):
        unit = units[item.unit]
        row, is_new, code = _stored_code(
            db_session=db_session,
            settings=settings,
            item=item,
            index=i,
            code=code_for_dossier(
                settings.signing_key, item.dossier_code, ward=wards[unit.ward_id or 0]
            ),
            earlier=code_for_dossier(settings.signing_key, item.dossier_code),
            unit=unit,
            domain=domains.get(item.domain) if item.domain else None,
            today=today,
        )
        created += is_new
        url = survey_url(settings.base_url, code)
        items.append(
            IssuedCode(
                dossier_code=item.dossier_code,
                code=display(code),
                url=url,
                expires_on=row.expires_on,
                created=is_new,
                spent=row.spent,
                qr_svg=qr_svg(url) if qr == "svg" else None,
                qr_png_base64=base64.b64encode(qr_png(url)).decode() if qr == "png" else None,
            )
        )
    audit.record(
        db_session=db_session,
        actor=actor,
        action=AuditAction.CREATE,
        entity="sipas_code",
        key=f"{today.isoformat()}/{len(dossiers)}",
        # Counts only: the audit trail must not become the list of dossiers that got codes.
        after={
            "requested": len(dossiers),
            "issued": created,
            "units": sorted(units),
            "expires_in_days": settings.valid_days,
        },
        clock=clock,
    )
    db_session.commit()
    return IssuedCodes(survey_url=survey_url(settings.base_url), items=items)


@dataclass(frozen=True)
class CodeDetails:
    """What a valid code tells the survey (shown to the citizen, copied to the answer)."""

    code: str
    unit_id: int | None
    domain_id: int | None
    procedure_code: str
    procedure_name: str
    channel: str | None
    month: str
    expires_on: date


def check_code(*, db_session: Session, signing_key: str, text: str, today: date) -> CodeDetails:
    """The code's details, or ``CodeRefused`` with a polite reason."""
    code = normalise(text)
    if not is_well_formed(code):
        raise CodeRefused(
            f"Mã khảo sát gồm {CODE_LENGTH} chữ và số (ví dụ K7QM-3XTP-9A). "
            "Bạn hãy kiểm tra lại mã in trên phiếu hẹn.",
            code="code_malformed",
        )
    row = db_session.exec(
        select(SurveyCode).where(SurveyCode.code_hash == code_hash(signing_key, code))
    ).first()
    if row is None:
        raise CodeRefused(
            "Không tìm thấy mã khảo sát này. Bạn hãy kiểm tra lại mã in trên phiếu hẹn.",
            code="code_unknown",
        )
    if row.spent:
        raise CodeRefused(
            "Mã khảo sát này đã được dùng để gửi phiếu. Mỗi hồ sơ chỉ khảo sát một lần; "
            "cảm ơn bạn đã góp ý.",
            code="code_spent",
        )
    if row.expires_on < today:
        raise CodeRefused(
            f"Mã khảo sát đã hết hạn từ ngày {row.expires_on:%d/%m/%Y}. Cảm ơn bạn đã quan tâm.",
            code="code_expired",
            unit_id=row.unit_id,
        )
    return CodeDetails(
        code=code,
        unit_id=row.unit_id,
        domain_id=row.domain_id,
        procedure_code=row.procedure_code,
        procedure_name=row.procedure_name,
        channel=row.channel,
        month=row.month,
        expires_on=row.expires_on,
    )


def spend_code(*, db_session: Session, signing_key: str, code: str, today: date) -> CodeDetails:
    """Mark the code used and erase its details, atomically: of two sends, only one wins."""
    details = check_code(db_session=db_session, signing_key=signing_key, text=code, today=today)
    claimed = db_session.execute(
        update(SurveyCode)
        .where(
            col(SurveyCode.code_hash) == code_hash(signing_key, details.code),
            col(SurveyCode.spent).is_(False),
        )
        .values(
            spent=True,
            unit_id=None,
            domain_id=None,
            procedure_code="",
            procedure_name="",
            channel=None,
            month="",
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise CodeRefused(
            "Mã khảo sát này vừa được dùng để gửi phiếu. Mỗi hồ sơ chỉ khảo sát một lần.",
            code="code_spent",
        )
    return details
