"""What the console's pages show, each query limited on the server to the administrator's unit subtree.

Households appear with head, township, village and visit dates only: phones and notes are their cadre's alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlite_utils

from bot.console.auth import Admin
from bot.store.progress import in_unit_subtree, never_visited_is_overdue
from bot.vocabulary import CADRE_HOUSEHOLD
from bot.store.deliveries import KIND_NAMES, STATUS_NAMES, STATUSES

MAX_WEEKS_CHARTED = 26


def scope_sql(admin: Admin, unit_column: str) -> tuple[str, dict]:
    """A SQL condition (and its parameters) keeping rows whose unit_column lies in the administrator's scope."""
    if admin.scope_root is None:
        return "1 = 1", {}
    return in_unit_subtree(unit_column), {"root": admin.scope_root}


@dataclass(frozen=True)
class Clockwork:
    """The moment a page is computed for and the overdue rule's parameters."""

    now: datetime
    interval_days: int
    since: datetime  # the campaign's start: never-visited households are overdue only after interval_days from it

    def params(self) -> dict:
        """The SQL parameters of the overdue rule."""
        return {"cutoff": (self.now - timedelta(days=self.interval_days)).isoformat(),
                "never_counts": never_visited_is_overdue(self.now, self.since, self.interval_days),
                "kind": CADRE_HOUSEHOLD}


@dataclass
class Stats:
    """Cadres with paired households, those households, how many were visited within the interval, overdue."""

    cadres: int = 0
    households: int = 0
    covered: int = 0
    overdue: int = 0
    cadres_behind: int = 0

    @property
    def coverage(self) -> float:
        """Households visited within the interval over households paired (0 when none are paired)."""
        return self.covered / self.households if self.households else 0.0

    def add(self, other: Stats) -> None:
        """Adds another unit's figures into these."""
        self.cadres += other.cadres
        self.households += other.households
        self.covered += other.covered
        self.overdue += other.overdue
        self.cadres_behind += other.cadres_behind


# Each paired household of the cadres selected by {where} with its last visit by that cadre (looked up through
# idx_visits_household, so a county's page reads only the county's visits), then one row per cadre. MATERIALIZED:
# otherwise SQLite inlines the subquery and looks the last visit up once for every use of it.
_PER_CADRE_CTE = """
WITH paired AS MATERIALIZED (
    SELECT pp.cadre_id, (SELECT MAX(v.visited_at) FROM visits v
                         WHERE v.household_id = pp.household_id AND v.cadre_id = pp.cadre_id) AS last
    FROM pairings pp JOIN cadres c ON c.id = pp.cadre_id
    WHERE pp.kind = :kind AND {where}),
per_cadre AS (
    SELECT cadre_id, COUNT(*) AS households,
           SUM(CASE WHEN last >= :cutoff THEN 1 ELSE 0 END) AS covered,
           SUM(CASE WHEN (last IS NULL AND :never_counts) OR last < :cutoff THEN 1 ELSE 0 END) AS overdue,
           MAX(last) AS last_visit
    FROM paired GROUP BY cadre_id)
"""

_CADRE_COLUMNS = """
SELECT c.id, c.name, c.unit_id, COALESCE(c.title, ''), c.role, COALESCE(pc.households, 0), COALESCE(pc.covered, 0),
       COALESCE(pc.overdue, 0), pc.last_visit,
       EXISTS (SELECT 1 FROM bindings b WHERE b.cadre_id = c.id AND b.active = 1)
"""


@dataclass(frozen=True)
class CadreRow:
    """A cadre as the unit page lists them."""

    cadre_id: str
    name: str
    unit_id: str
    title: str
    role: str
    households: int
    covered: int
    overdue: int
    last_visit: datetime | None
    bound: bool


def _cadre_rows(db: sqlite_utils.Database, sql: str, params: dict) -> list[CadreRow]:
    return [CadreRow(*r[:8], datetime.fromisoformat(r[8]) if r[8] else None, bool(r[9]))
            for r in db.execute(sql, params).fetchall()]


def cadres_of_unit(db: sqlite_utils.Database, unit_id: str, clock: Clockwork) -> list[CadreRow]:
    """The cadres whose own unit is unit_id (not those below it), most overdue first; those with no household too."""
    sql = (_PER_CADRE_CTE.format(where="c.unit_id = :unit") + _CADRE_COLUMNS +
           "FROM cadres c LEFT JOIN per_cadre pc ON pc.cadre_id = c.id WHERE c.unit_id = :unit "
           "ORDER BY COALESCE(pc.overdue, 0) DESC, c.id")
    return _cadre_rows(db, sql, {"unit": unit_id, **clock.params()})


def cadres_behind(db: sqlite_utils.Database, admin: Admin, clock: Clockwork, limit: int) -> list[CadreRow]:
    """The cadres of the scope with the most overdue households, worst first."""
    where, params = scope_sql(admin, "c.unit_id")
    sql = (_PER_CADRE_CTE.format(where=where) + _CADRE_COLUMNS +
           "FROM per_cadre pc JOIN cadres c ON c.id = pc.cadre_id WHERE pc.overdue > 0 "
           "ORDER BY pc.overdue DESC, c.id LIMIT :limit")
    return _cadre_rows(db, sql, {**params, **clock.params(), "limit": limit})


def _unit_figures(db: sqlite_utils.Database, where: str, params: dict, clock: Clockwork) -> dict[str, Stats]:
    """Each unit's own figures (its own cadres only), computed in one query."""
    sql = (_PER_CADRE_CTE.format(where=where) +
           "SELECT c.unit_id, COUNT(*), SUM(pc.households), SUM(pc.covered), SUM(pc.overdue), "
           "SUM(CASE WHEN pc.overdue > 0 THEN 1 ELSE 0 END) "
           "FROM per_cadre pc JOIN cadres c ON c.id = pc.cadre_id GROUP BY c.unit_id")
    return {r[0]: Stats(*r[1:]) for r in db.execute(sql, {**params, **clock.params()}).fetchall()}


@dataclass(frozen=True)
class Unit:
    """A unit of the roster."""

    unit_id: str
    name: str
    parent_id: str | None
    kind: str


@dataclass
class UnitTree:
    """The units of a scope with their direct figures, rolled up so each unit's totals include those below it."""

    units: dict[str, Unit]
    children: dict[str | None, list[str]]
    direct: dict[str, Stats]
    total: dict[str, Stats] = field(default_factory=dict)

    def roots(self) -> list[str]:
        """The units of the scope whose parent lies outside it (normally one)."""
        return [u for u, unit in self.units.items() if unit.parent_id not in self.units]

    def scope_total(self) -> Stats:
        """Everything in the scope."""
        total = Stats()
        for root in self.roots():
            total.add(self.total[root])
        return total


def unit_tree(db: sqlite_utils.Database, admin: Admin, clock: Clockwork, root: str | None = None) -> UnitTree:
    """The scope's units (or, given root, a unit already found in scope, with those below it) with each unit's
    figures: its own cadres', and with everything below it."""
    if root is not None and admin.scope_root is None and top_units(db) == [root]:
        root = None  # the office's top unit holds everything: scanning all is 3× faster than walking the tree
    where, params = _subtree(admin, root, "id")
    units = {r[0]: Unit(*r) for r in db.execute(
        f"SELECT id, name, parent_id, kind FROM units WHERE {where} ORDER BY id", params)}
    children: dict[str | None, list[str]] = {}
    for unit in units.values():
        children.setdefault(unit.parent_id if unit.parent_id in units else None, []).append(unit.unit_id)
    cadre_where, _ = _subtree(admin, root, "c.unit_id")
    tree = UnitTree(units, children, _unit_figures(db, cadre_where, params, clock))
    for root in tree.roots():
        _roll_up(tree, root)
    return tree


def _subtree(admin: Admin, root: str | None, unit_column: str) -> tuple[str, dict]:
    """The condition for root's subtree (a unit already found in scope), or for the whole scope when root is None."""
    return (in_unit_subtree(unit_column), {"root": root}) if root else scope_sql(admin, unit_column)


def _roll_up(tree: UnitTree, root: str) -> None:
    order, stack = [], [root]  # iterative: a deep tree must not hit Python's recursion limit
    while stack:
        unit = stack.pop()
        order.append(unit)
        stack.extend(tree.children.get(unit, []))
    for unit in reversed(order):
        total = Stats()
        total.add(tree.direct.get(unit, Stats()))
        for child in tree.children.get(unit, []):
            total.add(tree.total[child])
        tree.total[unit] = total


def top_units(db: sqlite_utils.Database) -> list[str]:
    """The units with no parent in the roster (normally the campaign office alone)."""
    return [r[0] for r in db.execute("SELECT id FROM units WHERE parent_id IS NULL OR parent_id NOT IN "
                                     "(SELECT id FROM units) ORDER BY id")]


def path_in_scope(db: sqlite_utils.Database, admin: Admin, unit_id: str) -> list[Unit]:
    """The units from the scope's root down to unit_id (a breadcrumb that never leaves the scope)."""
    rows = db.execute(
        "WITH RECURSIVE up(id, name, parent_id, kind, depth) AS ("
        "SELECT id, name, parent_id, kind, 0 FROM units WHERE id = :unit UNION "
        "SELECT u.id, u.name, u.parent_id, u.kind, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id "
        "WHERE (:stop IS NULL OR up.id != :stop) AND up.depth < 100) "
        "SELECT id, name, parent_id, kind FROM up ORDER BY depth DESC", {"unit": unit_id, "stop": admin.scope_root})
    return [Unit(*r) for r in rows.fetchall()]


def unit_in_scope(db: sqlite_utils.Database, admin: Admin, unit_id: str) -> Unit | None:
    """The unit when it lies in the administrator's scope, else None (the page then answers 404)."""
    where, params = scope_sql(admin, "id")
    row = db.execute(f"SELECT id, name, parent_id, kind FROM units WHERE id = :unit AND {where}",
                     {**params, "unit": unit_id}).fetchone()
    return Unit(*row) if row else None


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


def cadre_in_scope(db: sqlite_utils.Database, admin: Admin, cadre_id: str) -> CadreDetail | None:
    """The cadre when their unit lies in the administrator's scope, else None (404)."""
    where, params = scope_sql(admin, "c.unit_id")
    row = db.execute(
        "SELECT c.id, c.name, COALESCE(c.title, ''), c.role, c.unit_id, u.name, "
        "EXISTS (SELECT 1 FROM bindings b WHERE b.cadre_id = c.id AND b.active = 1) "
        f"FROM cadres c JOIN units u ON u.id = c.unit_id WHERE c.id = :cadre AND {where}",
        {**params, "cadre": cadre_id}).fetchone()
    return CadreDetail(*row[:6], bool(row[6])) if row else None


@dataclass(frozen=True)
class HouseholdRow:
    """A cadre's paired household as an administrator may see it: head, place and visit dates."""

    household_id: str
    head_name: str
    township: str
    village: str
    visits: int
    visit_dates: list[datetime]  # the most recent first
    overdue: bool


def households_of(db: sqlite_utils.Database, cadre_id: str, clock: Clockwork,
                  shown_dates: int = 5) -> list[HouseholdRow]:
    """The households paired with the cadre, with their visits by that cadre (never phone or notes)."""
    params = clock.params()
    rows = db.execute(
        "SELECT h.id, h.head_name, COALESCE(h.township, ''), h.village, "
        "(SELECT COUNT(*) FROM visits v WHERE v.household_id = h.id AND v.cadre_id = p.cadre_id) "
        "FROM pairings p JOIN households h ON h.id = p.household_id "
        "WHERE p.cadre_id = :cadre AND p.kind = :kind ORDER BY h.id", {"cadre": cadre_id, "kind": params["kind"]})
    result = []
    for hid, head, township, village, count in rows.fetchall():
        dates = [datetime.fromisoformat(r[0]) for r in db.execute(
            "SELECT visited_at FROM visits WHERE household_id = ? AND cadre_id = ? ORDER BY visited_at DESC LIMIT ?",
            (hid, cadre_id, shown_dates))]
        last = dates[0].isoformat() if dates else None
        overdue = params["never_counts"] if last is None else last < params["cutoff"]
        result.append(HouseholdRow(hid, head, township, village, count, dates, overdue))
    return result


def weekly_visits(db: sqlite_utils.Database, admin: Admin, clock: Clockwork, tz) -> list[tuple[date, int]]:
    """Visits of the scope per week (Monday, local time) from the campaign's start to now, the last weeks only."""
    offset = clock.now.astimezone(tz).utcoffset()
    shift = f"{int(offset.total_seconds() // 60):+d} minutes"
    where, params = scope_sql(admin, "c.unit_id")
    join = "" if admin.scope_root is None else "JOIN cadres c ON c.id = v.cadre_id"  # the office counts every visit
    counts = dict(db.execute(
        "SELECT date(v.visited_at, :shift, '-6 days', 'weekday 1') AS week, COUNT(*) FROM visits v "
        f"{join} WHERE {where} AND v.visited_at >= :start AND v.visited_at <= :now GROUP BY week",
        {**params, "shift": shift, "start": clock.since.isoformat(), "now": clock.now.isoformat()}))
    first = clock.since.astimezone(tz).date()
    last = clock.now.astimezone(tz).date()
    monday = max(first - timedelta(days=first.weekday()),
                 last - timedelta(days=last.weekday(), weeks=MAX_WEEKS_CHARTED - 1))
    weeks = []
    while monday <= last:
        weeks.append((monday, counts.get(monday.isoformat(), 0)))
        monday += timedelta(weeks=1)
    return weeks


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


def delivery_counts(db: sqlite_utils.Database, admin: Admin) -> list[tuple[str, str, int]]:
    """(status, its Chinese name, count) for every status, over the scope's reminders."""
    where, params = scope_sql(admin, "c.unit_id")
    counts = dict(db.execute(f"SELECT d.status, COUNT(*) FROM deliveries d JOIN cadres c ON c.id = d.cadre_id "
                             f"WHERE {where} GROUP BY d.status", params).fetchall())
    return [(status, STATUS_NAMES[status], counts.get(status, 0)) for status in STATUSES]


def deliveries(db: sqlite_utils.Database, admin: Admin, status: str | None, after: dict,
               limit: int) -> list[DeliveryRow]:
    """The scope's reminders, newest due first, optionally of one status, after the keyset cursor."""
    where, params = scope_sql(admin, "c.unit_id")
    rows = db.execute(
        "SELECT d.id, d.due_at, d.kind, COALESCE(d.channel, ''), d.status, COALESCE(d.last_error, ''), c.id, c.name, "
        "u.name FROM deliveries d JOIN cadres c ON c.id = d.cadre_id JOIN units u ON u.id = c.unit_id "
        f"WHERE {where} AND (:status IS NULL OR d.status = :status) "
        "AND (:after_due IS NULL OR (d.due_at, d.id) < (:after_due, :after_id)) "
        "ORDER BY d.due_at DESC, d.id DESC LIMIT :limit",
        {**params, **after, "status": status, "limit": limit}).fetchall()
    return [DeliveryRow(r[0], datetime.fromisoformat(r[1]), KIND_NAMES.get(r[2], r[2]), r[3],
                        STATUS_NAMES.get(r[4], r[4]), r[5], *r[6:], r[1]) for r in rows]
