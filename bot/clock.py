"""Clocks: the real one, one that starts at a given moment and runs on (--now), and a fixed one for tests."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def parse_moment(text: str, tz: str = "Asia/Shanghai") -> datetime:
    """Parses an ISO time such as 2010-05-12T09:00; a time without offset is local time in tz. Returns UTC."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(timezone.utc)


class Clock:
    """The real time, or a time that started at `start` and runs on at the real pace."""

    def __init__(self, start: datetime | None = None):
        self._offset = 0.0 if start is None else start.timestamp() - time.time()

    def now(self) -> datetime:
        """The current moment on this clock, aware, in UTC."""
        return datetime.fromtimestamp(time.time() + self._offset, timezone.utc)


class FixedClock(Clock):
    """A clock that stays where it is put (tests)."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def set(self, moment: datetime) -> None:
        """Moves the clock."""
        self.moment = moment


def iso(moment: datetime) -> str:
    """The UTC ISO string stored in the database, to the second (so string order is time order)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
