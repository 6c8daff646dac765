"""What the console's 任务 page reads: the scope's units of the kinds the campaign's deadlines bind, each with the
tasks it reported done (unit_task_completions) and their evidence, paged by unit path."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from bot.store.scopes import Scope, units_condition


@dataclass(frozen=True)
class Completion:
    """A task a unit reported done: when, by whom, with what evidence."""

    deadline_id: str
    reported_at: str  # UTC
    reported_by: str
    reporter_name: str
    evidence_kind: str | None
    evidence_name: str | None
    note: str | None


@dataclass(frozen=True)
class TaskUnit:
    """A unit of the 任务 grid with its completions by deadline id."""

    unit_id: str
    name: str
    kind: str
    path: str  # the keyset cursor
    done: dict[str, Completion]


def task_totals(db: sqlite_utils.Database, scope: Scope, deadline_id: str, kinds: tuple[str, ...]) -> tuple[int, int]:
    """(units of the scope the deadline binds, how many of them reported it done)."""
    where, params = units_condition(scope)
    return db.execute(
        f"SELECT COUNT(*), COUNT(t.unit_id) FROM units u LEFT JOIN unit_task_completions t "
        f"ON t.unit_id = u.id AND t.deadline_id = :deadline "
        f"WHERE {where} AND u.kind IN (SELECT value FROM json_each(:kinds))",
        {**params, "deadline": deadline_id, "kinds": json.dumps(list(kinds))}).fetchone()


def task_units(db: sqlite_utils.Database, scope: Scope, kinds: tuple[str, ...], after_path: str | None,
               limit: int, missing: str | None = None) -> list[TaskUnit]:
    """A page of the scope's units of these kinds by path, after the cursor; with `missing`, only the units that
    have not reported that deadline done."""
    where, params = units_condition(scope)
    units = db.execute(
        f"SELECT u.id, u.name, u.kind, u.path FROM units u WHERE {where} "
        f"AND u.kind IN (SELECT value FROM json_each(:kinds)) AND (:after IS NULL OR u.path > :after) "
        f"AND (:missing IS NULL OR NOT EXISTS (SELECT 1 FROM unit_task_completions t "
        f"                                      WHERE t.unit_id = u.id AND t.deadline_id = :missing)) "
        f"ORDER BY u.path LIMIT :limit",
        {**params, "kinds": json.dumps(list(kinds)), "after": after_path, "missing": missing, "limit": limit}).fetchall()
    done: dict[str, dict[str, Completion]] = {}
    for unit_id, *info in db.execute(
            "SELECT t.unit_id, t.deadline_id, t.reported_at, t.reported_by, COALESCE(c.name, t.reported_by), "
            "t.evidence_kind, t.evidence_name, t.note FROM unit_task_completions t "
            "LEFT JOIN cadres c ON c.id = t.reported_by WHERE t.unit_id IN (SELECT value FROM json_each(?))",
            (json.dumps([u[0] for u in units]),)):
        done.setdefault(unit_id, {})[info[0]] = Completion(*info)
    return [TaskUnit(*u, done.get(u[0], {})) for u in units]


def evidence_in_scope(db: sqlite_utils.Database, scope: Scope, unit_id: str, deadline_id: str) -> tuple[str, str] | None:
    """(stored path relative to the photos folder, file name as sent) of a task's evidence when its unit lies in the
    scope; None otherwise."""
    where, params = units_condition(scope)
    return db.execute(
        f"SELECT t.evidence_path, COALESCE(t.evidence_name, 'evidence') FROM unit_task_completions t "
        f"JOIN units u ON u.id = t.unit_id WHERE t.unit_id = :unit AND t.deadline_id = :deadline "
        f"AND t.evidence_path IS NOT NULL AND {where}",
        {**params, "unit": unit_id, "deadline": deadline_id}).fetchone()
