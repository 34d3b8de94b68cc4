"""Login throttling counted in the database, exactly, by one atomic statement per attempt.

Two counters, with two rules, because they protect against different things:

* **Per user name**, an attempt is *charged* before its password is checked: the counter goes up
  by one unless it already reached its limit, in one ``INSERT … ON CONFLICT DO UPDATE … WHERE
  failures < limit … RETURNING``. No row back means the limit is reached, and the attempt is
  refused before any hashing. So with a limit of 5, exactly 5 of 40 simultaneous guesses are
  checked, whichever process answers them. A correct password clears the counter.
* **Per address**, only *wrong* passwords stay counted. The address is charged by the same
  statement when a hashing thread starts the check (``reserve``, refused at the limit) and given
  the charge back as soon as the password proves right (``release``), still on that thread. So a
  correct login holds a charge only while its hash runs, and 200 colleagues behind one office NAT
  logging in at 8:00 hold at most as many charges as there are hashing threads, never the
  limit's 50; a flood of wrong logins from one address is checked exactly ``limit`` times per
  window, then refused before any hashing (``address_refusal``, a read, at arrival) with 429 and
  ``Retry-After``. The limit must stay above the hashing threads of all server processes
  together (docs/deployment.md), or correct logins could meet a refusal in a burst.

A window starts with its first failure and lasts ``lockout_minutes``; the next attempt after it
starts a new one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import literal
from sqlmodel import Session

from app.accounts.models import LoginThrottle
from app.db import UTCDateTime

_TABLE = LoginThrottle.__table__  # type: ignore[attr-defined]

#: SQLite lets one writer in at a time and makes the others poll with growing sleeps; under 200
#: simultaneous logins some waited past the 30 s timeout ("database is locked"). Queueing this
#: process's login writes on a lock first hands the database over in order instead.
_SQLITE_WRITES = threading.Lock()


@contextmanager
def writes(db_session: Session) -> Iterator[None]:
    """Hold the login-write queue while writing and committing (SQLite only; a no-op elsewhere)."""
    if db_session.get_bind().dialect.name != "sqlite":
        yield
        return
    with _SQLITE_WRITES:
        yield


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_address: int
    window: timedelta


def user_key(username: str) -> str:
    return "user:" + username[:190]


def address_key(ip: str) -> str:
    return "ip:" + ip[:190]


def _charge_one(
    *, db_session: Session, key: str, limit: int, now: datetime, since: datetime
) -> int | None:
    """Count one attempt on ``key`` unless ``limit`` is reached: the new count, or ``None``."""
    dialect = db_session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    now_value = literal(now, type_=UTCDateTime())
    since_value = literal(since, type_=UTCDateTime())
    # a window over, or one whose charges were all given back (right passwords): start anew
    expired = (_TABLE.c.window_start < since_value) | (_TABLE.c.failures == 0)
    stmt = (
        insert(_TABLE)
        .values(key=key, window_start=now, failures=1)
        .on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={
                "failures": case((expired, 1), else_=_TABLE.c.failures + 1),
                "window_start": case((expired, now_value), else_=_TABLE.c.window_start),
            },
            where=expired | (_TABLE.c.failures < limit),
        )
        .returning(_TABLE.c.failures)
    )
    row = db_session.execute(stmt).first()
    return None if row is None else int(row[0])


def retry_after_seconds(*, db_session: Session, key: str, now: datetime, window: timedelta) -> int:
    """Seconds until the window of ``key`` ends (for ``Retry-After``); a read is exact enough."""
    started = db_session.execute(
        select(_TABLE.c.window_start).where(_TABLE.c.key == key)
    ).scalar_one_or_none()
    if started is None:
        return 1
    return max(1, int((started + window - now).total_seconds()))


@dataclass(frozen=True)
class Refusal:
    key: str
    retry_after_seconds: int
    by_address: bool


def _full(*, db_session: Session, key: str, limit: int, since: datetime) -> bool:
    failures = db_session.execute(
        select(_TABLE.c.failures).where(
            _TABLE.c.key == key, _TABLE.c.window_start >= literal(since, type_=UTCDateTime())
        )
    ).scalar_one_or_none()
    return failures is not None and failures >= limit


def address_refusal(
    *, db_session: Session, limits: Limits, ip: str, now: datetime
) -> Refusal | None:
    """A refusal when the address already has ``per_address`` wrong passwords in its window
    (a read: the exact count is kept by ``reserve``)."""
    if not ip:
        return None
    akey = address_key(ip)
    if not _full(
        db_session=db_session, key=akey, limit=limits.per_address, since=now - limits.window
    ):
        return None
    wait = retry_after_seconds(db_session=db_session, key=akey, now=now, window=limits.window)
    return Refusal(akey, wait, by_address=True)


def charge(
    *, db_session: Session, limits: Limits, username: str, ip: str, now: datetime
) -> Refusal | None:
    """Charge one attempt to the user name (committed at once), unless the name or the address
    is already refused; the refusal then.

    Committed in its own short transaction so other processes see the charge before this one
    spends time hashing.
    """
    with writes(db_session):
        return _charge(db_session=db_session, limits=limits, username=username, ip=ip, now=now)


def _charge(
    *, db_session: Session, limits: Limits, username: str, ip: str, now: datetime
) -> Refusal | None:
    since = now - limits.window
    db_session.commit()  # start from a fresh transaction whose first statement is the write
    by_address = address_refusal(db_session=db_session, limits=limits, ip=ip, now=now)
    if by_address is not None:
        db_session.commit()
        return by_address
    ukey = user_key(username)
    count = _charge_one(
        db_session=db_session, key=ukey, limit=limits.per_user, now=now, since=since
    )
    if count is None:
        db_session.commit()
        wait = retry_after_seconds(db_session=db_session, key=ukey, now=now, window=limits.window)
        return Refusal(ukey, wait, by_address=False)
    if count == 1:  # a new window: windows long over go, so made-up names leave nothing behind
        _purge(db_session=db_session, since=since)
    db_session.commit()
    return None


def reserve(*, db_session: Session, limits: Limits, ip: str, now: datetime) -> Refusal | None:
    """Charge the address for a hash about to run (committed), or the refusal when it already
    has ``per_address`` charges in its window; a right password gives it back (``release``)."""
    if not ip:
        return None
    akey = address_key(ip)
    since = now - limits.window
    db_session.commit()
    if (
        _charge_one(db_session=db_session, key=akey, limit=limits.per_address, now=now, since=since)
        is not None
    ):
        db_session.commit()
        return None
    db_session.commit()
    wait = retry_after_seconds(db_session=db_session, key=akey, now=now, window=limits.window)
    return Refusal(akey, wait, by_address=True)


def release(*, db_session: Session, ip: str) -> None:
    """The password was right: its charge on the address goes back at once; committed."""
    if ip:
        _give_back(db_session=db_session, key=address_key(ip))
        db_session.commit()


def _give_back(*, db_session: Session, key: str) -> None:
    db_session.execute(
        update(_TABLE)
        .where(_TABLE.c.key == key, _TABLE.c.failures > 0)
        .values(failures=_TABLE.c.failures - 1)
    )


def give_back(*, db_session: Session, username: str) -> None:
    """An attempt that was never checked (the hashing pool was full, the address filled up
    meanwhile) does not count on the user name; committed."""
    _give_back(db_session=db_session, key=user_key(username))
    db_session.commit()


def succeeded(*, db_session: Session, username: str, now: datetime, window: timedelta) -> None:
    """A correct password: the user's failures are forgiven. The address never counted it.

    Not committed: it belongs to the login's own transaction.
    """
    db_session.execute(delete(_TABLE).where(_TABLE.c.key == user_key(username)))
    _purge(db_session=db_session, since=now - window)


def _purge(*, db_session: Session, since: datetime) -> None:
    db_session.execute(
        delete(_TABLE).where(_TABLE.c.window_start < literal(since, type_=UTCDateTime()))
    )
