"""Units still missing a task after its deadline, told to the administrators above them: one escalation message
per task, then a line in every weekly digest until the units report it done."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import BotApp
from bot.campaign import Deadline
from bot.store.cadres import Cadre, admins_without_reminder
from bot.store.deliveries import Reminder, insert_personal
from bot.store.scopes import scope_of
from bot.store.supervision import TaskStatus, task_status
from schedules.deadlines import expiry
from schedules.plan_result import PlanReport
from schedules.quiet_hours import QuietHours

ESCALATION_LIFETIME = timedelta(days=7)
NAMES_SHOWN = 10


def overdue_tasks(app: BotApp, now: datetime) -> list[Deadline]:
    """The tasks whose deadline (the end of its day) has passed."""
    return [d for d in app.campaign.unit_tasks() if expiry(app, d) <= now]


def missing_below(app: BotApp, admin: Cadre, deadline: Deadline) -> list[TaskStatus]:
    """The units below the administrator's own (all units, for the office) that have not done the task."""
    scope = scope_of(app.db, admin.id)
    if scope is None:
        return []
    return [s for s in task_status(app.db, scope, deadline.id, deadline.reporters)
            if s.done_at is None and (scope.everything or s.unit_id != admin.unit_id)]


def missing_line(deadline: Deadline, missing: list[TaskStatus]) -> str:
    """One line: the task, its deadline, the units still missing it."""
    names = "、".join(s.unit_name for s in missing[:NAMES_SHOWN])
    more = f"等 {len(missing)} 个单位" if len(missing) > NAMES_SHOWN else ""
    return f"· {deadline.task}（{deadline.due_text}）：{names}{more}尚未上报完成"


def overdue_task_lines(app: BotApp, admin: Cadre, now: datetime) -> list[str]:
    """For the weekly digest: every overdue task with the administrator's units still missing it."""
    return [missing_line(d, missing) for d in overdue_tasks(app, now) if (missing := missing_below(app, admin, d))]


def plan_escalations(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """Writes, once per overdue task, a message to each administrator above a unit still missing it."""
    quiet = QuietHours.from_settings(app.settings)
    due = quiet.next_allowed(now)
    for deadline in overdue_tasks(app, now):
        key = f"escalation:{deadline.id}"
        texts = {}
        for admin in admins_without_reminder(app.db, key):
            missing = missing_below(app, admin, deadline)
            if missing:
                texts[admin.id] = ("逾期未完成：\n" + missing_line(deadline, missing)
                                   + "\n请督促这些单位限期整改，完成后由其管理员发送“上报 任务名”并附上材料。")
        report.added(key, insert_personal(app.db, Reminder(key, key, "escalation", due, due + ESCALATION_LIFETIME),
                                          texts, now))
