"""What an administrator oversees, as SQL: units, cadres, households and visits of a scope, and who sees what.

单位管理员: their unit and every unit below it; 活动办管理员: everything; a cadre: no scope. A unit's subtree is one
range of units.path (a materialised path kept by triggers, migration 50), so every query here starts from an
index range instead of walking the tree. Households are in scope through their 干部联户 pairing's cadre; visits
through the cadre who made them. Phones and notes of a household go only to its own cadre (`for_viewer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
import json
from datetime import date, datetime, timedelta, timezone

import sqlite_utils

from bot.db import transaction
from bot.migrations import CLOCK_DAY, has_clock_day_index, rebuild_progress_counts
from bot.store.overdue import NOT_OVERDUE_FROM_SQL, OVERDUE_SQL, PAIRING_OVERDUE_SQL, OverdueRule
from bot.vocabulary import CADRE_HOUSEHOLD, OFFICE_ADMIN, UNIT_ADMIN

NEEDS_MORE = "需补充"


@dataclass(frozen=True)
class Scope:
    """The units an administrator oversees: the subtree of root_unit, or every unit when root_unit is None."""

    viewer_id: str
    role: str
    root_unit: str | None
    path: str | None  # root_unit's materialised path, '/U00/U01/'

    @property
    def everything(self) -> bool:
        """True for the campaign office (活动办管理员)."""
        return self.root_unit is None


def scope_of(db: sqlite_utils.Database, cadre_id: str) -> Scope | None:
    """The scope of an administrator; None for a cadre who administers nothing (or is unknown)."""
    row = db.execute("SELECT c.role, c.unit_id, u.path FROM cadres c JOIN units u ON u.id = c.unit_id "
                     "WHERE c.id = ?", (cadre_id,)).fetchone()
    if row is None or row[0] not in (UNIT_ADMIN, OFFICE_ADMIN):
        return None
    role, unit_id, path = row
    return Scope(cadre_id, role, None, None) if role == OFFICE_ADMIN else Scope(cadre_id, role, unit_id, path)


def unit_scope(db: sqlite_utils.Database, unit_id: str | None, viewer_id: str = "") -> Scope | None:
    """The scope of a unit and everything below it (the whole tree when unit_id is None), as `report --unit` means
    it; None for an unknown unit."""
    if unit_id is None:
        return Scope(viewer_id, OFFICE_ADMIN, None, None)
    row = db.execute("SELECT path FROM units WHERE id = ?", (unit_id,)).fetchone()
    return Scope(viewer_id, UNIT_ADMIN, unit_id, row[0]) if row else None


def path_range(path: str) -> tuple[str, str]:
    """[low, high) of the paths below and including path: '/' is followed by '0' in code-point order."""
    return path, path[:-1] + "0"


def units_condition(scope: Scope, alias: str = "u") -> tuple[str, dict]:
    """A SQL condition on units alias (with its named parameters) true for the units of the scope."""
    if scope.everything:
        return "1 = 1", {}
    low, high = path_range(scope.path)
    return f"{alias}.path >= :scope_low AND {alias}.path < :scope_high", {"scope_low": low, "scope_high": high}


# Of all units: above this share, walking an index in the order asked (newest visit, oldest clock) and keeping the
# rows in scope fills a page sooner than reading the whole scope and sorting it.
LARGE_SCOPE_SHARE = 0.02


def _large(db: sqlite_utils.Database, scope: Scope) -> bool:
    if scope.everything:
        return True
    low, high = path_range(scope.path)
    units = db.execute("SELECT COUNT(*) FROM units WHERE path >= ? AND path < ?", (low, high)).fetchone()[0]
    return units > LARGE_SCOPE_SHARE * db.execute("SELECT COUNT(*) FROM units").fetchone()[0]


# ---- units and cadres ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitRow:
    """A unit of the scope, with its depth below the scope's root (0 for the root)."""

    id: str
    name: str
    parent_id: str | None
    kind: str
    depth: int


def units_in_scope(db: sqlite_utils.Database, scope: Scope) -> list[UnitRow]:
    """Every unit of the scope, depth-first (by path)."""
    where, params = units_condition(scope)
    base = 2 if scope.everything else scope.path.count("/")  # the slashes of a root's path
    rows = db.execute(f"SELECT id, name, parent_id, kind, path FROM units u WHERE {where} ORDER BY path", params)
    return [UnitRow(uid, name, parent, kind, path.count("/") - base) for uid, name, parent, kind, path in rows]


def unit_in_scope(db: sqlite_utils.Database, scope: Scope, unit_id: str) -> bool:
    """Whether the unit is in the scope."""
    where, params = units_condition(scope)
    return db.execute(f"SELECT 1 FROM units u WHERE u.id = :unit AND {where}", {**params, "unit": unit_id}).fetchone() \
        is not None


def narrowed(db: sqlite_utils.Database, scope: Scope, unit_id: str) -> Scope | None:
    """The scope's administrator acting on one unit of it and everything below it; None when the unit is not in it."""
    if not unit_in_scope(db, scope, unit_id):
        return None
    path = db.execute("SELECT path FROM units WHERE id = ?", (unit_id,)).fetchone()[0]
    return Scope(scope.viewer_id, scope.role, unit_id, path)


@dataclass(frozen=True)
class CadreRow:
    """A cadre of the scope."""

    id: str
    name: str
    unit_id: str
    unit_name: str
    role: str


def cadres_in_scope(db: sqlite_utils.Database, scope: Scope, limit: int = 50, offset: int = 0) -> list[CadreRow]:
    """A page of the cadres of the scope's units, by unit then id."""
    where, params = units_condition(scope)
    rows = db.execute(f"SELECT c.id, c.name, u.id, u.name, c.role FROM units u CROSS JOIN cadres c ON c.unit_id = u.id "
                      f"WHERE {where} ORDER BY u.path, c.id LIMIT :limit OFFSET :offset",
                      {**params, "limit": limit, "offset": offset})
    return [CadreRow(*row) for row in rows]


def count_cadres(db: sqlite_utils.Database, scope: Scope) -> int:
    """How many cadres the scope's units have."""
    where, params = units_condition(scope)
    return db.execute(f"SELECT COUNT(*) FROM units u CROSS JOIN cadres c ON c.unit_id = u.id WHERE {where}",
                      params).fetchone()[0]


def cadre_in_scope(db: sqlite_utils.Database, scope: Scope, cadre_id: str) -> bool:
    """Whether the cadre belongs to a unit of the scope."""
    where, params = units_condition(scope)
    return db.execute(f"SELECT 1 FROM cadres c JOIN units u ON u.id = c.unit_id WHERE c.id = :cadre AND {where}",
                      {**params, "cadre": cadre_id}).fetchone() is not None


# ---- households, and what a viewer may see of them ----------------------------------------------------------------

@dataclass(frozen=True)
class HouseholdRow:
    """A household paired with a cadre (干部联户), as its cadre sees it; see for_viewer() for anyone else."""

    id: str
    head_name: str
    county: str | None
    township: str | None
    village: str
    cadre_id: str
    cadre_name: str
    last_visit: str | None  # UTC, the latest visit that counts
    phone: str | None
    notes: str | None


def for_viewer(household: HouseholdRow, viewer_id: str) -> HouseholdRow:
    """The household as viewer_id may see it: phone and notes only for its own cadre, stripped for anyone else."""
    return household if viewer_id == household.cadre_id else replace(household, phone=None, notes=None)


_HOUSEHOLDS_SQL = """
SELECT h.id, h.head_name, h.county, h.township, h.village, c.id, c.name, p.last_visit_at, h.phone, h.notes
FROM units u CROSS JOIN cadres c ON c.unit_id = u.id
JOIN pairings p ON p.cadre_id = c.id AND p.kind = :kind
JOIN households h ON h.id = p.household_id
WHERE {where}
ORDER BY u.path, c.id, h.id
LIMIT :limit OFFSET :offset
"""


def households_in_scope(db: sqlite_utils.Database, scope: Scope, limit: int = 50,
                        offset: int = 0) -> list[HouseholdRow]:
    """A page of the households paired with the scope's cadres, phones and notes already stripped for the viewer."""
    where, params = units_condition(scope)
    rows = db.execute(_HOUSEHOLDS_SQL.format(where=where),
                      {**params, "kind": CADRE_HOUSEHOLD, "limit": limit, "offset": offset})
    return [for_viewer(HouseholdRow(*row), scope.viewer_id) for row in rows]


def household_in_scope(db: sqlite_utils.Database, scope: Scope, household_id: str) -> bool:
    """Whether a cadre of the scope is paired with the household."""
    where, params = units_condition(scope)
    return db.execute(f"SELECT 1 FROM pairings p JOIN cadres c ON c.id = p.cadre_id JOIN units u ON u.id = c.unit_id "
                      f"WHERE p.household_id = :household AND p.kind = :kind AND {where} LIMIT 1",
                      {**params, "household": household_id, "kind": CADRE_HOUSEHOLD}).fetchone() is not None


# ---- visits (sessions) ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VisitRow:
    """A visit (session of photos) of the scope, as a reviewer sees it."""

    session_id: int
    cadre_id: str
    cadre_name: str
    household_id: str
    head_name: str
    village: str
    started_at: str  # UTC
    photos: int
    review_state: str


# As for overdue households (below), two plans: a large scope walks the visits newest first and stops at the page;
# a small one reads its own cadres' visits and sorts them.
_VISIT_COLUMNS = """s.id, c.id, c.name, h.id, h.head_name, h.village, s.started_at,
       (SELECT COUNT(*) FROM visits v JOIN photos ph ON ph.visit_id = v.id WHERE v.session_id = s.id),
       s.review_state"""
_VISIT_FILTER = """s.started_at >= :since AND (:state IS NULL OR s.review_state = :state)
  AND (:before IS NULL OR (s.started_at, s.id) < (:before_at, :before))"""
_VISITS_BY_TIME = f"""
SELECT {_VISIT_COLUMNS}
FROM visit_sessions s INDEXED BY idx_sessions_started
CROSS JOIN cadres c ON c.id = s.cadre_id CROSS JOIN units u ON u.id = c.unit_id
JOIN households h ON h.id = s.household_id
WHERE {{where}} AND {_VISIT_FILTER}
ORDER BY s.started_at DESC, s.id DESC
LIMIT :limit
"""
_VISITS_BY_SCOPE = f"""
SELECT {_VISIT_COLUMNS}
FROM units u CROSS JOIN cadres c ON c.unit_id = u.id
CROSS JOIN visit_sessions s ON s.cadre_id = c.id
JOIN households h ON h.id = s.household_id
WHERE {{where}} AND {_VISIT_FILTER}
ORDER BY s.started_at DESC, s.id DESC
LIMIT :limit
"""


def visits_in_scope(db: sqlite_utils.Database, scope: Scope, since: datetime, *, state: str | None = None,
                    limit: int = 10, after: VisitRow | None = None) -> list[VisitRow]:
    """A page of the scope's visits since `since`, newest first; `after` is the last row of the previous page."""
    where, params = units_condition(scope)
    sql = _VISITS_BY_TIME if _large(db, scope) else _VISITS_BY_SCOPE
    rows = db.execute(sql.format(where=where), {
        **params, "since": since.astimezone(timezone.utc).isoformat(), "state": state, "limit": limit,
        "before": after.session_id if after else None, "before_at": after.started_at if after else None})
    return [VisitRow(*row) for row in rows]


def session_in_scope(db: sqlite_utils.Database, scope: Scope, session_id: int) -> bool:
    """Whether the visit (session) was made by a cadre of the scope: a review outside it is refused."""
    where, params = units_condition(scope)
    return db.execute(f"SELECT 1 FROM visit_sessions s JOIN cadres c ON c.id = s.cadre_id "
                      f"JOIN units u ON u.id = c.unit_id WHERE s.id = :session AND {where}",
                      {**params, "session": session_id}).fetchone() is not None


# ---- progress by unit ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitProgress:
    """Households of one unit's subtree (a unit right below the scope's root, or the root itself): how many paired,
    visited at least once, and overdue."""

    unit_id: str
    name: str
    households: int
    visited: int
    overdue: int


def overdue_params(now: datetime, interval_days: int, campaign_start: date) -> dict:
    """The parameters of OVERDUE and OVERDUE_COUNTS (bot/store/overdue.py's one rule)."""
    return OverdueRule(interval_days, campaign_start).params(now)


# The one overdue rule (bot/store/overdue.py) over progress_counts and over pairings.
OVERDUE_COUNTS = OVERDUE_SQL.format(clock_day="clock_day")
OVERDUE = PAIRING_OVERDUE_SQL

# Per unit: its totals (progress_totals), less the households whose clock day is not overdue (recent days only).
_PROGRESS_SQL = f"""
SELECT t.unit_id, t.households, t.visited,
       t.households - (SELECT COALESCE(SUM(c.households), 0) FROM progress_counts c
                        WHERE c.unit_id = t.unit_id AND c.visited IN (0, 1) AND c.clock_day >= {NOT_OVERDUE_FROM_SQL})
FROM (SELECT unit_id, SUM(households) AS households, SUM(CASE WHEN visited THEN households ELSE 0 END) AS visited
        FROM progress_totals WHERE unit_id IN (SELECT value FROM json_each(:units)) GROUP BY unit_id) t
"""


def progress_by_unit(db: sqlite_utils.Database, scope: Scope, now: datetime, interval_days: int,
                     campaign_start: date) -> list[UnitProgress]:
    """Per unit right below the scope's root (and the root's own cadres under the root's name), the households'
    progress; for the office, the units below the top unit. Most overdue first."""
    _fresh_counts(db)
    root = _breakdown_root(db, scope)
    parts = db.execute("SELECT id, name FROM units WHERE parent_id = ?" if root else
                       "SELECT id, name FROM units WHERE path = '/' || id || '/'", (root,) if root else ()).fetchall()
    names = dict(parts) | (dict(db.execute("SELECT id, name FROM units WHERE id = ?", (root,))) if root else {})
    figures = {unit: (total, visited, overdue) for unit, total, visited, overdue in db.execute(
        _PROGRESS_SQL, {"units": json.dumps(list(names)), **overdue_params(now, interval_days, campaign_start)})}
    rows = [UnitProgress(unit, names[unit], *figures[unit]) for unit, _ in parts if unit in figures]
    if root in figures:  # the root's own cadres: its subtree less its children's
        own = [a - sum(f[i] for u, f in figures.items() if u != root) for i, a in enumerate(figures[root])]
        if own[0]:
            rows.append(UnitProgress(root, names[root], *own))
    return sorted([r for r in rows if r.households], key=lambda r: (-r.overdue, r.unit_id))


def _fresh_counts(db: sqlite_utils.Database) -> None:
    """Rebuilds progress_counts when they are stale (an import or a move of units did not finish counting); the
    import and the migrations rebuild them themselves, so this is the rare case of one cut off."""
    rebuild_if_stale(db, ("progress_state", rebuild_progress_counts))


def rebuild_if_stale(db: sqlite_utils.Database, *counts: tuple[str, Callable[[sqlite_utils.Database], None]]) -> None:
    """Rebuilds each trigger-kept count whose state table (one of ours, named in code) says stale, in one
    transaction, asking again inside it: another writer may have just rebuilt."""
    def stale() -> list[bool]:
        return [bool(db.execute(f"SELECT stale FROM {table}").fetchone()[0]) for table, _ in counts]

    if any(stale()):
        with transaction(db):
            for (_, rebuild), is_stale in zip(counts, stale()):
                if is_stale:
                    rebuild(db)


def _breakdown_root(db: sqlite_utils.Database, scope: Scope) -> str | None:
    """The unit whose children the progress is broken down by: the scope's root; for the office the one top unit
    (活动办) when the tree has a single root, else None (the roots themselves)."""
    if not scope.everything:
        return scope.root_unit
    roots = db.execute("SELECT id FROM units WHERE path = '/' || id || '/' LIMIT 2").fetchall()
    return roots[0][0] if len(roots) == 1 else None


def total_progress(rows: list[UnitProgress]) -> UnitProgress:
    """The scope's total over progress_by_unit's rows."""
    return UnitProgress("", "合计", sum(r.households for r in rows), sum(r.visited for r in rows),
                        sum(r.overdue for r in rows))


# ---- overdue households, worst first ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class OverdueRow:
    """A household overdue for a visit, with its cadre: what "谁没走访" lists (no phone, no notes)."""

    household_id: str
    head_name: str
    village: str
    cadre_id: str
    cadre_name: str
    unit_name: str
    last_visit: str | None  # UTC; None: never visited
    clock_day: str = ""  # the Beijing day its overdue clock runs from ('': the campaign's start)


# Two plans for one question. A large scope (the office, a county) walks the pairings by clock day, oldest first,
# and stops at the page: most rows it meets are in scope. A small scope (a branch) reads its own pairings and sorts
# them. Either way the worst come first: the earliest clock day, visited or not.
_CLOCK = CLOCK_DAY.format(p="p")
_OVERDUE_COLUMNS = f"h.id, h.head_name, h.village, c.id, c.name, u.name, p.last_visit_at, {_CLOCK}"
_OVERDUE_BY_CLOCK = f"""
SELECT {_OVERDUE_COLUMNS}
FROM pairings p INDEXED BY idx_pairings_kind_clock_day
CROSS JOIN cadres c ON c.id = p.cadre_id CROSS JOIN units u ON u.id = c.unit_id
CROSS JOIN households h ON h.id = p.household_id
WHERE p.kind = :kind AND {_CLOCK} < :cutoff_day AND {{where}} AND {OVERDUE}
ORDER BY {_CLOCK}, p.id
LIMIT :limit OFFSET :offset
"""
_OVERDUE_BY_SCOPE = f"""
SELECT {_OVERDUE_COLUMNS}
FROM units u CROSS JOIN cadres c ON c.unit_id = u.id
CROSS JOIN pairings p ON p.cadre_id = c.id AND p.kind = :kind
JOIN households h ON h.id = p.household_id
WHERE {{where}} AND {OVERDUE}
ORDER BY {_CLOCK}, p.id
LIMIT :limit OFFSET :offset
"""


def overdue_households(db: sqlite_utils.Database, scope: Scope, now: datetime, interval_days: int,
                       campaign_start: date, limit: int = 20, offset: int = 0) -> list[OverdueRow]:
    """A page of the scope's overdue households, the earliest clock day (last visit, or pairing) first."""
    where, params = units_condition(scope)
    # while a large import writes, the index by clock day is not there: the scope's own pairings are read instead
    sql = _OVERDUE_BY_CLOCK if _large(db, scope) and has_clock_day_index(db) else _OVERDUE_BY_SCOPE
    rows = db.execute(sql.format(where=where), {
        **params, **overdue_params(now, interval_days, campaign_start), "kind": CADRE_HOUSEHOLD,
        "limit": limit, "offset": offset})
    return [OverdueRow(*row) for row in rows]
