"""Collecting answers: the form token, reading a filled form, storing one anonymous answer, kiosks.

Nothing is stored until the citizen sends the form: the steps of the survey carry the answers in
the form itself, so a closed tab leaves no trace and a mistake loses nothing. The answer row gets a
random id and the month only; the address and the kiosk are used for rate limits and forgotten.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.clock import Clock
from app.errors import AppError, Invalid
from app.kpis.models import Domain
from app.periods import Granularity, Period
from app.sipas import codes, throttle
from app.sipas.kiosks import active_kiosk
from app.sipas.models import (
    AnswerSource,
    Channel,
    Kiosk,
    Rating,
    RatingKind,
    Response,
    SpentForm,
)
from app.sipas.questionnaire import QuestionnaireContent, get_version
from app.units.models import Unit

FORM_MAX_AGE = timedelta(hours=3)
COMMENT_MAX = 2000
PROCEDURE_MAX = 200


class FormRefused(AppError):
    """A form that cannot be taken as it is; the message is shown to the citizen verbatim."""

    def __init__(self, message: str, code: str, status_code: int = 400) -> None:
        super().__init__(message=message, code=code, status_code=status_code)


class AlreadySent(AppError):
    """The form was already sent (a double click, a back button): the answer is in, say thanks."""

    def __init__(self) -> None:
        super().__init__(message="Phiếu này đã được gửi. Xin cảm ơn!", code="already_sent")


# --- the form token ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormToken:
    nonce: str
    mode: str  # "web" or "kiosk"
    version: str  # questionnaire version the form was drawn from
    code: str = ""  # a one-time code, when the survey was opened with one
    kiosk: str = ""


def _serializer(signing_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key, salt="partrack-sipas-form")


def issue_token(
    signing_key: str, *, mode: str, version: str, code: str = "", kiosk: str = ""
) -> str:
    payload = {"n": secrets.token_urlsafe(16), "m": mode, "v": version, "c": code, "k": kiosk}
    return _serializer(signing_key).dumps(payload)


def renew(signing_key: str, token: FormToken) -> str:
    return issue_token(
        signing_key, mode=token.mode, version=token.version, code=token.code, kiosk=token.kiosk
    )


def read_token(signing_key: str, raw: str) -> tuple[FormToken, bool]:
    """The token and whether it is too old; a forged or mangled one is refused politely."""
    serializer = _serializer(signing_key)
    expired = False
    try:
        payload = serializer.loads(raw, max_age=int(FORM_MAX_AGE.total_seconds()))
    except SignatureExpired:
        valid, payload = serializer.loads_unsafe(raw)
        expired = bool(valid)
        if not valid:
            payload = None
    except BadSignature:
        payload = None
    if not isinstance(payload, dict) or payload.get("m") not in {"web", "kiosk"}:
        raise FormRefused(
            "Phiếu khảo sát không hợp lệ hoặc đã bị thay đổi. Bạn vui lòng mở lại trang khảo sát.",
            code="form_token_invalid",
        )
    token = FormToken(
        nonce=str(payload.get("n", "")),
        mode=str(payload["m"]),
        version=str(payload.get("v", "")),
        code=str(payload.get("c", "")),
        kiosk=str(payload.get("k", "")),
    )
    return token, expired


def _nonce_hash(token: FormToken) -> str:
    return hashlib.sha256(token.nonce.encode()).hexdigest()


def is_spent(*, db_session: Session, token: FormToken) -> bool:
    return db_session.get(SpentForm, _nonce_hash(token)) is not None


# --- reading the filled form ---------------------------------------------------------------------


@dataclass
class SurveyAnswers:
    """What one person answered so far; every part is optional."""

    ratings: dict[str, int] = field(default_factory=dict)
    expectations: dict[str, int] = field(default_factory=dict)
    domain: str = ""
    procedure: str = ""
    channel: str = ""
    comment: str = ""

    def is_empty(self) -> bool:
        return not (
            self.ratings
            or self.expectations
            or self.domain
            or self.procedure.strip()
            or self.channel
            or self.comment.strip()
        )

    def fields(self) -> dict[str, str]:
        """The answers as form fields, to carry them from one screen to the next."""
        out = {f"r-{k}": str(v) for k, v in self.ratings.items()}
        out |= {f"e-{k}": str(v) for k, v in self.expectations.items()}
        for name in ("domain", "procedure", "channel", "comment"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


def parse_answers(
    form: Mapping[str, str], *, content: QuestionnaireContent, domains: set[str]
) -> tuple[SurveyAnswers, dict[str, str]]:
    """The answers in a submitted form and, per field, what is wrong with them (Vietnamese)."""
    answers = SurveyAnswers()
    errors: dict[str, str] = {}
    criteria, expectations = content.criterion_codes(), content.expectation_codes()
    for name, raw in form.items():
        prefix, _, item = name.partition("-")
        if prefix not in {"r", "e"} or not item:
            continue
        known, top, target = (
            (criteria, 5, answers.ratings)
            if prefix == "r"
            else (expectations, 4, answers.expectations)
        )
        value = (raw or "").strip()
        if item not in known or value in {"", "0"}:
            continue  # unknown items are ignored; 0 is "bỏ qua"
        if not value.isdigit() or not 1 <= int(value) <= top:
            errors[name] = f"Hãy chọn một mức từ 1 đến {top}, hoặc bỏ qua câu này."
            continue
        target[item] = int(value)
    answers.domain = (form.get("domain") or "").strip()
    if answers.domain and answers.domain not in domains:
        errors["domain"] = "Lĩnh vực này không có trong danh sách; hãy chọn lại."
    answers.channel = (form.get("channel") or "").strip()
    if answers.channel and answers.channel not in {c.value for c in Channel}:
        errors["channel"] = "Hãy chọn một hình thức trong danh sách."
    answers.procedure = (form.get("procedure") or "").strip()
    if len(answers.procedure) > PROCEDURE_MAX:
        errors["procedure"] = (
            f"Tên thủ tục dài quá {PROCEDURE_MAX} ký tự (hiện có {len(answers.procedure)})."
        )
    answers.comment = (form.get("comment") or "").replace("\x00", "").strip()
    if len(answers.comment) > COMMENT_MAX:
        errors["comment"] = (
            f"Góp ý dài quá {COMMENT_MAX} ký tự (hiện có {len(answers.comment)}); "
            "bạn hãy rút gọn một chút."
        )
    return answers, errors


# --- storing an answer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyPolicy:
    signing_key: str
    centre: str
    open_survey: bool
    per_address: int
    per_kiosk: int


def address_bucket(signing_key: str, ip: str) -> str:
    return "ip:" + codes.keyed_hash(signing_key, "address-v1", ip or "-")[:40]


def _hour_after(moment: datetime) -> datetime:
    return throttle.window_of(moment) + timedelta(hours=1)


def _counted_as(
    *, db_session: Session, policy: SurveyPolicy, token: FormToken, ip: str
) -> tuple[Kiosk | None, str, int]:
    """The kiosk the form came from (refused once it stopped), and the throttle bucket the
    attempt counts against with its hourly limit: the kiosk's, else the address's."""
    if token.mode != "kiosk":
        return None, address_bucket(policy.signing_key, ip), policy.per_address
    kiosk = active_kiosk(db_session=db_session, code=token.kiosk)
    if kiosk is None:
        raise FormRefused(
            "Máy khảo sát này đã ngừng hoạt động. Bạn vui lòng báo cán bộ tại quầy.",
            code="kiosk_inactive",
            status_code=403,
        )
    return kiosk, f"kiosk:{kiosk.key}", policy.per_kiosk


def _store_answer(
    *,
    db_session: Session,
    questionnaire_id: int,
    month: str,
    unit_id: int,
    domain_id: int | None,
    source: AnswerSource,
    details: codes.CodeDetails | None,
    answers: SurveyAnswers,
) -> None:
    """The answer row and its ratings, in their own transaction; a code's details (copied as
    plain values) win over what the form or the kiosk says."""
    procedure_code, procedure_name = "", answers.procedure
    channel = answers.channel or None
    if details is not None:
        source = AnswerSource.CODE
        month = details.month or month
        unit_id = details.unit_id or unit_id
        domain_id = details.domain_id or domain_id
        procedure_code = details.procedure_code
        procedure_name = details.procedure_name or procedure_name
        channel = details.channel or channel
    response = Response(
        id=uuid.uuid4().hex,
        questionnaire_id=questionnaire_id,
        month=month,
        period_start=Period.parse(month).start_date,
        unit_id=unit_id,
        domain_id=domain_id,
        procedure_code=procedure_code,
        procedure_name=procedure_name,
        channel=channel,
        source=source,
        comment=answers.comment,
    )
    db_session.add(response)
    db_session.flush()
    for item, value in answers.ratings.items():
        db_session.add(
            Rating(response_id=response.id, item=item, kind=RatingKind.CRITERION, value=value)
        )
    for item, value in answers.expectations.items():
        db_session.add(
            Rating(response_id=response.id, item=item, kind=RatingKind.EXPECTATION, value=value)
        )
    db_session.commit()


def submit_answer(
    *,
    db_session: Session,
    clock: Clock,
    policy: SurveyPolicy,
    token: FormToken,
    answers: SurveyAnswers,
    ip: str,
) -> None:
    """Store one answer in three separate transactions, so nothing written ties them together.

    1. the form token is claimed and the code (if any) spent: whoever loses a double click stops
       here with ``AlreadySent``; 2. the attempt is counted for the address or kiosk; 3. the
       answer is stored with the code's details copied in as plain values. On PostgreSQL each
       commit has its own transaction id (``xmin``), so the code row, the throttle row and the
       answer row share none; no row has a timestamp finer than an hour. See docs/sipas.md.
    """
    if is_spent(db_session=db_session, token=token):
        raise AlreadySent()
    if answers.is_empty():
        raise Invalid.one(
            "form",
            "empty",
            "Phiếu chưa có câu trả lời nào. Bạn hãy chọn ít nhất một mức đánh giá hoặc viết "
            "góp ý rồi bấm Gửi phiếu.",
        )
    kiosk, bucket, limit = _counted_as(db_session=db_session, policy=policy, token=token, ip=ip)
    if not token.code and not policy.open_survey:
        raise FormRefused(
            "Khảo sát hiện chỉ nhận phiếu có mã khảo sát in trên phiếu hẹn.", code="code_required"
        )
    throttle.check(db_session=db_session, clock=clock, bucket=bucket, limit=limit)
    questionnaire = get_version(db_session=db_session, version=token.version)
    today = clock.today()
    unit_id = kiosk.unit_id if kiosk else None
    if unit_id is None and not token.code:
        unit_id = _centre_id(db_session, policy, near=None)
    domain_id = _domain_id(db_session, answers.domain)
    assert questionnaire.id is not None
    questionnaire_id = questionnaire.id
    try:
        details = _claim(db_session=db_session, clock=clock, policy=policy, token=token)
    except codes.CodeRefused:
        throttle.count(db_session=db_session, clock=clock, bucket=bucket)
        raise
    throttle.count(db_session=db_session, clock=clock, bucket=bucket)
    if unit_id is None:  # a coded answer: the centre of the ward that printed the code
        unit_id = _centre_id(db_session, policy, near=details.unit_id if details else None)
    _store_answer(
        db_session=db_session,
        questionnaire_id=questionnaire_id,
        month=str(Period(today.year, Granularity.MONTH, today.month)),
        unit_id=unit_id,
        domain_id=domain_id,
        source=AnswerSource.KIOSK if kiosk else AnswerSource.OPEN,
        details=details,
        answers=answers,
    )
    _prune_spent_forms(db_session=db_session, clock=clock)


def _centre_id(db_session: Session, policy: SurveyPolicy, *, near: int | None) -> int:
    """The service centre an answer without a kiosk counts for: the one of the ward that owns
    ``near`` (the unit a code was printed for), or the only one there is. With several wards and
    nothing to tell which, the answer cannot be counted for anyone: refused, never guessed."""
    query = select(Unit.id).where(Unit.code == policy.centre)
    if near is not None:
        ward = select(Unit.ward_id).where(Unit.id == near).scalar_subquery()
        query = query.where(Unit.ward_id == ward)
    found = db_session.exec(query.limit(2)).all()
    if len(found) != 1 or found[0] is None:
        raise FormRefused(
            "Phiếu cần mã khảo sát in trên phiếu hẹn, hoặc được gửi từ máy tại quầy của "
            "phường, xã, để biết phiếu đánh giá nơi nào.",
            code="ward_unknown",
        )
    return int(found[0])


def _claim(
    *, db_session: Session, clock: Clock, policy: SurveyPolicy, token: FormToken
) -> codes.CodeDetails | None:
    """Spend the form token and the code in their own committed transaction.

    The token's row is the lock: of fifteen identical sends, one inserts it and the others meet
    its primary key (PostgreSQL makes them wait for the winner's commit, then refuses), so they
    end on the thank-you page instead of a 500. A refused code rolls the claim back, so the form
    can still be sent without it once the citizen is told.
    """
    db_session.rollback()  # nothing pending: this transaction holds only the claim
    # Rounded to the hour, so even this row does not tell when the answer came in.
    db_session.add(
        SpentForm(token_hash=_nonce_hash(token), expires_at=_hour_after(clock.now()) + FORM_MAX_AGE)
    )
    try:
        db_session.flush()
    except IntegrityError:
        db_session.rollback()
        raise AlreadySent() from None
    details = None
    if token.code:
        try:
            details = codes.spend_code(
                db_session=db_session,
                signing_key=policy.signing_key,
                code=token.code,
                today=clock.today(),
            )
        except BaseException:
            db_session.rollback()
            raise
    try:
        db_session.commit()
    except IntegrityError:  # SQLite reports the duplicate token only at commit
        db_session.rollback()
        raise AlreadySent() from None
    return details


def _domain_id(db_session: Session, code: str) -> int | None:
    if not code:
        return None
    return db_session.exec(select(Domain.id).where(Domain.code == code)).first()


def _prune_spent_forms(*, db_session: Session, clock: Clock) -> None:
    """A token older than its lifetime is refused anyway; its row is no longer needed."""
    from sqlalchemy import delete

    db_session.execute(delete(SpentForm).where(col(SpentForm.expires_at) < clock.now()))
    db_session.commit()
