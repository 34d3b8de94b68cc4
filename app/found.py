"""Rows a request asks for several times, found once per database session.

A row save asks for its unit five times and its plan four (the lock, the row, the evidence, last
period's answers, the report's state), each a statement with the ward's criteria added: a third
of the save's statements (issue #17). A session keeps what it found here, per ward scope, and
gives it again only while the session still holds the row as it loaded it: the row's own
instance, which the session's identity map would return anyway, but without the statement.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy.orm.attributes import instance_state
from sqlmodel import Session, SQLModel


def memo(db_session: Session, kind: str) -> dict[Hashable, Any]:
    """The session's finds of one kind (``"unit"``, ``"plan"``), keyed as the finder chooses."""
    found: dict[Hashable, Any] = db_session.info.setdefault(("partrack.found", kind), {})
    return found


def forget(db_session: Session, kind: str) -> None:
    db_session.info.pop(("partrack.found", kind), None)


def held(db_session: Session, row: SQLModel) -> bool:
    """The row is this session's, loaded and not expired: a rollback (or a commit, where commits
    expire) expires it, and a row deleted or changed since would only show when read. Read from
    the instance's state, never by loading: this check runs no statement."""
    state = instance_state(row)
    return state.persistent and state.session is db_session and not state.expired
