"""What a reviewer sees of one visit (session): its photos, their evidence flags, and the visit itself."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class SessionPhoto:
    """A photo of a visit, stored under the [photos] dir."""

    sha256: str
    path: str


@dataclass(frozen=True)
class Flag:
    """An evidence flag of a photo; a near-duplicate names the other visit's id, never its household."""

    flag: str
    value: float | None
    other_session_id: int | None


@dataclass(frozen=True)
class SessionInfo:
    """A visit as its cadre is told about a review of it."""

    id: int
    cadre_id: str
    household_id: str
    head_name: str
    started_at: str  # UTC
    review_state: str


def session_photos(db: sqlite_utils.Database, session_id: int) -> list[SessionPhoto]:
    """The photos of a visit, in the order they arrived."""
    return [SessionPhoto(*row) for row in db.execute(
        "SELECT p.sha256, p.path FROM visits v JOIN photos p ON p.visit_id = v.id WHERE v.session_id = ? "
        "ORDER BY p.received_at, p.sha256", (session_id,))]


def session_flags(db: sqlite_utils.Database, session_id: int) -> list[Flag]:
    """The evidence flags of a visit's photos, one per kind and other visit."""
    return [Flag(*row) for row in db.execute(
        "SELECT DISTINCT f.flag, f.value, f.other_session_id FROM visits v JOIN photos p ON p.visit_id = v.id "
        "JOIN photo_flags f ON f.sha256 = p.sha256 WHERE v.session_id = ? ORDER BY f.flag", (session_id,))]


def session_info(db: sqlite_utils.Database, session_id: int) -> SessionInfo | None:
    """The visit with its household's head, or None when it is gone."""
    row = db.execute("SELECT s.id, s.cadre_id, s.household_id, h.head_name, s.started_at, s.review_state "
                     "FROM visit_sessions s JOIN households h ON h.id = s.household_id WHERE s.id = ?",
                     (session_id,)).fetchone()
    return SessionInfo(*row) if row else None


def open_request_for(db: sqlite_utils.Database, cadre_id: str, household_id: str) -> SessionInfo | None:
    """The cadre's latest visit of the household marked 需补充, which a new photo of it can supplement."""
    row = db.execute("SELECT s.id, s.cadre_id, s.household_id, h.head_name, s.started_at, s.review_state "
                     "FROM visit_sessions s JOIN households h ON h.id = s.household_id "
                     "WHERE s.cadre_id = ? AND s.household_id = ? AND s.review_state = '需补充' "
                     "ORDER BY s.started_at DESC LIMIT 1", (cadre_id, household_id)).fetchone()
    return SessionInfo(*row) if row else None

