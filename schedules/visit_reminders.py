"""Visit reminders: each cadre with paired households not visited for visit_interval_days, once a week until visited."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from bot.app import BotApp
from bot.store.deliveries import Reminder, insert_personal, key_planned
from bot.store.households import overdue_pairings
from bot.store.overdue import rule_of
from schedules.plan_result import PlanReport
from schedules.quiet_hours import QuietHours
from schedules.texts import OverdueHousehold, visit_text
from schedules.timekeeping import at_local, end_of_week, local_day, parse_hhmm, week_label

def overdue_households(app: BotApp, now: datetime, unless_reminded: str = "") -> dict[str, list[OverdueHousehold]]:
    """Per cadre, the paired households overdue at `now` by the one rule (bot/store/overdue.py): a household's clock
    starts at its pairing or the campaign's start, so nobody is nagged on day one nor all on the same morning.
    Cadres who already have the reminder `unless_reminded` are left out.
    """
    overdue: dict[str, list[OverdueHousehold]] = defaultdict(list)
    for p in overdue_pairings(app.db, rule_of(app), now, unless_reminded):
        last_day = local_day(p.last_visit, app.tz) if p.last_visit else None
        overdue[p.cadre_id].append(OverdueHousehold(p.head_name, p.place, last_day))
    return dict(overdue)


def weekly_reminder(app: BotApp, now: datetime, kind: str, weekday: int = 0) -> Reminder | None:
    """This week's reminder of a weekly kind, if its moment (weekday's send_time; 0 = any day) has come."""
    today = local_day(now, app.tz)
    day = today if weekday == 0 else today - timedelta(days=today.isoweekday() - weekday)
    send_at = at_local(day, parse_hhmm(app.settings.reminders.send_time), app.tz)
    if day > today or now < send_at:
        return None
    quiet = QuietHours.from_settings(app.settings)
    return Reminder(f"{kind}:{week_label(today)}", kind, kind, quiet.next_allowed(send_at), end_of_week(today, app.tz))


def plan_visit_reminders(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """Writes this week's visit reminder for each cadre with overdue households (each cadre sees only their own)."""
    reminder = weekly_reminder(app, now, "visit")
    if reminder is None or (only_new and key_planned(app.db, reminder.key)):
        return
    interval = app.settings.reminders.visit_interval_days
    texts = {cadre_id: visit_text(households, interval)
             for cadre_id, households in overdue_households(app, now, reminder.key).items()}
    report.added(reminder.key, insert_personal(app.db, reminder, texts, now))
