"""Hourly counters for the public survey: per keyed-hashed address, per kiosk.

Fixed one-hour windows are coarse on purpose: the counters must limit stuffing without becoming a
log of when someone answered. Addresses are stored only as a keyed hash.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.clock import Clock
from app.errors import TooManyRequests
from app.sipas.models import Throttle

WINDOW = timedelta(hours=1)


def window_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _refuse(bucket: str, now: datetime) -> TooManyRequests:
    wait = int((window_of(now) + WINDOW - now).total_seconds())
    minutes = max(1, (wait + 59) // 60)
    who = "máy khảo sát này" if bucket.startswith("kiosk:") else "địa chỉ mạng của bạn"
    return TooManyRequests(
        f"Đã có nhiều phiếu được gửi từ {who} trong một giờ qua. Câu trả lời của bạn vẫn còn "
        f"trên trang; bạn vui lòng gửi lại sau khoảng {minutes} phút. Xin cảm ơn!",
        retry_after_seconds=wait,
        code="sipas_throttled",
    )


def check(*, db_session: Session, clock: Clock, bucket: str, limit: int) -> None:
    """Refuse (429) when the bucket has used up this hour, without counting this request."""
    now = clock.now()
    row = db_session.get(Throttle, (bucket, window_of(now)))
    if row is not None and row.count >= limit:
        raise _refuse(bucket, now)


def hit(*, db_session: Session, clock: Clock, bucket: str, limit: int) -> None:
    """Count one attempt in its own short transaction, or refuse (429) when over the limit.

    Counted before the answer is written, so a refused or failed answer still used an attempt:
    what is limited is how often one may try.
    """
    check(db_session=db_session, clock=clock, bucket=bucket, limit=limit)
    count(db_session=db_session, clock=clock, bucket=bucket)


def count(*, db_session: Session, clock: Clock, bucket: str) -> None:
    """Count one attempt, in its own transaction, without refusing it.

    Its own transaction matters: committed with the answer or the spent code, the counter row
    (a keyed hash of an address) would share their PostgreSQL transaction id and so name them.
    """
    db_session.rollback()
    now = clock.now()
    start = window_of(now)
    for _ in range(2):
        bumped = db_session.execute(
            update(Throttle)
            .where(col(Throttle.bucket) == bucket, col(Throttle.window_start) == start)
            .values(count=Throttle.count + 1)
            .execution_options(synchronize_session=False)
        )
        if bumped.rowcount == 1:  # type: ignore[attr-defined]
            db_session.commit()
            return
        db_session.execute(delete(Throttle).where(col(Throttle.window_start) < start - WINDOW))
        db_session.add(Throttle(bucket=bucket, window_start=start, count=1))
        try:
            db_session.commit()
            return
        except IntegrityError:  # another request opened the window first: count on it
            db_session.rollback()
    db_session.commit()
