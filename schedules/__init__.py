"""Reminders: planning delivery rows from the campaign file and the roster, and dispatching them exactly once."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.triggers.interval import IntervalTrigger

from bot.app import BotApp
from schedules.jobs import ReminderJobs

logger = logging.getLogger(__name__)

JOB_IDS = ("reminders-plan-deadlines", "reminders-scan-visits", "reminders-weekly-digest", "reminders-dispatch",
           "notices-unread-reminders", "tasks-escalations")


def register_jobs(scheduler, app: BotApp) -> ReminderJobs | None:
    """Adds the reminder jobs to an APScheduler 3 scheduler under stable ids; registering again replaces them.

    Triggers are intervals, not cron times: the bot's clock may be a rehearsal clock (run --now), and each job
    decides from that clock what is due. Every job also runs once at start-up, so missed reminders go out then.
    """
    if not app.settings.reminders.enabled:
        logger.info("reminders are disabled in the config")
        return None
    jobs = ReminderJobs(app)
    hourly = IntervalTrigger(hours=1)
    schedule = (
        (JOB_IDS[0], jobs.plan_deadlines, hourly),
        (JOB_IDS[1], jobs.scan_visits, hourly),
        (JOB_IDS[2], jobs.weekly_digest, hourly),
        (JOB_IDS[3], jobs.dispatch, IntervalTrigger(seconds=app.settings.reminders.dispatch_interval_seconds)),
        (JOB_IDS[4], jobs.remind_unread_notices, hourly),
        (JOB_IDS[5], jobs.escalate_overdue_tasks, hourly),
    )
    for job_id, func, trigger in schedule:
        scheduler.add_job(func, trigger, id=job_id, name=job_id, replace_existing=True, coalesce=True,
                          max_instances=instances(job_id), misfire_grace_time=None,
                          next_run_time=datetime.now(timezone.utc))
    return jobs


def instances(job_id: str) -> int:
    """How many runs of a job may overlap: a dispatch tick that finds the last one still sending returns at once
    (ReminderJobs.dispatch), rather than APScheduler warning "maximum number of running instances" each minute."""
    return 2 if job_id == JOB_IDS[3] else 1
