"""The detail rows the progress report lists for a unit's subtree: visits, reminders that did not arrive, bindings
gone inactive. root_unit None means every unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.store.progress import in_unit_subtree

_SUBTREE = in_unit_subtree("c.unit_id")

_VISITS_SQL = """
SELECT v.visited_at, c.id, c.name, u.name, h.id, h.head_name, h.village,
       (SELECT COUNT(*) FROM photos p WHERE p.visit_id = v.id), v.latitude, v.longitude, v.note
FROM visits v JOIN cadres c ON c.id = v.cadre_id JOIN units u ON u.id = c.unit_id
JOIN households h ON h.id = v.household_id
{scope}
ORDER BY v.visited_at
"""

_UNDELIVERED_SQL = """
SELECT d.due_at, c.id, c.name, d.kind, d.channel, d.status, d.last_error
FROM deliveries d JOIN cadres c ON c.id = d.cadre_id
WHERE d.status IN ('failed', 'undeliverable', 'expired') {scope}
ORDER BY d.due_at
"""

_INACTIVE_SQL = """
SELECT b.channel, c.id, c.name, b.inactive_reason, b.last_seen_at
FROM bindings b JOIN cadres c ON c.id = b.cadre_id
WHERE b.active = 0 {scope}
ORDER BY c.id
"""


@dataclass(frozen=True)
class VisitRecord:
    """One recorded visit, with who made it and where."""

    visited_at: datetime
    cadre_id: str
    cadre_name: str
    unit_name: str
    household_id: str
    head_name: str
    village: str
    photos: int
    latitude: float | None
    longitude: float | None
    note: str | None


@dataclass(frozen=True)
class UndeliveredReminder:
    """A reminder that failed, could not be delivered, or expired unsent."""

    due_at: datetime
    cadre_id: str
    cadre_name: str
    kind: str
    channel: str | None
    status: str
    last_error: str | None


@dataclass(frozen=True)
class InactiveBinding:
    """A chat binding that no longer works, and why."""

    channel: str
    cadre_id: str
    cadre_name: str
    reason: str | None
    last_seen_at: datetime | None


def _where(root_unit: str | None, keyword: str) -> tuple[str, dict]:
    return ("", {}) if root_unit is None else (f"{keyword} {_SUBTREE}", {"root": root_unit})


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def visit_count(db: sqlite_utils.Database, root_unit: str | None) -> int:
    """How many visits the subtree's cadres recorded."""
    where, params = _where(root_unit, "WHERE")
    return db.execute(f"SELECT COUNT(*) FROM visits v JOIN cadres c ON c.id = v.cadre_id {where}", params).fetchone()[0]


def visit_records(db: sqlite_utils.Database, root_unit: str | None) -> list[VisitRecord]:
    """Every visit of the subtree's cadres, oldest first."""
    where, params = _where(root_unit, "WHERE")
    return [VisitRecord(_moment(r[0]), *r[1:]) for r in db.execute(_VISITS_SQL.format(scope=where), params)]


def undelivered_reminders(db: sqlite_utils.Database, root_unit: str | None) -> list[UndeliveredReminder]:
    """The reminders to the subtree's cadres that did not arrive, by due time."""
    where, params = _where(root_unit, "AND")
    return [UndeliveredReminder(_moment(r[0]), *r[1:]) for r in db.execute(_UNDELIVERED_SQL.format(scope=where), params)]


def inactive_bindings(db: sqlite_utils.Database, root_unit: str | None) -> list[InactiveBinding]:
    """The subtree's bindings gone inactive, by cadre."""
    where, params = _where(root_unit, "AND")
    return [InactiveBinding(*r[:4], _moment(r[4])) for r in db.execute(_INACTIVE_SQL.format(scope=where), params)]
