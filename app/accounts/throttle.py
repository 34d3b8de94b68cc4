"""Login throttling counted in the database, exactly, by one atomic statement per attempt.

An attempt is *charged* before its password is checked: the counter of the user name and the one
of the address each go up by one unless they already reached their limit, in one
``INSERT … ON CONFLICT DO UPDATE … WHERE failures < limit … RETURNING``. No row back means the
limit is reached, and the attempt is refused before any hashing. So with a limit of 5, exactly 5
of 40 simultaneous guesses are checked, whichever process answers them. A correct password gives
its charges back: the user's counter is cleared and the address's goes down by one, so a
colleague's typos behind a shared address never count against someone who logs in correctly.

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
    expired = _TABLE.c.window_start < since_value
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


def charge(
    *, db_session: Session, limits: Limits, username: str, ip: str, now: datetime
) -> Refusal | None:
    """Charge one attempt to the user name and the address, committed at once; a refusal if full.

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
    ukey = user_key(username)
    count = _charge_one(
        db_session=db_session, key=ukey, limit=limits.per_user, now=now, since=since
    )
    if count is None:
        db_session.commit()
        wait = retry_after_seconds(db_session=db_session, key=ukey, now=now, window=limits.window)
        return Refusal(ukey, wait, by_address=False)
    if ip:
        akey = address_key(ip)
        if (
            _charge_one(
                db_session=db_session, key=akey, limit=limits.per_address, now=now, since=since
            )
            is None
        ):
            _give_back(db_session=db_session, key=ukey)
            db_session.commit()
            wait = retry_after_seconds(
                db_session=db_session, key=akey, now=now, window=limits.window
            )
            return Refusal(akey, wait, by_address=True)
    if count == 1:  # a new window: windows long over go, so made-up names leave nothing behind
        _purge(db_session=db_session, since=since)
    db_session.commit()
    return None


def _give_back(*, db_session: Session, key: str) -> None:
    db_session.execute(
        update(_TABLE)
        .where(_TABLE.c.key == key, _TABLE.c.failures > 0)
        .values(failures=_TABLE.c.failures - 1)
    )


def give_back(*, db_session: Session, username: str, ip: str) -> None:
    """An attempt that was never checked (the hashing pool was full) does not count; committed."""
    _give_back(db_session=db_session, key=user_key(username))
    if ip:
        _give_back(db_session=db_session, key=address_key(ip))
    db_session.commit()


def succeeded(
    *, db_session: Session, username: str, ip: str, now: datetime, window: timedelta
) -> None:
    """A correct password: the user's failures are forgiven, the address gets its charge back.

    Not committed: it belongs to the login's own transaction.
    """
    db_session.execute(delete(_TABLE).where(_TABLE.c.key == user_key(username)))
    if ip:
        _give_back(db_session=db_session, key=address_key(ip))
    _purge(db_session=db_session, since=now - window)


def _purge(*, db_session: Session, since: datetime) -> None:
    db_session.execute(
        delete(_TABLE).where(_TABLE.c.window_start < literal(since, type_=UTCDateTime()))
    )
