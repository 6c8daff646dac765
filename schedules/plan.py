"""Planning: turns the campaign file and the roster into delivery rows for what is due by now."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import metrics
from bot.app import BotApp
from bot.db import transaction
from schedules.deadlines import plan_deadline_reminders
from schedules.digest import plan_digests
from schedules.plan_result import PlanReport
from schedules.visit_reminders import plan_visit_reminders

logger = logging.getLogger(__name__)

PLANNERS = {"deadline": plan_deadline_reminders, "visit": plan_visit_reminders, "digest": plan_digests}


def plan(app: BotApp, now: datetime | None = None, only_new: bool = False,
         kinds: tuple[str, ...] = tuple(PLANNERS)) -> PlanReport:
    """Writes rows for every reminder of these kinds due by now; only_new skips reminders that already have rows.

    Each kind is planned in its own transaction; one that fails is logged and the others still run.
    """
    now = now or app.clock.now()
    report = PlanReport()
    for kind in kinds:
        try:
            with transaction(app.db):
                PLANNERS[kind](app, now, report, only_new)
        except Exception:  # a scheduler job must never die of one bad part of the roster or campaign file
            logger.exception("planning %s reminders failed", kind)
            report.problem(f"{kind} 提醒计划出错，详见日志")
    metrics.reminders_planned(report.rows)
    return report
