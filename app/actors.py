"""Who is acting: every write names its actor, so it can be authorised and audited.

The actor is resolved once per request by ``app.accounts.dependencies`` (a bearer token or a browser
session); the CLI acts as ``SYSTEM``. Services receive it as a plain value and never look at the
request, so the same rules hold for pages, API and CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    unit_code: str | None = None
    via: str = "api"
    user_id: int | None = None
    unit_id: int | None = None
    ip: str = ""
    #: The ward the actor works in for this request: its own, or the one a city user opened.
    ward_id: int | None = None
    ward_code: str | None = None

    def through(self, via: str) -> Actor:
        """The same person acting through another channel (an import is still its user's)."""
        return replace(self, via=via)

    def inside(self, ward_id: int | None, ward_code: str | None) -> Actor:
        """The same person working in a ward (a city user opening one ward's pages)."""
        return replace(self, ward_id=ward_id, ward_code=ward_code)


#: The shell user running ``partrack``: whoever can run the CLI on the server can do everything,
#: in every ward (a city administrator's rights).
SYSTEM = Actor(username="system", role="city_admin", via="cli")
