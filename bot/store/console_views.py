"""What the web console's 概览, 单位 and 提醒 pages read, limited to a scope (bot/store/scopes.py).

Figures by unit subtree come from counts kept by triggers (progress_counts: households; cadre_counts: cadres;
visit_hour_counts: visits), so a page reads a few rows per unit shown, at any scale. Households appear with head,
township, village and visit dates only: phones and notes are their cadre's alone."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlite_utils

from bot.db import transaction
from bot.migrations import rebuild_console_counts, rebuild_progress_counts
from bot.store.deliveries import KIND_NAMES, STATUS_NAMES, STATUSES
from bot.store.overdue import OVERDUE_SQL, OverdueRule
from bot.store.scopes import OVERDUE, OVERDUE_COUNTS, Scope, rebuild_if_stale, units_condition
from bot.store.scopes import _large  # the same choice of plan as the scope queries': walk by order, or sort the scope
from bot.vocabulary import CADRE_HOUSEHOLD

MAX_WEEKS_CHARTED = 26


@dataclass(frozen=True)
class Clockwork:
    """The moment a page is computed for and the one overdue rule's terms (bot/store/overdue.py)."""

    now: datetime
    interval_days: int
    campaign_start: date

    def params(self) -> dict:
        """The SQL parameters of the overdue rule at `now` (cutoff_day, start_day)."""
        return OverdueRule(self.interval_days, self.campaign_start).params(self.now)


@dataclass(frozen=True)
class Figures:
    """Of a unit subtree: cadres with paired households, those households, how many were visited within the
    interval (covered), how many are overdue, and the cadres with an overdue household."""

    cadres: int = 0
    households: int = 0
    covered: int = 0
    overdue: int = 0
    cadres_behind: int = 0

    @property
    def coverage(self) -> float:
        """Households visited within the interval over households paired (0 when none are paired)."""
        return self.covered / self.households if self.households else 0.0

    def __sub__(self, other: Figures) -> Figures:
        return Figures(*(a - b for a, b in zip(self.astuple(), other.astuple())))

    def __add__(self, other: Figures) -> Figures:
        return Figures(*(a + b for a, b in zip(self.astuple(), other.astuple())))

    def astuple(self) -> tuple[int, ...]:
        """The five counts in field order."""
        return self.cadres, self.households, self.covered, self.overdue, self.cadres_behind


def fresh_counts(db: sqlite_utils.Database) -> None:
    """Rebuilds the trigger-kept counts the console reads when units moved or were imported since."""
    rebuild_if_stale(db, ("progress_state", rebuild_progress_counts), ("console_counts_state", rebuild_console_counts))


# Covered: visited (a counted visit) and not overdue by the one rule; a household is covered, overdue, or neither
# (never visited and its clock not yet run out).
_COVERED = f"visited AND NOT ({OVERDUE_COUNTS})"
# Behind: the cadre's oldest clock day, visited or not, is overdue ('~', no day, never is).
_CADRE_BEHIND = OVERDUE_SQL.format(clock_day="min(oldest_visited, oldest_unvisited)")
_CLOCK_BEHIND = OVERDUE_SQL.format(clock_day="k.oldest")  # the same over cadre_clocks k
_HOUSEHOLD_FIGURES = f"""
SELECT unit_id, SUM(households), SUM(CASE WHEN {_COVERED} THEN households ELSE 0 END),
       SUM(CASE WHEN {OVERDUE_COUNTS} THEN households ELSE 0 END)
FROM progress_counts WHERE unit_id IN (SELECT value FROM json_each(:units)) GROUP BY unit_id
"""
_CADRE_FIGURES = f"""
SELECT unit_id, SUM(cadres), SUM(CASE WHEN {_CADRE_BEHIND} THEN cadres ELSE 0 END)
FROM cadre_counts WHERE unit_id IN (SELECT value FROM json_each(:units)) GROUP BY unit_id
"""


def subtree_figures(db: sqlite_utils.Database, unit_ids: list[str], clock: Clockwork) -> dict[str, Figures]:
    """The figures of each unit's whole subtree (the unit and everything below it)."""
    fresh_counts(db)
    params = {"units": json.dumps(unit_ids), **clock.params()}
    households = {r[0]: r[1:] for r in db.execute(_HOUSEHOLD_FIGURES, params)}
    cadres = {r[0]: r[1:] for r in db.execute(_CADRE_FIGURES, params)}
    result = {}
    for unit in unit_ids:
        (total, covered, overdue), (count, behind) = households.get(unit, (0, 0, 0)), cadres.get(unit, (0, 0))
        result[unit] = Figures(count, total, covered, overdue, behind)
    return result


# ---- units --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    """A unit of the roster."""

    unit_id: str
    name: str
    parent_id: str | None
    kind: str


@dataclass(frozen=True)
class Breakdown:
    """A unit (or, for an office over several roots, None) with the units right below it and each one's figures:
    `own` is the root's own cadres' part, `total` the root's whole subtree."""

    root: Unit | None
    children: list[Unit]
    figures: dict[str, Figures]  # by child unit id: its whole subtree
    own: Figures  # the root's own cadres
    total: Figures  # the root's whole subtree
    grandchildren: dict[str, int]  # by child unit id: how many units are right below it


_UNIT_COLUMNS = "SELECT id, name, parent_id, kind FROM units"


def top_units(db: sqlite_utils.Database) -> list[Unit]:
    """The units with no parent in the roster (normally the campaign office alone)."""
    return [Unit(*r) for r in db.execute(f"{_UNIT_COLUMNS} WHERE path = '/' || id || '/' ORDER BY id")]


def unit_in_scope(db: sqlite_utils.Database, scope: Scope, unit_id: str) -> Unit | None:
    """The unit when it lies in the scope, else None (the page then answers 404)."""
    where, params = units_condition(scope)
    row = db.execute(f"SELECT id, name, parent_id, kind FROM units u WHERE id = :unit AND {where}",
                     {**params, "unit": unit_id}).fetchone()
    return Unit(*row) if row else None


def path_in_scope(db: sqlite_utils.Database, scope: Scope, unit_id: str) -> list[Unit]:
    """The units from the scope's root down to unit_id (a breadcrumb that never leaves the scope)."""
    row = db.execute("SELECT path FROM units WHERE id = ?", (unit_id,)).fetchone()
    if row is None:
        return []
    ids = row[0].strip("/").split("/")
    if not scope.everything:
        ids = ids[ids.index(scope.root_unit):] if scope.root_unit in ids else []
    units = {r[0]: Unit(*r) for r in db.execute(f"{_UNIT_COLUMNS} WHERE id IN (SELECT value FROM json_each(?))",
                                                (json.dumps(ids),))}
    return [units[i] for i in ids if i in units]


def child_units(db: sqlite_utils.Database, root: Unit | None, limit: int) -> list[Unit]:
    """Up to `limit` units right below the root (the top units when None), by id."""
    if root is None:
        return top_units(db)[:limit]
    return [Unit(*r) for r in db.execute(f"{_UNIT_COLUMNS} WHERE parent_id = ? ORDER BY id LIMIT ?",
                                         (root.unit_id, limit))]


def breakdown(db: sqlite_utils.Database, root: Unit | None, clock: Clockwork, after: str | None = None,
              limit: int | None = None) -> Breakdown:
    """The root (a unit already found in scope; None: the office's several top units) broken down by the units right
    below it (by id, `limit` of them after the id `after` when given), with figures from the counts; `own` and
    `total` always cover the root's whole subtree."""
    if root is None:
        children = top_units(db)
    else:
        children = [Unit(*r) for r in db.execute(
            f"{_UNIT_COLUMNS} WHERE parent_id = :root AND (:after IS NULL OR id > :after) ORDER BY id LIMIT :limit",
            {"root": root.unit_id, "after": after, "limit": -1 if limit is None else limit})]
    ids = [u.unit_id for u in children]
    figures = subtree_figures(db, ids + ([root.unit_id] if root else []), clock)
    total = figures.pop(root.unit_id) if root else sum(figures.values(), Figures())
    own = own_figures(db, root.unit_id, clock) if root else Figures()
    grandchildren = dict(db.execute("SELECT parent_id, COUNT(*) FROM units WHERE parent_id IN "
                                    "(SELECT value FROM json_each(?)) GROUP BY parent_id",
                                    (json.dumps(ids),)).fetchall())
    return Breakdown(root, children, figures, own, total, grandchildren)


_PAIRING_COVERED = f"(p.last_visit_at IS NOT NULL AND NOT ({OVERDUE}))"
_OWN_FIGURES = f"""
SELECT COUNT(DISTINCT p.cadre_id), COUNT(*), COALESCE(SUM({_PAIRING_COVERED}), 0),
       COALESCE(SUM({OVERDUE}), 0), COUNT(DISTINCT CASE WHEN {OVERDUE} THEN p.cadre_id END)
FROM cadres c CROSS JOIN pairings p ON p.cadre_id = c.id
WHERE c.unit_id = :unit AND p.kind = :kind AND p.household_id IS NOT NULL
"""


def own_figures(db: sqlite_utils.Database, unit_id: str, clock: Clockwork) -> Figures:
    """The figures of the unit's own cadres (not those of the units below it)."""
    return Figures(*db.execute(_OWN_FIGURES, {"unit": unit_id, "kind": CADRE_HOUSEHOLD, **clock.params()}).fetchone())


def scope_root_unit(db: sqlite_utils.Database, scope: Scope) -> Unit | None:
    """The unit a scope's overview starts from: the administrator's unit; for the office the one top unit when the
    roster has a single one, else None (the top units themselves)."""
    if not scope.everything:
        return unit_in_scope(db, scope, scope.root_unit)
    tops = top_units(db)
    return tops[0] if len(tops) == 1 else None


# ---- cadres -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CadreRow:
    """A cadre as the unit page and the most-behind list show them."""

    cadre_id: str
    name: str
    unit_id: str
    unit_name: str
    title: str
    role: str
    households: int
    covered: int
    overdue: int
    last_visit: datetime | None
    bound: bool


_PER_CADRE = f"""
SELECT c.id, c.name, c.unit_id, u.name, COALESCE(c.title, ''), c.role,
       (SELECT COUNT(*) FROM pairings p WHERE p.cadre_id = c.id AND p.kind = :kind AND p.household_id IS NOT NULL),
       (SELECT COUNT(*) FROM pairings p WHERE p.cadre_id = c.id AND p.kind = :kind AND p.household_id IS NOT NULL
                                        AND {_PAIRING_COVERED}),
       (SELECT COUNT(*) FROM pairings p WHERE p.cadre_id = c.id AND p.kind = :kind AND p.household_id IS NOT NULL
                                        AND {OVERDUE}),
       (SELECT MAX(p.last_visit_at) FROM pairings p WHERE p.cadre_id = c.id AND p.kind = :kind),
       EXISTS (SELECT 1 FROM bindings b WHERE b.cadre_id = c.id AND b.active = 1)
FROM {{source}}
JOIN units u ON u.id = c.unit_id
WHERE {{where}}
ORDER BY {{order}}
LIMIT :limit
"""


def _cadre_rows(db: sqlite_utils.Database, params: dict, **parts: str) -> list[CadreRow]:
    rows = db.execute(_PER_CADRE.format(**parts), {"kind": CADRE_HOUSEHOLD, **params})
    return [CadreRow(*r[:9], datetime.fromisoformat(r[9]) if r[9] else None, bool(r[10])) for r in rows]


def cadres_of_unit(db: sqlite_utils.Database, unit_id: str, clock: Clockwork, limit: int = 500) -> list[CadreRow]:
    """The cadres whose own unit is unit_id (not those below it), with their households' figures."""
    rows = _cadre_rows(db, {"unit": unit_id, "limit": limit, **clock.params()}, source="cadres c",
                       where="c.unit_id = :unit", order="c.id")
    return sorted(rows, key=lambda r: (-r.overdue, r.cadre_id))


def cadres_behind(db: sqlite_utils.Database, scope: Scope, clock: Clockwork, limit: int) -> list[CadreRow]:
    """The scope's cadres with an overdue household, those waiting longest first: walks cadre_clocks by its oldest
    day and stops at `limit`, so the office's list costs what a county's does."""
    fresh_counts(db)
    where, params = units_condition(scope)
    if _large(db, scope):
        source = "cadre_clocks k INDEXED BY idx_cadre_clocks_oldest CROSS JOIN cadres c ON c.id = k.cadre_id"
    else:  # a small scope reads its own cadres and sorts them
        source = "units su CROSS JOIN cadres c ON c.unit_id = su.id CROSS JOIN cadre_clocks k ON k.cadre_id = c.id"
        where, params = units_condition(scope, "su")
    # k.oldest < cutoff_day follows from the rule and lets the walk by idx_cadre_clocks_oldest stop where it ends
    return _cadre_rows(db, {**params, **clock.params(), "limit": limit}, source=source,
                       where=f"k.oldest < :cutoff_day AND {_CLOCK_BEHIND} AND {where}", order="k.oldest, k.cadre_id")


@dataclass(frozen=True)
class CadreDetail:
    """A cadre as their page shows them (no phone)."""

    cadre_id: str
    name: str
    title: str
    role: str
    unit_id: str
    unit_name: str
    bound: bool


def cadre_in_scope(db: sqlite_utils.Database, scope: Scope, cadre_id: str) -> CadreDetail | None:
    """The cadre when their unit lies in the scope, else None (404)."""
    where, params = units_condition(scope)
    row = db.execute(
        "SELECT c.id, c.name, COALESCE(c.title, ''), c.role, c.unit_id, u.name, "
        "EXISTS (SELECT 1 FROM bindings b WHERE b.cadre_id = c.id AND b.active = 1) "
        f"FROM cadres c JOIN units u ON u.id = c.unit_id WHERE c.id = :cadre AND {where}",
        {**params, "cadre": cadre_id}).fetchone()
    return CadreDetail(*row[:6], bool(row[6])) if row else None


@dataclass(frozen=True)
class HouseholdVisits:
    """A cadre's paired household as an administrator may see it: head, place, visits and their review states."""

    household_id: str
    head_name: str
    township: str
    village: str
    visits: int
    recent: list[tuple[datetime, str]]  # (start, review state), the most recent first
    overdue: bool


def households_of(db: sqlite_utils.Database, cadre_id: str, clock: Clockwork,
                  shown: int = 5) -> list[HouseholdVisits]:
    """The households paired with the cadre, with the cadre's visits to them (never phone or notes)."""
    rows = db.execute(
        f"SELECT h.id, h.head_name, COALESCE(h.township, ''), h.village, {OVERDUE} FROM pairings p "
        "JOIN households h ON h.id = p.household_id WHERE p.cadre_id = :cadre AND p.kind = :kind ORDER BY h.id",
        {"cadre": cadre_id, "kind": CADRE_HOUSEHOLD, **clock.params()}).fetchall()
    result = []
    for household_id, head, township, village, overdue in rows:
        visits = [(datetime.fromisoformat(at), state) for at, state in db.execute(
            "SELECT started_at, review_state FROM visit_sessions WHERE household_id = ? AND cadre_id = ? "
            "ORDER BY started_at DESC", (household_id, cadre_id))]
        result.append(HouseholdVisits(household_id, head, township, village, len(visits), visits[:shown],
                                      bool(overdue)))
    return result


# ---- visits per week ------------------------------------------------------------------------------------------------

def weekly_visits(db: sqlite_utils.Database, scope: Scope, clock: Clockwork, tz) -> list[tuple[date, int]]:
    """Visits of the scope per week (Monday, local time) from the campaign's start to now, the last weeks only."""
    fresh_counts(db)
    roots = [scope.root_unit] if not scope.everything else [u.unit_id for u in top_units(db)]
    offset = clock.now.astimezone(tz).utcoffset()
    start = datetime.combine(clock.campaign_start, datetime.min.time(), tz)
    counts = dict(db.execute(
        "SELECT date(hour || ':00:00', :shift, '-6 days', 'weekday 1') AS week, SUM(visits) FROM visit_hour_counts "
        "WHERE unit_id IN (SELECT value FROM json_each(:roots)) AND hour >= :start AND hour <= :now GROUP BY week",
        {"roots": json.dumps(roots), "shift": f"{int(offset.total_seconds() // 60):+d} minutes",
         "start": _utc_hour(start), "now": _utc_hour(clock.now)}))
    first, last = clock.campaign_start, clock.now.astimezone(tz).date()
    monday = max(first - timedelta(days=first.weekday()),
                 last - timedelta(days=last.weekday(), weeks=MAX_WEEKS_CHARTED - 1))
    weeks = []
    while monday <= last:
        weeks.append((monday, counts.get(monday.isoformat(), 0)))
        monday += timedelta(weeks=1)
    return weeks


def _utc_hour(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()[:13]


# ---- reminders ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryRow:
    """One reminder to one cadre, as the 提醒 page lists it."""

    delivery_id: int
    due_at: datetime
    kind: str
    channel: str
    status: str
    reason: str
    cadre_id: str
    cadre_name: str
    unit_name: str
    due_key: str  # due_at as stored: the keyset cursor compares it as text


def delivery_counts(db: sqlite_utils.Database, scope: Scope) -> list[tuple[str, str, int]]:
    """(status, its Chinese name, count) for every status, over the scope's reminders."""
    where, params = units_condition(scope)
    counts = dict(db.execute(f"SELECT d.status, COUNT(*) FROM deliveries d JOIN cadres c ON c.id = d.cadre_id "
                             f"JOIN units u ON u.id = c.unit_id WHERE {where} GROUP BY d.status", params).fetchall())
    return [(status, STATUS_NAMES[status], counts.get(status, 0)) for status in STATUSES]


def deliveries(db: sqlite_utils.Database, scope: Scope, status: str | None, after: dict,
               limit: int) -> list[DeliveryRow]:
    """The scope's reminders, newest due first, optionally of one status, after the keyset cursor (after_due,
    after_id; written into the query only when given, so SQLite seeks to it)."""
    where, params = units_condition(scope)
    rows = db.execute(
        "SELECT d.id, d.due_at, d.kind, COALESCE(d.channel, ''), d.status, COALESCE(d.last_error, ''), c.id, c.name, "
        "u.name FROM deliveries d JOIN cadres c ON c.id = d.cadre_id JOIN units u ON u.id = c.unit_id "
        f"WHERE {where} AND (:status IS NULL OR d.status = :status) "
        f"{'AND (d.due_at, d.id) < (:after_due, :after_id)' if after['after_due'] else ''} "
        "ORDER BY d.due_at DESC, d.id DESC LIMIT :limit",
        {**params, **after, "status": status, "limit": limit}).fetchall()
    return [DeliveryRow(r[0], datetime.fromisoformat(r[1]), KIND_NAMES.get(r[2], r[2]), r[3],
                        STATUS_NAMES.get(r[4], r[4]), r[5], *r[6:], r[1]) for r in rows]
