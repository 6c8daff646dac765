"""Moments the reminders are reckoned in: local days and times, ISO weeks."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def parse_hhmm(text: str) -> time:
    """Reads a clock time such as 09:00 from the config."""
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def at_local(day: date, clock_time: time, tz: ZoneInfo) -> datetime:
    """The UTC moment of a local day and clock time."""
    return datetime.combine(day, clock_time, tzinfo=tz).astimezone(timezone.utc)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local date of a moment."""
    return moment.astimezone(tz).date()


def week_label(day: date) -> str:
    """The ISO week of a day, e.g. 2010-W19: the key of weekly reminders."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def end_of_week(day: date, tz: ZoneInfo) -> datetime:
    """The UTC moment the ISO week of day ends (next Monday, 00:00 local)."""
    monday = day - timedelta(days=day.isoweekday() - 1)
    return at_local(monday + timedelta(days=7), time(0, 0), tz)
