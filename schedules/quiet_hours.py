"""Quiet hours: when no reminder is sent, and the first moment after them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.config import Settings
from schedules.timekeeping import parse_hhmm


@dataclass(frozen=True)
class QuietHours:
    """A nightly stretch (it may wrap past midnight) in the bot's time zone; start == end means none."""

    start: time
    end: time
    tz: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> QuietHours:
        """The quiet hours of the [reminders] section."""
        return cls(parse_hhmm(settings.reminders.quiet_start), parse_hhmm(settings.reminders.quiet_end),
                   ZoneInfo(settings.timezone))

    def contains(self, moment: datetime) -> bool:
        """Whether moment falls in quiet hours."""
        clock = moment.astimezone(self.tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def next_allowed(self, moment: datetime) -> datetime:
        """moment itself when sending is allowed then, else the end of these quiet hours (UTC)."""
        if not self.contains(moment):
            return moment
        local = moment.astimezone(self.tz)
        end = datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=self.tz)
        return end.astimezone(timezone.utc)
