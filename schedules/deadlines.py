"""Deadline reminders: for each deadline of the campaign file, at each offset, to every cadre it binds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.app import BotApp
from bot.campaign import Deadline
from bot.store.cadres import audience_size, audience_sql
from bot.store.deliveries import (EXPIRED, Reminder, insert_for_audience, key_planned, rewrite_pending_text,
                                  series_planned, stale_pending_keys)
from schedules.plan_result import PlanReport
from schedules.quiet_hours import QuietHours
from schedules.texts import deadline_text
from schedules.timekeeping import at_local, local_day, parse_hhmm

MISSED_AFTER_DEADLINE = "机器人停机期间错过，截止日期已过，未发送"


@dataclass(frozen=True)
class DeadlineMoment:
    """One reminder of a deadline: how many days before, and when it is sent."""

    offset_days: int
    send_at: datetime


def moments(app: BotApp, deadline: Deadline) -> list[DeadlineMoment]:
    """The deadline's reminders in time order: offsets before the day, then the morning of the day."""
    send_time = parse_hhmm(app.settings.reminders.send_time)
    return [
        DeadlineMoment(offset, at_local(deadline.due - timedelta(days=offset), send_time, app.tz))
        for offset in sorted(set(app.settings.reminders.offsets_days), reverse=True)
    ]


def expiry(app: BotApp, deadline: Deadline) -> datetime:
    """When the deadline is behind us: the end of its day, local time."""
    return at_local(deadline.due + timedelta(days=1), time(0, 0), app.tz)


def empty_audience_problem(deadline: Deadline) -> str:
    """The report line for a deadline whose audience matches no cadre."""
    return (f"截止事项 {deadline.id}（{deadline.task}）没有对应的干部："
            f"单位类型 {'、'.join(deadline.binds) or '（未写）'}，角色 {'、'.join(deadline.roles) or '（未写）'}")


def deadline_problems(app: BotApp) -> list[str]:
    """Every deadline that cannot be reminded of: malformed or missing date, unknown or empty audience."""
    problems = []
    for deadline in app.campaign.deadlines:
        if deadline.problem:
            problems.append(deadline.problem)
        elif audience_size(app.db, deadline.binds, deadline.roles) == 0:
            problems.append(empty_audience_problem(deadline))
    return problems


def plan_deadline_reminders(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """Writes the rows of each deadline's latest reminder due by now; a missed one past its deadline is recorded expired."""
    quiet = QuietHours.from_settings(app.settings)
    for deadline in app.campaign.deadlines:
        if deadline.problem:
            report.problem(deadline.problem)
            continue
        every = moments(app, deadline)
        due = [m for m in every if m.send_at <= now]
        if not due:
            continue
        latest = due[-1]  # earlier offsets are superseded: one reminder, with the days left that are true now
        held_to = quiet.next_allowed(max(now, latest.send_at))
        coming = every[len(due):]
        if coming and local_day(coming[0].send_at, app.tz) == local_day(held_to, app.tz):
            continue  # a catch-up held to the morning of the next reminder's day: that one says the same, once
        reminder = Reminder(f"deadline:{deadline.id}:{latest.offset_days}d", f"deadline:{deadline.id}", "deadline",
                            quiet.next_allowed(latest.send_at), expiry(app, deadline))
        if (only_new or now >= reminder.expires_at) and key_planned(app.db, reminder.key):
            continue
        sql, params = audience_sql(deadline.binds, deadline.roles, task=deadline.id)
        if now < reminder.expires_at:
            text = deadline_text(app.campaign, deadline, local_day(held_to, app.tz))
            added = insert_for_audience(app.db, reminder, sql, params, now, text)
            report.added(reminder.key, added)
        elif series_planned(app.db, reminder.series):  # the bot was running for this deadline, then missed it
            added = insert_for_audience(app.db, reminder, sql, params, now, "", EXPIRED, MISSED_AFTER_DEADLINE)
            report.added(reminder.key, added, status=EXPIRED)
        else:
            continue  # the deadline passed before the bot ever planned it: nothing was missed
        if added == 0 and audience_size(app.db, deadline.binds, deadline.roles) == 0:
            report.problem(empty_audience_problem(deadline))


def deadline_id_of(key: str) -> str:
    """The deadline id inside a key such as deadline:county-plan-meeting:7d."""
    return key.split(":", 1)[1].rsplit(":", 1)[0]


def refresh_stale_texts(app: BotApp, now: datetime) -> int:
    """Rewrites the days left of deadline reminders still pending from an earlier day (the bot was down)."""
    quiet = QuietHours.from_settings(app.settings)
    send_day = local_day(quiet.next_allowed(now), app.tz)
    start_of_today = at_local(local_day(now, app.tz), time(0, 0), app.tz)
    changed = 0
    for key in stale_pending_keys(app.db, "deadline", start_of_today):
        deadline = app.campaign.deadline(deadline_id_of(key))
        if deadline is None or deadline.due is None:
            continue
        text = deadline_text(app.campaign, deadline, send_day)
        changed += rewrite_pending_text(app.db, key, text)
    return changed
