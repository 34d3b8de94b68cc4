"""The one place that knows what day it is.

Period validation ("not in the future"), due dates and timestamps all ask the clock, so tests and
training sessions can freeze it instead of depending on the day they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated, Protocol

from fastapi import Depends, Request

#: The ward works in Vietnam's time zone; "today" must not flip at 07:00 local time.
VIETNAM_TZ = timezone(timedelta(hours=7), name="Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    """The real time; timestamps are stored in UTC, days are counted in Vietnam."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now(VIETNAM_TZ).date()


@dataclass
class FixedClock:
    """A clock that stands still (tests, demos); ``advance`` moves it on purpose."""

    current: datetime

    @classmethod
    def on(cls, day: date, hour: int = 9) -> FixedClock:
        local = datetime(day.year, day.month, day.day, hour, tzinfo=VIETNAM_TZ)
        return cls(current=local.astimezone(UTC))

    def now(self) -> datetime:
        return self.current

    def today(self) -> date:
        return self.current.astimezone(VIETNAM_TZ).date()

    def advance(self, delta: timedelta) -> None:
        self.current += delta


async def get_clock(request: Request) -> Clock:
    """Async: a plain function dependency would take a worker thread on every request."""
    clock: Clock = request.app.state.clock  # set by create_app (a FrozenClock in tests)
    return clock


ClockDep = Annotated[Clock, Depends(get_clock)]
