"""Looking up a cadre's households and pairings, with each household's visit record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.store.overdue import CLOCK_DAY_SQL, PAIRING_OVERDUE_SQL, OverdueRule
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
    last_visit: datetime | None  # UTC: the start of the latest visit that counts
    visit_count: int  # visits as people mean them (sessions), 需补充 ones left out
    clock_day: str = ""  # the Beijing day its overdue clock runs from (bot/store/overdue.py)

    def overdue(self, rule: OverdueRule, now: datetime) -> bool:
        """True when the one overdue rule says so at `now` (as the reminders, 进度 and the reports count)."""
        return rule.is_overdue(self.clock_day, now)

    @property
    def place(self) -> str:
        """County, township and village as one line."""
        return "".join(part for part in (self.county, self.township, self.village) if part)


_HOUSEHOLDS_SQL = f"""
SELECT h.id, h.head_name, h.county, h.township, h.village, h.members, h.phone, h.notes, p.last_visit_at,
       (SELECT COUNT(*) FROM visit_sessions s WHERE s.household_id = h.id AND s.cadre_id = p.cadre_id
           AND s.review_state <> '需补充'),
       {CLOCK_DAY_SQL.format(p="p")}
FROM pairings p JOIN households h ON h.id = p.household_id
WHERE p.cadre_id = ? AND p.kind = ?
ORDER BY h.village, h.id
"""


def households_of(db: sqlite_utils.Database, cadre_id: str) -> list[PairedHousehold]:
    """Every household paired with the cadre (干部联户), in village order."""
    rows = db.execute(_HOUSEHOLDS_SQL, (cadre_id, CADRE_HOUSEHOLD)).fetchall()
    return [
        PairedHousehold(*row[:8], last_visit=datetime.fromisoformat(row[8]) if row[8] else None, visit_count=row[9],
                        clock_day=row[10])
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


# A cadre's own visits count (pairings.last_visit_at, kept by triggers from the cadre's sessions): another cadre's
# visit does not discharge this one's pairing.
_OVERDUE_SQL = f"""
SELECT p.cadre_id, h.head_name, COALESCE(h.county, '') || COALESCE(h.township, '') || h.village, p.last_visit_at
FROM pairings p
JOIN households h ON h.id = p.household_id
WHERE p.kind = :kind AND p.cadre_id IS NOT NULL AND {PAIRING_OVERDUE_SQL}
  AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.reminder_key = :reminder AND d.cadre_id = p.cadre_id)
ORDER BY p.cadre_id, h.village, h.id
"""


@dataclass(frozen=True)
class OverduePairing:
    """A cadre's paired household overdue for a visit (last_visit None: never visited)."""

    cadre_id: str
    head_name: str
    place: str
    last_visit: datetime | None


def overdue_pairings(db: sqlite_utils.Database, rule: OverdueRule, now: datetime,
                     unless_reminded: str = "") -> list[OverduePairing]:
    """Every cadre's paired household overdue at `now` by the one rule, by cadre and village; cadres who already
    have the reminder `unless_reminded` are left out."""
    rows = db.execute(_OVERDUE_SQL, {"kind": CADRE_HOUSEHOLD, "reminder": unless_reminded, **rule.params(now)})
    return [OverduePairing(*row[:3], datetime.fromisoformat(row[3]) if row[3] else None) for row in rows]
