"""Verified credentials kept in the process for a few seconds, so that an authenticated request
costs no database round trip (issue #20: the lookup, its pooled-connection ping and the
rollback were most of what ``GET /api/v1/auth/me`` cost).

What stays exact, and why:

* Only a credential that passed every check is kept, with the values those checks read (its
  expiry, its last use). A hit is checked again against the request's clock, and a hit that
  would fail a check, or whose once-a-minute "last seen" write is due, goes to the database
  exactly as without the cache. Expiry, the idle timeout and the last-seen write are unchanged.
* Any write through an ORM session of this process to a user, a session, a token or a unit
  (logout, revocation, password change or reset, role or unit change, deactivation) evicts the
  entries it touches when it flushes and again when it commits, and an entry read while such a
  write was under way is not kept (``generation``). In the worker that made the change it takes
  effect on the next request.
* On PostgreSQL the write also sends a notification in its transaction (``notify``), delivered
  on commit to every worker's listener (``credential_events``), which evicts the same entries:
  the other workers see the change within the time a notification takes.
* Without that (SQLite, or while a worker's listening connection is down) another worker or
  the ``partrack`` command learns of the change when its entry runs out: **at most
  ``TTL_SECONDS`` after the change**, since every entry it holds was read before the change.
  That is the documented window (docs/accounts.md). A per-request version check would cost the
  database round trip the cache exists to save.
"""

from __future__ import annotations

import itertools
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, UOWTransaction

#: How long another worker's write may go unseen (see the module's docstring).
TTL_SECONDS = 5.0
#: Entries kept at most; past it the cache starts again empty (a flood of distinct tokens).
MAX_ENTRIES = 10_000
_PENDING = "partrack_credential_evictions"
#: PostgreSQL channel on which a write tells the other workers (``credential_events``).
CHANNEL = "partrack_credentials"


@dataclass(frozen=True)
class Entry:
    """A credential as it was when verified, and the answer it gave."""

    user_id: int
    expires_at: datetime
    touched_at: datetime | None
    value: Any
    kept_until: float

    def usable(self, now: datetime, every: timedelta, idle: timedelta | None = None) -> bool:
        """Still valid by its own dates, and no write of its last use due yet."""
        if self.expires_at <= now:
            return False
        if self.touched_at is None or now - self.touched_at >= every:
            return False
        return idle is None or now - self.touched_at <= idle


class CredentialCache:
    """Keyed by the credential's SHA-256 digest (never the raw token)."""

    def __init__(
        self, ttl_seconds: float = TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.monotonic = monotonic  # tests pass their own to let an entry run out
        # Each eviction takes a value never used before (``next`` on a count is atomic), so
        # evictions racing on two threads can never leave the generation where it was.
        self._ticks = itertools.count(1)
        self.generation = 0
        self._entries: dict[str, Entry] = {}
        _CACHES.add(self)

    def get(self, digest: str) -> Entry | None:
        """The entry, unless it has run out (then forgotten)."""
        entry = self._entries.get(digest)
        if entry is not None and self.monotonic() >= entry.kept_until:
            self._entries.pop(digest, None)
            return None
        return entry

    def put(
        self,
        digest: str,
        *,
        generation: int,
        user_id: int,
        expires_at: datetime,
        touched_at: datetime | None,
        value: Any,
    ) -> None:
        """Keep an answer read while the generation was ``generation``; none if a write
        evicted anything since, since the answer may predate that write."""
        if self.ttl_seconds <= 0 or generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:
            self._entries = {}
        self._entries[digest] = Entry(
            user_id=user_id,
            expires_at=expires_at,
            touched_at=touched_at,
            value=value,
            kept_until=self.monotonic() + self.ttl_seconds,
        )

    def evict(self, user_ids: set[int] | None) -> None:
        """Forget the users' entries (every entry for ``None``)."""
        self.generation = next(self._ticks)
        if user_ids is None:
            self._entries = {}
            return
        for digest, entry in list(self._entries.items()):
            if entry.user_id in user_ids:
                self._entries.pop(digest, None)


_CACHES: weakref.WeakSet[CredentialCache] = weakref.WeakSet()


def evict_everywhere(user_ids: set[int] | None) -> None:
    for cache in list(_CACHES):
        cache.evict(user_ids)


def _touched_users(session: Session) -> set[int] | None:
    """The users whose credentials the flushed objects change; ``None`` for everyone."""
    from app.accounts.models import ApiToken, User, UserSession
    from app.units.models import Unit

    users: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User):
            if obj.id is not None:
                users.add(obj.id)
        elif isinstance(obj, ApiToken | UserSession):
            users.add(obj.user_id)
        elif isinstance(obj, Unit):
            return None  # a unit's code is in its members' actors
    return users


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: UOWTransaction, _instances: object) -> None:
    users = _touched_users(session)
    if users is not None and not users:
        return
    pending = session.info.setdefault(_PENDING, [])
    pending.append(users)
    evict_everywhere(users)
    if session.get_bind().dialect.name == "postgresql":
        notify(session.connection(), users)


def notify(connection: Connection, users: set[int] | None) -> None:
    """Tell every worker, in the writing transaction: PostgreSQL delivers it on commit only."""
    text = "*" if users is None else ",".join(str(u) for u in sorted(users))
    connection.exec_driver_sql("SELECT pg_notify(%s, %s)", (CHANNEL, text))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    for users in session.info.pop(_PENDING, []):
        evict_everywhere(users)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous: object) -> None:
    session.info.pop(_PENDING, None)
