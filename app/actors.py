"""Who is acting: every write names its actor, so the accounts issue can authorise and audit it.

Until accounts exist, API writes are made by an anonymous API actor and CLI writes by the system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends


@dataclass(frozen=True)
class Actor:
    username: str
    role: str
    unit_code: str | None = None
    via: str = "api"


SYSTEM = Actor(username="system", role="admin", via="cli")


def get_actor() -> Actor:
    """The acting user; a placeholder that authentication will replace."""
    return Actor(username="anonymous", role="admin", via="api")


ActorDep = Annotated[Actor, Depends(get_actor)]
