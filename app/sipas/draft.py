"""The survey in progress between two screens: post/redirect/get without storing anything.

Each "Tiếp tục" or "Quay lại" posts the screen, and the answer is a 303 to
``/khao-sat/phieu?buoc=N``: the phone's Back gesture then walks GET pages and never lands on
"Confirm Form Resubmission". What the person answered so far waits in their own browser, in a
signed, compressed, HttpOnly cookie scoped to ``/khao-sat`` (the form token and the answers, as the
hidden fields carried them before); the server stores nothing before "Gửi phiếu", as before. The
cookie is deleted when the form is sent, when a new survey starts and when a kiosk resets, so the
next person at a shared tablet never inherits it. The step number is the only thing in the
address: no code, no answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from app.sipas import collect

COOKIE = "partrack_sipas_draft"
PATH = "/khao-sat"
PAGE = "/khao-sat/phieu"
MAX_AGE = int(collect.FORM_MAX_AGE.total_seconds())
#: Browsers keep cookies up to 4096 bytes; past this the screen is answered directly, as before
#: (only a very long comment gets there, and its "Quay lại" may then ask to resend).
MAX_COOKIE_BYTES = 3800


@dataclass(frozen=True)
class Draft:
    token: str
    fields: dict[str, str]


def _serializer(signing_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key, salt="partrack-sipas-draft")


def save(response: Response, *, request: Request, signing_key: str, draft: Draft) -> bool:
    """Put the draft on the response; ``False`` when it is too big for a cookie."""
    value = _serializer(signing_key).dumps({"t": draft.token, "f": draft.fields})
    if len(value) > MAX_COOKIE_BYTES:
        return False
    response.set_cookie(
        COOKIE,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=PATH,
    )
    return True


def load(request: Request, *, signing_key: str) -> Draft | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        data = _serializer(signing_key).loads(raw, max_age=MAX_AGE)
    except BadSignature:  # forged or expired: start again
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    fields = data.get("f")
    if not isinstance(fields, dict):
        return None
    return Draft(token=data["t"], fields={str(k): str(v) for k, v in fields.items()})


def forget(response: Response) -> Response:
    response.delete_cookie(COOKIE, path=PATH)
    return response


def page_url(step: int) -> str:
    return f"{PAGE}?buoc={step + 1}"
