"""What the console's 走访审核 reads: the scope's visits with their photos and evidence flags, filtered and paged by
keyset, and a photo looked up only through a visit of the scope. Reviews themselves are written by
bot/store/supervision.review_visit."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from bot.store.scopes import Scope, narrowed, units_condition
from bot.store.scopes import _large  # the same choice of plan as the scope queries'


@dataclass(frozen=True)
class ReviewFilter:
    """The grid's filters: a unit of the scope (its subtree), a review state, an evidence flag, a day range (UTC
    ISO bounds, from inclusive, to exclusive)."""

    unit_id: str | None = None
    state: str | None = None
    flag: str | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class PhotoInfo:
    """A photo of a visit: what the reviewer sees of it (its EXIF time and place) and its evidence flags."""

    sha256: str
    width: int
    height: int
    exif_time: str | None  # UTC
    latitude: float | None
    longitude: float | None
    received_at: str  # UTC


@dataclass(frozen=True)
class FlagInfo:
    """An evidence flag of a visit's photo; other_session_id is the other visit of a near-duplicate."""

    sha256: str
    flag: str
    value: float | None
    other_session_id: int | None


@dataclass(frozen=True)
class VisitHeading:
    """Which visit (session) a row is about: when, by whom, to which household (no phone, no notes)."""

    session_id: int
    started_at: str  # UTC
    cadre_id: str
    cadre_name: str
    unit_name: str
    household_id: str
    head_name: str
    village: str


@dataclass(frozen=True)
class ReviewRow(VisitHeading):
    """A visit (session) in the review grid; started_at with session_id is the keyset cursor."""

    review_state: str
    review_comment: str | None
    reviewed_at: str | None
    note: str | None
    photos: list[PhotoInfo]
    flags: list[FlagInfo]


# Two plans, as for scopes.visits_in_scope: a large scope (the office, a county) walks visit_sessions newest first by
# idx_sessions_started and keeps the rows in scope, so a page costs the same on page 1 and page 40,000; a small one
# (a branch) reads its own cadres' visits and sorts them.
_BY_TIME = """visit_sessions s INDEXED BY idx_sessions_started
CROSS JOIN cadres c ON c.id = s.cadre_id CROSS JOIN units u ON u.id = c.unit_id"""
_BY_SCOPE = """units u CROSS JOIN cadres c ON c.unit_id = u.id CROSS JOIN visit_sessions s ON s.cadre_id = c.id"""
_BY_ID = """visit_sessions s CROSS JOIN cadres c ON c.id = s.cadre_id CROSS JOIN units u ON u.id = c.unit_id"""
_GRID = """
SELECT s.id, s.started_at, c.id, c.name, u.name, h.id, h.head_name, h.village, s.review_state, s.review_comment,
       s.reviewed_at, (SELECT v.note FROM visits v WHERE v.session_id = s.id AND v.note IS NOT NULL LIMIT 1)
FROM {source}
JOIN households h ON h.id = s.household_id
WHERE {where}
  AND (:state IS NULL OR s.review_state = :state)
  AND (:start IS NULL OR s.started_at >= :start) AND (:end IS NULL OR s.started_at < :end)
  AND (:flag IS NULL OR EXISTS (SELECT 1 FROM visits v JOIN photos p ON p.visit_id = v.id
                                JOIN photo_flags f ON f.sha256 = p.sha256
                                WHERE v.session_id = s.id AND f.flag = :flag))
  {after}
ORDER BY s.started_at DESC, s.id DESC
LIMIT :limit
"""


def review_grid(db: sqlite_utils.Database, scope: Scope, filters: ReviewFilter, after: tuple[str, int] | None,
                limit: int) -> list[ReviewRow]:
    """A page of the scope's visits, newest first, after the keyset cursor (started_at, session id)."""
    return _rows(db, scope, filters, after, limit, None)


def visit_in_scope(db: sqlite_utils.Database, scope: Scope, session_id: int) -> ReviewRow | None:
    """One visit with its photos and flags when it lies in the scope, else None (the page then answers 404)."""
    rows = _rows(db, scope, ReviewFilter(), None, 1, session_id)
    return rows[0] if rows else None


def _rows(db: sqlite_utils.Database, scope: Scope, filters: ReviewFilter, after: tuple[str, int] | None, limit: int,
          session_id: int | None) -> list[ReviewRow]:
    if filters.unit_id:  # a unit of the scope: its subtree is the scope of this page; any other unit shows nothing
        scope = narrowed(db, scope, filters.unit_id)
        if scope is None:
            return []
    where, params = units_condition(scope)
    source = _BY_ID if session_id is not None else _BY_TIME if _large(db, scope) else _BY_SCOPE
    # the cursor is written only when there is one: behind an "IS NULL OR" SQLite would not seek the index to it
    keyset = "AND s.started_at <= :after_at AND (s.started_at, s.id) < (:after_at, :after_id)" if after else ""
    if session_id is not None:
        keyset += " AND s.id = :session"
    rows = db.execute(_GRID.format(source=source, where=where, after=keyset), {
        **params, "state": filters.state, "flag": filters.flag,
        "start": filters.start, "end": filters.end, "after_at": after[0] if after else None,
        "after_id": after[1] if after else None, "session": session_id, "limit": limit}).fetchall()
    ids = json.dumps([r[0] for r in rows])
    photos: dict[int, list[PhotoInfo]] = {}
    for session, *info in db.execute(
            "SELECT v.session_id, p.sha256, p.width, p.height, p.exif_time, p.gps_lat, p.gps_lon, p.received_at "
            "FROM visits v JOIN photos p ON p.visit_id = v.id WHERE v.session_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY p.received_at, p.sha256", (ids,)):
        photos.setdefault(session, []).append(PhotoInfo(*info))
    flags: dict[int, list[FlagInfo]] = {}
    for session, *info in db.execute(
            "SELECT v.session_id, f.sha256, f.flag, f.value, f.other_session_id FROM visits v "
            "JOIN photos p ON p.visit_id = v.id JOIN photo_flags f ON f.sha256 = p.sha256 "
            "WHERE v.session_id IN (SELECT value FROM json_each(?)) ORDER BY f.flag, f.sha256", (ids,)):
        flags.setdefault(session, []).append(FlagInfo(*info))
    return [ReviewRow(*r, photos.get(r[0], []), flags.get(r[0], [])) for r in rows]


def sessions_in_scope(db: sqlite_utils.Database, scope: Scope, session_ids: list[int]) -> dict[int, str]:
    """Of these visits, those in the scope, with their household's head: what a near-duplicate flag may name."""
    where, params = units_condition(scope)
    return dict(db.execute(
        f"SELECT s.id, h.head_name FROM visit_sessions s JOIN cadres c ON c.id = s.cadre_id "
        f"JOIN units u ON u.id = c.unit_id JOIN households h ON h.id = s.household_id "
        f"WHERE s.id IN (SELECT value FROM json_each(:ids)) AND {where}",
        {**params, "ids": json.dumps(session_ids)}).fetchall())


def next_pending(db: sqlite_utils.Database, scope: Scope, before: tuple[str, int]) -> int | None:
    """The next visit awaiting review after (older than) this one, for working through a queue."""
    rows = _rows(db, scope, ReviewFilter(state="待审核"), before, 1, None)
    return rows[0].session_id if rows else None


def photo_in_scope(db: sqlite_utils.Database, scope: Scope, sha256: str) -> str | None:
    """The stored path (relative to the photos folder) of a photo of a visit in the scope, else None."""
    where, params = units_condition(scope)
    row = db.execute(f"SELECT p.path FROM photos p JOIN visits v ON v.id = p.visit_id "
                     f"JOIN cadres c ON c.id = v.cadre_id JOIN units u ON u.id = c.unit_id "
                     f"WHERE p.sha256 = :sha AND {where} LIMIT 1", {**params, "sha": sha256}).fetchone()
    return row[0] if row else None


def session_of_visit(db: sqlite_utils.Database, visit_id: int | None) -> int | None:
    """The visit (session) a visits row belongs to."""
    row = db.execute("SELECT session_id FROM visits WHERE id = ?", (visit_id,)).fetchone()
    return row[0] if row else None
