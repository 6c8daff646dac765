"""The one overdue rule: when a paired household is overdue for a visit, by Beijing calendar days.

A household's clock day is the Beijing day of its cadre's last visit that counts (a session not marked 需补充),
else the day its pairing started (结对日期, else the day an import first brought it), and never before the
campaign's first day. It is overdue once more than interval_days have passed since that day: overdue when
clock day < today - interval_days. 我的联系户, the visit reminders, 进度, 谁没走访 and the reports all ask this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.migrations import CLOCK_DAY

CAMPAIGN_ZONE = ZoneInfo("Asia/Shanghai")  # the zone the SQL's '+8 hours' stands for (no summer time since 1991)

# A pairing's clock day in SQL ('' when it has no start of its own: pairings from before those dates), given the
# pairing's alias; the same expression the progress counts are kept by (bot/migrations.py).
CLOCK_DAY_SQL = CLOCK_DAY

# The rule over a clock day column (text 'YYYY-MM-DD' or ''), with the parameters of OverdueRule.params:
# max(clock day, start day) < cutoff day, written as the two comparisons it amounts to, which SQLite evaluates a third
# faster over the console's tens of thousands of count rows (the second is a constant).
OVERDUE_SQL = "({clock_day} < :cutoff_day AND :start_day < :cutoff_day)"
# The same rule as a bound: a clock day is not overdue exactly when it is >= this ('' when nothing is overdue yet, the
# campaign not having run the interval), so the days not overdue are one index range.
NOT_OVERDUE_FROM_SQL = "(CASE WHEN :start_day >= :cutoff_day THEN '' ELSE :cutoff_day END)"
# OverdueRule.days_since over a clock day column ('' : the campaign's start), with the parameters of OverdueRule.params.
DAYS_SINCE_SQL = "CAST(julianday(:today) - julianday(max({clock_day}, :start_day)) AS INTEGER)"
# The rule over a pairing aliased p (its clock day from CLOCK_DAY_SQL): what every query over pairings asks.
PAIRING_OVERDUE_SQL = OVERDUE_SQL.format(clock_day=CLOCK_DAY_SQL.format(p="p"))


def local_day(moment: datetime | str) -> date:
    """The Beijing calendar day of a moment (an aware datetime, or stored UTC ISO text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(CAMPAIGN_ZONE).date()


@dataclass(frozen=True)
class OverdueRule:
    """Overdue after interval_days without a counted visit, counted from the clock day, never before start_day."""

    interval_days: int
    start_day: date  # the campaign's first day

    def cutoff_day(self, now: datetime) -> date:
        """The first clock day that is not yet overdue at `now`."""
        return local_day(now) - timedelta(days=self.interval_days)

    def params(self, now: datetime) -> dict:
        """The named parameters OVERDUE_SQL and DAYS_SINCE_SQL need at `now`."""
        return {"cutoff_day": self.cutoff_day(now).isoformat(), "start_day": self.start_day.isoformat(),
                "today": local_day(now).isoformat()}

    def is_overdue(self, clock_day: date | str | None, now: datetime) -> bool:
        """The rule in Python, for a clock day as SQL gives it ('' or None: the campaign's start)."""
        day = date.fromisoformat(clock_day) if isinstance(clock_day, str) and clock_day else clock_day
        return max(day or self.start_day, self.start_day) < self.cutoff_day(now)

    def days_since(self, clock_day: date | str | None, now: datetime) -> int:
        """Whole Beijing days from the clock day (or the campaign's start, if later) to now."""
        day = date.fromisoformat(clock_day) if isinstance(clock_day, str) and clock_day else clock_day
        return (local_day(now) - max(day or self.start_day, self.start_day)).days


def rule_of(app) -> OverdueRule:
    """The rule of a running bot: its visit interval and its campaign's first day."""
    return OverdueRule(app.settings.reminders.visit_interval_days, app.campaign.start)
