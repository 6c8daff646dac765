"""The rows of the workbook an office hands up, for one scope (bot/store/scopes.Scope), up to a cut-off moment and
within a period: nothing after the cut-off is counted. Every query keeps to the scope's range of unit paths: a unit's
scope is read from that range; the whole province is read table by table in stored order (rows stored together are
read together), then sorted. The detail rows are plain tuples in the sheet's column order: a province has millions.
No household phone or note is ever selected here: the workbook goes to administrators."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlite_utils

from bot.store.overdue import CLOCK_DAY_SQL, DAYS_SINCE_SQL, OVERDUE_SQL, OverdueRule
from bot.store.scopes import NEEDS_MORE, Scope, units_condition
from bot.vocabulary import CADRE_HOUSEHOLD
from bot.workbook import CELL_TEXT_LIMIT, SAMPLE_ROWS


@dataclass(frozen=True)
class Period:
    """The moments a report covers: [start, end), either open; end is never after the report's cut-off."""

    start: datetime | None = None
    end: datetime | None = None

    def params(self, cut_off: datetime) -> dict:
        """:from and :to (UTC ISO text) for the queries: the period clipped to the cut-off."""
        end = cut_off if self.end is None else min(self.end, cut_off)
        return {"from": _utc(self.start) if self.start else "", "to": _utc(end)}


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


# The last counted visit of a pairing by the cut-off (sessions not 需补充 that started by then): pairings.last_visit_at,
# the last counted visit of all (kept by triggers), when that is not after the cut-off; else one index lookup.
_LAST_BY_CUT_OFF = ("(CASE WHEN p.last_visit_at IS NULL OR p.last_visit_at <= :to THEN p.last_visit_at ELSE "
                    "(SELECT max(s.started_at) FROM visit_sessions s WHERE s.household_id = p.household_id "
                    f"AND s.cadre_id = p.cadre_id AND s.started_at <= :to AND s.review_state <> '{NEEDS_MORE}') END)")
# The one overdue rule (bot/store/overdue.py) over that last visit instead of pairings.last_visit_at (today's)
_CLOCK_BY_CUT_OFF = CLOCK_DAY_SQL.format(p="p").replace("p.last_visit_at", "last")
_PAIRED_BY_CUT_OFF = "(p.first_imported_at IS NULL OR p.first_imported_at <= :to)"


def _params(scope: Scope, cut_off: datetime, period: Period, **more) -> tuple[str, dict]:
    where, params = units_condition(scope)
    return where, {**params, **period.params(cut_off), **more}


def _text(expr: str) -> str:
    """A free text as a cell takes it: cut at Excel's limit (a caption or a file list has none)."""
    return f"substr({expr}, 1, {CELL_TEXT_LIMIT})"


# ---- 汇总: figures per unit ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitRow:
    """A unit of the scope with its own figures (not its subtree's)."""

    unit_id: str
    name: str
    parent_id: str | None
    path: str
    cadres: int = 0
    households: int = 0
    visited: int = 0
    overdue: int = 0
    visits: int = 0  # sessions in the period
    passed: int = 0  # of those, 合格
    needing_more: int = 0  # of those, 需补充


def unit_rows(db: sqlite_utils.Database, scope: Scope, rule: OverdueRule, cut_off: datetime,
              period: Period) -> list[UnitRow]:
    """Every unit of the scope with its own cadres, paired households (visited, overdue at the cut-off) and the
    visits of the period by review state, in path order."""
    where, params = _params(scope, cut_off, period, kind=CADRE_HOUSEHOLD, **rule.params(cut_off))
    figures: dict[str, list[int]] = {}

    def add(sql: str, offset: int) -> None:
        for unit_id, *values in db.execute(sql.format(where=where), params):
            figures.setdefault(unit_id, [0] * 7)[offset:offset + len(values)] = values

    add("SELECT u.id, COUNT(*) FROM units u CROSS JOIN cadres c ON c.unit_id = u.id WHERE {where} GROUP BY u.id", 0)
    add(f"""SELECT unit_id, COUNT(*), COUNT(last), SUM({OVERDUE_SQL.format(clock_day=_CLOCK_BY_CUT_OFF)}) FROM (
              SELECT u.id AS unit_id, p.paired_on, p.first_imported_at, {_LAST_BY_CUT_OFF} AS last
              FROM units u CROSS JOIN cadres c ON c.unit_id = u.id
              CROSS JOIN pairings p ON p.cadre_id = c.id AND p.kind = :kind
              WHERE {{where}} AND {_PAIRED_BY_CUT_OFF}) p
            GROUP BY unit_id""", 1)
    add(f"""SELECT u.id, COUNT(*), SUM(s.review_state = '合格'), SUM(s.review_state = '{NEEDS_MORE}')
            FROM units u CROSS JOIN cadres c ON c.unit_id = u.id CROSS JOIN visit_sessions s ON s.cadre_id = c.id
            WHERE {{where}} AND s.started_at >= :from AND s.started_at <= :to GROUP BY u.id""", 4)
    rows = db.execute(f"SELECT u.id, u.name, u.parent_id, u.path FROM units u WHERE {where} ORDER BY u.path", params)
    return [UnitRow(uid, name, parent, path, *figures.get(uid, [0] * 7)) for uid, name, parent, path in rows]


# ---- the long sheets' queries ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """The rows of a long sheet: how many there are and a few of them (any, to fit the widths to), both at once; then
    all of them in order, which may take a while (bot/store/prefetch.py runs it ahead). One FROM and WHERE for all."""

    count: str
    sample: str
    rows: str
    params: dict


def _query(parts: list[tuple[str, str]], columns: str, order: str, params: dict, counted: str | None = None) -> Query:
    """The Query of the union of (columns, source with its WHERE) parts; `columns` of its result are the sheet's.
    `counted`: a quicker source with its WHERE giving as many rows, when there is one."""
    body = " UNION ALL ".join(f"SELECT {select} FROM {source}" for select, source in parts)
    counts = [counted] if counted else [source for _, source in parts]
    return Query(count="SELECT " + " + ".join(f"(SELECT COUNT(*) FROM {source})" for source in counts),
                 sample=f"SELECT {columns} FROM ({body} LIMIT {SAMPLE_ROWS})",
                 # read in the order the FROM gives, then sorted (not read in the sorted order, a lookup a row)
                 rows=f"WITH x AS MATERIALIZED ({body}) SELECT {columns} FROM x ORDER BY {order}", params=params)


def overdue_query(scope: Scope, rule: OverdueRule, cut_off: datetime) -> Query:
    """(unit name, cadre id, cadre name, household id, head of household, village, last counted visit (UTC), day its
    clock runs from, days since) of the scope's households overdue at the cut-off, unit by unit, the longest overdue
    first within a cadre: the households unit_rows counts as overdue (no phone, no notes)."""
    where, params = _params(scope, cut_off, Period(), kind=CADRE_HOUSEHOLD, **rule.params(cut_off))
    clock = _CLOCK_BY_CUT_OFF
    pairings = f"""(SELECT u.path, u.name AS unit_name, c.id AS cadre_id, c.name AS cadre_name, p.household_id,
                           h.head_name, h.village, p.paired_on, p.first_imported_at, {_LAST_BY_CUT_OFF} AS last
                    FROM units u CROSS JOIN cadres c ON c.unit_id = u.id
                    CROSS JOIN pairings p ON p.cadre_id = c.id AND p.kind = :kind
                    LEFT JOIN households h ON h.id = p.household_id
                    WHERE {where} AND {_PAIRED_BY_CUT_OFF}) p
                   WHERE {OVERDUE_SQL.format(clock_day=clock)}"""
    return _query([(f"""unit_name, cadre_id, cadre_name, household_id, head_name, village, last,
                        CASE WHEN {clock} = '' THEN :start_day ELSE {clock} END AS clock_start,
                        {DAYS_SINCE_SQL.format(clock_day=clock)} AS days, path, {clock} AS clock""", pairings)],
                  "unit_name, cadre_id, cadre_name, household_id, head_name, village, last, clock_start, days",
                  "path, cadre_id, clock, household_id", params)


def visit_query(scope: Scope, cut_off: datetime, period: Period) -> Query:
    """(session id, started at (UTC), cadre id, cadre name, unit name, household id, head of household, village, photo
    files ('；'-separated), evidence flags (visit_flags), review state, review comment, the cadre's captions
    ('；'-separated)) of the scope's visits that started in the period (by the cut-off), oldest first: the visits
    unit_rows counts."""
    where, params = _params(scope, cut_off, period)
    other_where = where.replace("u.path", "ou.path")
    # the flags of all flagged visits, gathered once (most visits have none: no lookup a visit for them)
    flagged = f"""(SELECT v.session_id, json_group_array(json_array(f.flag, f.value,
                      CASE WHEN (SELECT 1 FROM visit_sessions os JOIN cadres oc ON oc.id = os.cadre_id
                                  JOIN units ou ON ou.id = oc.unit_id
                                  WHERE os.id = f.other_session_id AND {other_where}) THEN f.other_session_id END))
                      AS flags
                    FROM photo_flags f JOIN photos ph ON ph.sha256 = f.sha256 JOIN visits v ON v.id = ph.visit_id
                   GROUP BY v.session_id) fl ON fl.session_id = s.id"""
    select = f"""s.id, s.started_at, c.id, c.name, u.name, s.household_id, h.head_name, h.village,
           (SELECT {_text("group_concat(ph.path, '；')")} FROM visits v JOIN photos ph ON ph.visit_id = v.id
             WHERE v.session_id = s.id),
           fl.flags, s.review_state, {_text("s.review_comment")},
           (SELECT {_text("group_concat(v.note, '；')")} FROM visits v WHERE v.session_id = s.id)"""
    in_period = "s.started_at >= :from AND s.started_at <= :to"
    if scope.everything:  # every visit of the period: counted by the index by time, read in stored order (+: not by
        # that index, which would read the sessions in time order, one lookup each)
        source = ("visit_sessions s LEFT JOIN cadres c ON c.id = s.cadre_id LEFT JOIN units u ON u.id = c.unit_id "
                  f"LEFT JOIN households h ON h.id = s.household_id LEFT JOIN {flagged} "
                  "WHERE +s.started_at >= :from AND +s.started_at <= :to")
        return _query([(select, source)], "*", "2, 1", params, counted=f"visit_sessions s WHERE {in_period}")
    source = ("units u CROSS JOIN cadres c ON c.unit_id = u.id CROSS JOIN visit_sessions s ON s.cadre_id = c.id "
              f"LEFT JOIN households h ON h.id = s.household_id LEFT JOIN {flagged} WHERE {where} AND {in_period}")
    return _query([(select, source)], "*", "2, 1", params)


def visit_flags(flags: str | None) -> list[tuple[str, float | None, int | None]]:
    """A visit's evidence flags from its row: (flag, value, the other visit when that visit is in the scope)."""
    return [tuple(f) for f in json.loads(flags)] if flags else []


def pairing_query(scope: Scope, cut_off: datetime) -> Query:
    """(kind, party id, party name, unit name, target, pairing notes, paired on) for every pairing whose party (a cadre,
    or a unit for 机关联村 and 党建带团建) is in the scope, by kind and unit."""
    where, params = _params(scope, cut_off, Period())
    if scope.everything:
        by_cadre = "pairings p CROSS JOIN cadres c ON c.id = p.cadre_id CROSS JOIN units u ON u.id = c.unit_id"
    else:
        by_cadre = "units u CROSS JOIN cadres c ON c.unit_id = u.id CROSS JOIN pairings p ON p.cadre_id = c.id"
    # a unit's pairings are a few, by their index (the planner, seeing most pairings without a unit, reads them all)
    by_unit = "units u CROSS JOIN pairings p INDEXED BY idx_pairings_unit ON p.unit_id = u.id"
    joins = "LEFT JOIN households h ON h.id = p.household_id LEFT JOIN targets t ON t.id = p.target_id"
    target = "COALESCE(h.head_name || '户（' || h.village || '）', t.name)"
    return _query([(f"""p.kind, c.id AS party_id, c.name AS party, u.name AS unit, {target} AS target,
                        {_text("p.notes")} AS notes, p.paired_on, u.path""",
                    f"{by_cadre} {joins} WHERE {where} AND {_PAIRED_BY_CUT_OFF}"),
                   (f"p.kind, u.id, u.name, u.name, {target}, {_text('p.notes')}, p.paired_on, u.path",
                    f"{by_unit} {joins} WHERE {where} AND {_PAIRED_BY_CUT_OFF}")],
                  "kind, party_id, party, unit, target, notes, paired_on", "kind, path, party_id", params)


# ---- unit tasks, notices, reminders, bindings ---------------------------------------------------------------------

def task_lines(db: sqlite_utils.Database, scope: Scope, cut_off: datetime, deadline_id: str,
               unit_kinds: tuple[str, ...]) -> Iterator[tuple]:
    """(unit id, unit name, reported at, reported by, evidence kind, evidence file name, evidence path) for the scope's
    units of the kinds a deadline binds; a report after the cut-off is not counted."""
    where, params = _params(scope, cut_off, Period(), deadline=deadline_id, kinds=json.dumps(list(unit_kinds)))
    yield from db.execute(f"""SELECT u.id, u.name, t.reported_at, r.name, t.evidence_kind, t.evidence_name,
               t.evidence_path
        FROM units u LEFT JOIN unit_task_completions t
               ON t.unit_id = u.id AND t.deadline_id = :deadline AND t.reported_at <= :to
        LEFT JOIN cadres r ON r.id = t.reported_by
        WHERE {where} AND u.kind IN (SELECT value FROM json_each(:kinds))
        ORDER BY u.path""", params)


def notice_lines(db: sqlite_utils.Database, scope: Scope, cut_off: datetime, period: Period) -> Iterator[tuple]:
    """(sent at, sender, text, recipients, delivered, read, unread, undeliverable, reasons) per notice of the period
    with recipients in the scope, counted over those recipients only."""
    where, params = _params(scope, cut_off, period)
    yield from db.execute(f"""SELECT n.created_at, sc.name, {_text("n.text")}, COUNT(*),
               SUM(r.status IN ('delivered', 'read')), SUM(r.status = 'read'), SUM(r.status = 'delivered'),
               SUM(r.status = 'undeliverable'),
               (SELECT {_text("group_concat(reason || ' ' || k, '；')")} FROM (
                   SELECT COALESCE(r2.reason, '未知') AS reason, COUNT(*) AS k FROM notice_receipts r2
                   JOIN cadres c2 ON c2.id = r2.cadre_id JOIN units u ON u.id = c2.unit_id
                   WHERE r2.notice_id = n.id AND r2.status = 'undeliverable' AND {where} GROUP BY 1))
        FROM notices n JOIN cadres sc ON sc.id = n.sender_id
        JOIN notice_receipts r ON r.notice_id = n.id JOIN cadres c ON c.id = r.cadre_id JOIN units u ON u.id = c.unit_id
        WHERE {where} AND n.created_at >= :from AND n.created_at <= :to
        GROUP BY n.id ORDER BY n.created_at""", params)


def undelivered_lines(db: sqlite_utils.Database, scope: Scope, cut_off: datetime, period: Period) -> Iterator[tuple]:
    """(due at, cadre id, cadre name, kind, channel, status, reason) of the reminders to the scope's cadres, due in
    the period, that failed, could not be delivered or expired."""
    where, params = _params(scope, cut_off, period)
    yield from db.execute(f"""SELECT d.due_at, c.id, c.name, d.kind, d.channel, d.status, {_text("d.last_error")}
        FROM units u CROSS JOIN cadres c ON c.unit_id = u.id CROSS JOIN deliveries d ON d.cadre_id = c.id
        WHERE {where} AND d.status IN ('failed', 'undeliverable', 'expired')
          AND d.due_at >= :from AND d.due_at <= :to
        ORDER BY d.due_at, c.id""", params)


def inactive_binding_lines(db: sqlite_utils.Database, scope: Scope) -> Iterator[tuple]:
    """(channel, cadre id, cadre name, unit name, reason, last seen) of the scope's bindings gone inactive."""
    where, params = units_condition(scope)
    yield from db.execute(f"""SELECT b.channel, c.id, c.name, u.name, {_text("b.inactive_reason")}, b.last_seen_at
        FROM units u CROSS JOIN cadres c ON c.unit_id = u.id CROSS JOIN bindings b ON b.cadre_id = c.id
        WHERE {where} AND b.active = 0 ORDER BY u.path, c.id""", params)
