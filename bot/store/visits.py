"""Recording home visits and their photos, and reading them back."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.db import transaction
from bot.photos import CheckedPhoto
from bot.plausibility import CLOCK_SKEW
from bot.store.evidence import assess_hashed_photo

# A photo taken more than this long before it was sent is not taken as the time of the visit.
EXIF_TRUST_WINDOW = timedelta(days=7)
# A visit reported within this long is "the visit just recorded": a location, a later photo or 撤销 goes to it.
RECENT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class PendingPhoto:
    """A stored photo waiting for its visit, as kept in the conversation state (JSON)."""

    sha256: str
    path: str
    bytes: int
    format: str
    width: int
    height: int
    exif_time: str | None
    gps_lat: float | None
    gps_lon: float | None
    source_id: str
    phash: int | None = None  # perceptual hash, computed off the event loop when the photo arrived

    @classmethod
    def of(cls, photo: CheckedPhoto, path: str, source_id: str, phash: int | None = None) -> PendingPhoto:
        """The record of a checked photo stored at path."""
        return cls(photo.sha256, path, len(photo.data), photo.format, photo.width, photo.height,
                   photo.exif_time.isoformat() if photo.exif_time else None, photo.gps_lat, photo.gps_lon, source_id,
                   phash)

    def to_json(self) -> dict:
        """A plain dict for the conversation state."""
        return asdict(self)


@dataclass(frozen=True)
class PriorSubmission:
    """Where an already-submitted photo was counted, and by whom."""

    visited_at: datetime
    head_name: str
    cadre_id: str


def find_submitted(db: sqlite_utils.Database, sha256: str) -> PriorSubmission | None:
    """The visit an identical photo was already counted for, if any."""
    row = db.execute(
        "SELECT v.visited_at, h.head_name, v.cadre_id FROM photos p JOIN visits v ON v.id = p.visit_id "
        "JOIN households h ON h.id = v.household_id WHERE p.sha256 = ?",
        (sha256,),
    ).fetchone()
    return PriorSubmission(datetime.fromisoformat(row[0]), row[1], row[2]) if row else None


def visit_time(photos: list[PendingPhoto], received_at: datetime) -> tuple[datetime, bool]:
    """The visit's time: the earliest plausible EXIF time, else receipt; and whether EXIF was used."""
    times = [datetime.fromisoformat(p.exif_time) for p in photos if p.exif_time]
    plausible = [t for t in times if received_at - EXIF_TRUST_WINDOW <= t <= received_at + CLOCK_SKEW]
    return (min(plausible), True) if plausible else (received_at, False)


def record_visit(db: sqlite_utils.Database, *, cadre_id: str, household_id: str, photos: list[PendingPhoto],
                 received_at: datetime, note: str, channel: str, chat_id: str, album_id: str | None,
                 location: tuple[float, float] | None = None) -> int | None:
    """Records one visit with its photos in one transaction; None when every photo was already counted."""
    visited_at, _ = visit_time(photos, received_at)
    gps = location or next(((p.gps_lat, p.gps_lon) for p in photos if p.gps_lat is not None), (None, None))
    with transaction(db):
        fresh = [p for p in photos if find_submitted(db, p.sha256) is None]
        if not fresh:
            return None
        cursor = db.execute(
            "INSERT INTO visits (cadre_id, household_id, channel, chat_id, reported_at, visited_at, note, "
            "latitude, longitude, album_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (cadre_id, household_id, channel, chat_id, received_at.isoformat(), visited_at.isoformat(),
             note or None, gps[0], gps[1], album_id),
        )
        visit_id = cursor.lastrowid
        add_photos(db, visit_id, fresh, received_at)
    return visit_id


def add_photos(db: sqlite_utils.Database, visit_id: int, photos: list[PendingPhoto], received_at: datetime) -> int:
    """Attaches photos to a visit, skipping any already stored, and records each one's evidence flags in the same
    transaction (never a refusal); returns how many were added."""
    added = 0
    with transaction(db):
        household_id, session_id, *place = db.execute(
            "SELECT household_id, session_id, latitude, longitude FROM visits WHERE id = ?", (visit_id,)).fetchone()
        for p in photos:
            cursor = db.execute(
                "INSERT OR IGNORE INTO photos (sha256, visit_id, path, bytes, format, width, height, exif_time, "
                "gps_lat, gps_lon, source_id, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (p.sha256, visit_id, p.path, p.bytes, p.format, p.width, p.height, p.exif_time, p.gps_lat, p.gps_lon,
                 p.source_id, received_at.isoformat()),
            )
            added += cursor.rowcount
            if cursor.rowcount:
                gps = (p.gps_lat, p.gps_lon) if p.gps_lat is not None else tuple(place) if place[0] is not None else None
                assess_hashed_photo(db, sha256=p.sha256, phash=p.phash, received_at=received_at, now=received_at,
                                    taken_at=datetime.fromisoformat(p.exif_time) if p.exif_time else None, gps=gps,
                                    household_id=household_id, session_id=session_id)
    return added


def album_visit(db: sqlite_utils.Database, cadre_id: str, album_id: str) -> int | None:
    """The visit already recorded for this album, if any."""
    row = db.execute("SELECT id FROM visits WHERE cadre_id = ? AND album_id = ? ORDER BY id DESC LIMIT 1",
                     (cadre_id, album_id)).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class RecentVisit:
    """A visit the cadre has just recorded (within RECENT_WINDOW): still open to more photos, a location, undoing."""

    id: int
    visited_at: datetime
    head_name: str
    household_id: str


def recent_visit(db: sqlite_utils.Database, cadre_id: str, now: datetime) -> RecentVisit | None:
    """The cadre's visit just recorded (within RECENT_WINDOW), or None."""
    row = db.execute(
        "SELECT v.id, v.visited_at, h.head_name, h.id FROM visits v JOIN households h ON h.id = v.household_id "
        "WHERE v.cadre_id = ? AND v.reported_at >= ? ORDER BY v.reported_at DESC, v.id DESC LIMIT 1",
        (cadre_id, (now - RECENT_WINDOW).isoformat()),
    ).fetchone()
    return RecentVisit(row[0], datetime.fromisoformat(row[1]), row[2], row[3]) if row else None


def photo_count(db: sqlite_utils.Database, visit_id: int) -> int:
    """How many photos the visit has."""
    return db.execute("SELECT COUNT(*) FROM photos WHERE visit_id = ?", (visit_id,)).fetchone()[0]


def append_note(db: sqlite_utils.Database, visit_id: int, note: str) -> None:
    """Adds a later caption to a visit's note."""
    db.execute("UPDATE visits SET note = COALESCE(note || '；', '') || ? WHERE id = ?", (note, visit_id))


def set_location(db: sqlite_utils.Database, visit_id: int, latitude: float, longitude: float) -> None:
    """Attaches a shared location to a visit."""
    db.execute("UPDATE visits SET latitude = ?, longitude = ? WHERE id = ?", (latitude, longitude, visit_id))


@dataclass(frozen=True)
class VisitLine:
    """One of the cadre's visits (a session: photos of one household within two hours) as their list shows it."""

    visited_at: datetime
    head_name: str
    village: str
    note: str | None
    photos: int
    located: bool
    review_state: str = "待审核"  # 待审核 / 合格 / 需补充
    review_comment: str | None = None


def recent_visits(db: sqlite_utils.Database, cadre_id: str, limit: int = 10) -> list[VisitLine]:
    """The cadre's latest visits (sessions), newest first, with their review state."""
    rows = db.execute(
        "SELECT s.started_at, h.head_name, h.village, "
        "(SELECT group_concat(v.note, '；') FROM visits v WHERE v.session_id = s.id), "
        "(SELECT COUNT(*) FROM visits v JOIN photos p ON p.visit_id = v.id WHERE v.session_id = s.id), "
        "EXISTS (SELECT 1 FROM visits v WHERE v.session_id = s.id AND v.latitude IS NOT NULL), "
        "s.review_state, s.review_comment "
        "FROM visit_sessions s JOIN households h ON h.id = s.household_id WHERE s.cadre_id = ? "
        "ORDER BY s.started_at DESC, s.id DESC LIMIT ?",
        (cadre_id, limit),
    ).fetchall()
    return [VisitLine(datetime.fromisoformat(r[0]), r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7]) for r in rows]


def withdraw_visit(db: sqlite_utils.Database, visit_id: int) -> int:
    """Deletes a visit and its photo records in one transaction (the files stay); returns how many photos it had."""
    with transaction(db):
        photos = db.execute("DELETE FROM photos WHERE visit_id = ?", (visit_id,)).rowcount
        db.execute("DELETE FROM visits WHERE id = ?", (visit_id,))
    return photos
