"""The signed-in person kept on the request, for everything drawn after the check.

``require_web_identity`` (``accounts/dependencies.py``) resolves the session once per request
and keeps the identity on ``request.state``; the header, the names, the page and the template
read what it found instead of naming ``WebUser`` again (which made FastAPI walk its dependencies a
second time on every page). A module of its own, importing nothing of the accounts at load: the
names are read by the period lock, which must not pull in any service
(``tests/reporting/test_lock_layer.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

if TYPE_CHECKING:
    from app.accounts.credentials import WebIdentity

_KEY = "identity"


def keep_identity(request: Request, identity: WebIdentity) -> None:
    setattr(request.state, _KEY, identity)


def request_identity(request: Request) -> WebIdentity | None:
    """The person ``require_web_identity`` let in, or ``None`` where it did not run."""
    from app.accounts.credentials import WebIdentity  # loaded by then: the check ran

    identity = getattr(request.state, _KEY, None)
    return identity if isinstance(identity, WebIdentity) else None
