"""Looking up a cadre's households and pairings, with each household's visit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.clock import iso
from bot.store.progress import never_visited_is_overdue
from bot.vocabulary import CADRE_HOUSEHOLD


@dataclass(frozen=True)
class PairedHousehold:
    """A household paired with a cadre, with that cadre's visits to it."""

    id: str
    head_name: str
    county: str | None
    township: str | None
    village: str
    members: int | None
    phone: str | None
    notes: str | None
    last_visit: datetime | None  # UTC
    visit_count: int

    def overdue(self, now: datetime, interval_days: int, since: datetime | None = None) -> bool:
        """True when not visited within interval_days of now; never visited counts once the interval has run
        since `since` (the campaign's start), as the visit reminders count it."""
        if self.last_visit is None:
            return never_visited_is_overdue(now, since, interval_days)
        return now - self.last_visit > timedelta(days=interval_days)

    @property
    def place(self) -> str:
        """County, township and village as one line."""
        return "".join(part for part in (self.county, self.township, self.village) if part)


_HOUSEHOLDS_SQL = """
SELECT h.id, h.head_name, h.county, h.township, h.village, h.members, h.phone, h.notes,
       (SELECT MAX(v.visited_at) FROM visits v WHERE v.household_id = h.id AND v.cadre_id = p.cadre_id),
       (SELECT COUNT(*) FROM visits v WHERE v.household_id = h.id AND v.cadre_id = p.cadre_id)
FROM pairings p JOIN households h ON h.id = p.household_id
WHERE p.cadre_id = ? AND p.kind = ?
ORDER BY h.village, h.id
"""


def households_of(db: sqlite_utils.Database, cadre_id: str) -> list[PairedHousehold]:
    """Every household paired with the cadre (干部联户), in village order."""
    rows = db.execute(_HOUSEHOLDS_SQL, (cadre_id, CADRE_HOUSEHOLD)).fetchall()
    return [
        PairedHousehold(*row[:8], last_visit=datetime.fromisoformat(row[8]) if row[8] else None, visit_count=row[9])
        for row in rows
    ]


@dataclass(frozen=True)
class Pairing:
    """One pairing of any kind, as shown to the cadre."""

    kind: str
    target: str
    notes: str | None
    by_unit: bool  # the cadre's unit is the 联系方, not the cadre


def pairings_of(db: sqlite_utils.Database, cadre_id: str, unit_id: str) -> list[Pairing]:
    """The cadre's own pairings of every kind and those of the cadre's unit."""
    rows = db.execute(
        """
        SELECT p.kind, COALESCE(h.head_name || '户（' || h.village || '）', t.name), p.notes, p.unit_id IS NOT NULL
        FROM pairings p
        LEFT JOIN households h ON h.id = p.household_id
        LEFT JOIN targets t ON t.id = p.target_id
        WHERE p.cadre_id = ? OR p.unit_id = ?
        ORDER BY p.unit_id IS NOT NULL, p.kind, p.id
        """,
        (cadre_id, unit_id),
    ).fetchall()
    return [Pairing(kind, target, notes, bool(by_unit)) for kind, target, notes, by_unit in rows]


# A cadre's own visits count (as in households_of and bot/store/progress.py): another cadre's visit does not
# discharge this one's pairing.
_OVERDUE_SQL = """
SELECT p.cadre_id, h.head_name, COALESCE(h.county, '') || COALESCE(h.township, '') || h.village, MAX(v.visited_at)
FROM pairings p
JOIN households h ON h.id = p.household_id
LEFT JOIN visits v ON v.household_id = p.household_id AND v.cadre_id = p.cadre_id
WHERE p.kind = ? AND p.cadre_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.reminder_key = ? AND d.cadre_id = p.cadre_id)
GROUP BY p.id
HAVING (MAX(v.visited_at) IS NULL AND ?) OR MAX(v.visited_at) < ?
ORDER BY p.cadre_id, h.village, h.id
"""


@dataclass(frozen=True)
class OverduePairing:
    """A cadre's paired household not visited since the cutoff (last_visit None: never)."""

    cadre_id: str
    head_name: str
    place: str
    last_visit: datetime | None


def overdue_pairings(db: sqlite_utils.Database, cutoff: datetime, never_visited_counts: bool,
                     unless_reminded: str = "") -> list[OverduePairing]:
    """Every cadre's paired household last visited before cutoff (or never, when that counts), by cadre and village;
    cadres who already have the reminder `unless_reminded` are left out."""
    rows = db.execute(_OVERDUE_SQL, (CADRE_HOUSEHOLD, unless_reminded, never_visited_counts, iso(cutoff)))
    return [OverduePairing(*row[:3], datetime.fromisoformat(row[3]) if row[3] else None) for row in rows]
