"""Progress of the visits programme for a unit and everything under it: who is behind, unit by unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlite_utils

from bot.store.overdue import PAIRING_OVERDUE_SQL, OverdueRule, local_day
from bot.vocabulary import CADRE_HOUSEHOLD


def in_unit_subtree(unit_column: str) -> str:
    """A SQL condition: unit_column is the unit bound as :root or a unit below it (UNION, so a cycle still ends)."""
    return (f"{unit_column} IN (WITH RECURSIVE subtree(id) AS (SELECT id FROM units WHERE id = :root UNION "
            "SELECT u.id FROM units u JOIN subtree s ON u.parent_id = s.id) SELECT id FROM subtree)")


# Visits are sessions that count (pairings.last_visit_at, kept by triggers); overdue is the one rule.
_CADRES_SQL = f"""
SELECT c.id, c.name, u.name,
       COUNT(p.household_id),
       SUM({PAIRING_OVERDUE_SQL}),
       COUNT(p.last_visit_at),
       MAX(p.last_visit_at),
       EXISTS (SELECT 1 FROM bindings b WHERE b.cadre_id = c.id AND b.active = 1)
FROM cadres c
JOIN units u ON u.id = c.unit_id
JOIN pairings p ON p.cadre_id = c.id AND p.kind = :kind
WHERE {{scope}}
GROUP BY c.id
ORDER BY 5 DESC, u.id, c.id
"""


@dataclass(frozen=True)
class CadreProgress:
    """One cadre's households and how many are overdue for a visit."""

    cadre_id: str
    name: str
    unit_name: str
    households: int
    overdue: int
    visited: int  # households visited at least once
    last_visit: datetime | None
    bound: bool


def cadre_progress(db: sqlite_utils.Database, root_unit: str | None, now: datetime,
                   interval_days: int, since: datetime | None = None) -> list[CadreProgress]:
    """Every cadre with paired households in the subtree of root_unit (all when None), most overdue first.

    Overdue is the one rule (bot/store/overdue.py), its clock never before `since` (the campaign's start)."""
    rule = OverdueRule(interval_days, local_day(since) if since else date.min)
    if root_unit is None:
        sql, params = _CADRES_SQL.format(scope="1 = 1"), {}
    else:
        sql, params = _CADRES_SQL.format(scope=in_unit_subtree("c.unit_id")), {"root": root_unit}
    rows = db.execute(sql, {**params, **rule.params(now), "kind": CADRE_HOUSEHOLD}).fetchall()
    return [
        CadreProgress(cid, name, unit, total, overdue, visited, datetime.fromisoformat(last) if last else None,
                      bool(bound))
        for cid, name, unit, total, overdue, visited, last, bound in rows
    ]
