"""The weekly digest for administrators: their cadres with overdue visits, and their units' deadlines still ahead."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.app import BotApp
from bot.store.cadres import admins_without_reminder, all_cadres
from bot.store.deliveries import insert_personal, key_planned
from bot.store.units import Unit, all_units
from schedules.escalations import overdue_task_lines
from schedules.plan_result import PlanReport
from schedules.texts import OverdueCadre, digest_text
from schedules.timekeeping import local_day
from schedules.visit_reminders import overdue_households, weekly_reminder


class UnitTree:
    """The units as a tree: names, kinds, and each unit's subtree."""

    def __init__(self, units: list[Unit]):
        self.names = {u.id: u.name for u in units}
        self.kinds = {u.id: u.kind for u in units}
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for u in units:
            self.children[u.parent_id].append(u.id)

    def subtree(self, unit_id: str) -> list[str]:
        """The unit and every unit below it."""
        found, stack, seen = [], [unit_id], set()
        while stack:
            current = stack.pop()
            if current in seen:  # a cycle in a bad roster must not hang the scheduler
                continue
            seen.add(current)
            found.append(current)
            stack.extend(self.children.get(current, ()))
        return found


def _overdue_by_unit(app: BotApp, now: datetime) -> dict[str, list[OverdueCadre]]:
    overdue = overdue_households(app, now)
    by_unit: dict[str, list[OverdueCadre]] = defaultdict(list)
    for cadre in all_cadres(app.db):
        if cadre.id in overdue:
            by_unit[cadre.unit_id].append(OverdueCadre(cadre.name, cadre.unit_name, len(overdue[cadre.id])))
    return by_unit


def plan_digests(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """Writes this week's digest for each 单位管理员 (their unit and below) and 活动办管理员 (the whole prefecture)."""
    reminder = weekly_reminder(app, now, "digest", app.settings.reminders.digest_weekday)
    if reminder is None or (only_new and key_planned(app.db, reminder.key)):
        return
    admins = admins_without_reminder(app.db, reminder.key)
    if not admins:  # every administrator has this week's digest: no need to count the overdue visits again
        return
    tree = UnitTree(all_units(app.db))
    by_unit = _overdue_by_unit(app, now)
    today = local_day(now, app.tz)
    texts = {}
    for admin in admins:
        whole = admin.is_office
        units = list(tree.names) if whole else tree.subtree(admin.unit_id)
        scope = "全州" if whole else f"{tree.names.get(admin.unit_id, admin.unit_id)}及下属单位"
        kinds = {tree.kinds[u] for u in units if u in tree.kinds}
        cadres = sorted((c for u in units for c in by_unit.get(u, ())), key=lambda c: (-c.households, c.name))
        ahead = [d for d in app.campaign.upcoming_deadlines(today) if kinds & set(d.binds)]
        late = overdue_task_lines(app, admin, now)
        texts[admin.id] = digest_text(scope, cadres, ahead) + ("\n逾期未完成的任务：\n" + "\n".join(late) if late else "")
    report.added(reminder.key, insert_personal(app.db, reminder, texts, now))
