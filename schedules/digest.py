"""The weekly digest for administrators: their cadres with overdue visits, and their units' deadlines still ahead."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.app import BotApp
from bot.vocabulary import OFFICE_ADMIN, UNIT_ADMIN
from schedules.plan_result import PlanReport
from bot.store.deliveries import insert_personal, key_planned
from schedules.texts import OverdueCadre, digest_text
from schedules.timekeeping import local_day
from schedules.visit_reminders import overdue_households, weekly_reminder


class UnitTree:
    """The units as a tree: names, kinds, and each unit's subtree."""

    def __init__(self, rows: list[tuple[str, str, str | None, str]]):
        self.names = {unit_id: name for unit_id, name, _, _ in rows}
        self.kinds = {unit_id: kind for unit_id, _, _, kind in rows}
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for unit_id, _, parent_id, _ in rows:
            self.children[parent_id].append(unit_id)

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
    rows = app.db.execute("SELECT c.id, c.name, c.unit_id, u.name FROM cadres c JOIN units u ON u.id = c.unit_id")
    for cadre_id, name, unit_id, unit_name in rows:
        if cadre_id in overdue:
            by_unit[unit_id].append(OverdueCadre(name, unit_name, len(overdue[cadre_id])))
    return by_unit


def plan_digests(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """Writes this week's digest for each 单位管理员 (their unit and below) and 活动办管理员 (the whole prefecture)."""
    reminder = weekly_reminder(app, now, "digest", app.settings.reminders.digest_weekday)
    if reminder is None or (only_new and key_planned(app.db, reminder.key)):
        return
    admins = app.db.execute(
        "SELECT id, unit_id, role FROM cadres c WHERE role IN (?, ?) AND NOT EXISTS "
        "(SELECT 1 FROM deliveries d WHERE d.reminder_key = ? AND d.cadre_id = c.id)",
        (UNIT_ADMIN, OFFICE_ADMIN, reminder.key)).fetchall()
    if not admins:  # every administrator has this week's digest: no need to count the overdue visits again
        return
    tree = UnitTree(app.db.execute("SELECT id, name, parent_id, kind FROM units").fetchall())
    by_unit = _overdue_by_unit(app, now)
    today = local_day(now, app.tz)
    texts = {}
    for cadre_id, unit_id, role in admins:
        whole = role == OFFICE_ADMIN
        units = list(tree.names) if whole else tree.subtree(unit_id)
        scope = "全州" if whole else f"{tree.names.get(unit_id, unit_id)}及下属单位"
        kinds = {tree.kinds[u] for u in units if u in tree.kinds}
        cadres = sorted((c for u in units for c in by_unit.get(u, ())), key=lambda c: (-c.households, c.name))
        ahead = [d for d in app.campaign.upcoming_deadlines(today) if kinds & set(d.binds)]
        texts[cadre_id] = digest_text(scope, cadres, ahead)
    report.added(reminder.key, insert_personal(app.db, reminder, texts, now))
