"""Evidence flags of a visit photo for reviewers: no EXIF, taken long before sent, far from the village, near-duplicate.

Flags inform a reviewer; they never refuse a photo. Near-duplicates are found by perceptual hash (imagehash.phash,
64 bits) and Hamming distance, with multi-index hashing: the hash is cut into four 16-bit bands, each indexed in
SQLite. Two hashes within distance 7 either share a band or have a band that differs in one bit (with four bands
and every band two bits apart they would be 8 apart), so probing each band's value and its 16 one-bit neighbours
finds every match up to that distance without reading the whole table.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import imagehash
import sqlite_utils
from PIL import Image, ImageOps

from bot.store.scopes import Scope, session_in_scope

NO_EXIF = "no_exif"
TAKEN_LONG_BEFORE = "taken_long_before"
FAR_FROM_VILLAGE = "far_from_village"
NEAR_DUPLICATE = "near_duplicate"
FLAG_NAMES = {NO_EXIF: "无拍摄信息", TAKEN_LONG_BEFORE: "拍摄时间早", FAR_FROM_VILLAGE: "位置离村远",
              NEAR_DUPLICATE: "疑似重复照片"}

BEIJING = ZoneInfo("Asia/Shanghai")
BANDS = 4
BAND_BITS = 16
MAX_SEARCH_DISTANCE = 7  # what probing one-bit neighbours of four bands guarantees to find
NEAR_DUPLICATE_DISTANCE = 6  # a resized or re-encoded copy is usually within 0-4; unrelated photos ~32
LONG_BEFORE = timedelta(hours=48)  # a cadre without signal in the hills sends the next day; older is worth a look
FAR_KM = 10.0  # a village's households and fields spread a few kilometres around its point

_MASK64 = (1 << 64) - 1
_BAND_MASK = (1 << BAND_BITS) - 1


@dataclass(frozen=True)
class Flag:
    """One evidence flag of a photo, as stored in photo_flags and shown to a reviewer."""

    flag: str
    value: float | None = None  # hours before sending, km from the village, Hamming distance
    detail: str = ""
    other_sha256: str | None = None
    other_session_id: int | None = None


@dataclass(frozen=True)
class Match:
    """A stored photo whose perceptual hash is within the distance asked for."""

    sha256: str
    distance: int


# ---- pure functions ---------------------------------------------------------------------------------------------

def perceptual_hash(data: bytes) -> int:
    """The 64-bit perceptual hash (imagehash.phash) of an image, upright as its EXIF orientation says, as an int."""
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        return int(str(imagehash.phash(upright)), 16)


def to_signed(value: int) -> int:
    """A 64-bit hash as SQLite's signed INTEGER stores it."""
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    """The number of bits in which two 64-bit hashes differ (signed or unsigned alike)."""
    return ((a ^ b) & _MASK64).bit_count()


def bands(value: int) -> tuple[int, ...]:
    """The hash's four 16-bit bands, most significant first."""
    value &= _MASK64
    return tuple((value >> (BAND_BITS * (BANDS - 1 - i))) & _BAND_MASK for i in range(BANDS))


def band_probes(band: int) -> list[int]:
    """A band's value and the 16 values one bit away from it."""
    return [band, *(band ^ (1 << bit) for bit in range(BAND_BITS))]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two WGS-84 points (a sphere of radius 6371 km is close enough here)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def hours_before_sent(taken_at: datetime | None, received_at: datetime) -> float | None:
    """How many hours before it was received the photo was taken (EXIF time); None without one."""
    return None if taken_at is None else (received_at - taken_at).total_seconds() / 3600


def exif_flags(taken_at: datetime | None, received_at: datetime, long_before: timedelta = LONG_BEFORE) -> list[Flag]:
    """The flags a photo's own EXIF raises: no camera time at all, or a time long before it was sent."""
    if taken_at is None:
        return [Flag(NO_EXIF, detail="照片没有拍摄时间（可能是转发或压缩过的图片）")]
    hours = hours_before_sent(taken_at, received_at)
    if hours > long_before.total_seconds() / 3600:
        return [Flag(TAKEN_LONG_BEFORE, round(hours, 1), f"拍摄于发送前 {_span(hours)}")]
    return []


def distance_flag(gps: tuple[float, float] | None, village: tuple[float, float] | None,
                  far_km: float = FAR_KM) -> list[Flag]:
    """A flag when the photo's GPS lies more than far_km from the village's point; nothing without either."""
    if gps is None or village is None:
        return []
    km = haversine_km(*gps, *village)
    return [Flag(FAR_FROM_VILLAGE, round(km, 1), f"拍摄地点距村约 {km:.1f} 公里")] if km > far_km else []


def _span(hours: float) -> str:
    return f"{hours / 24:.0f} 天" if hours >= 48 else f"{hours:.0f} 小时"


# ---- the hash index ---------------------------------------------------------------------------------------------

def store_hash(db: sqlite_utils.Database, sha256: str, phash: int) -> None:
    """Records a photo's perceptual hash and its bands (once per photo)."""
    db.execute("INSERT INTO photo_hashes (sha256, phash, band0, band1, band2, band3) VALUES (?, ?, ?, ?, ?, ?) "
               "ON CONFLICT (sha256) DO NOTHING", (sha256, to_signed(phash), *bands(phash)))


def near_duplicates(db: sqlite_utils.Database, phash: int, max_distance: int = NEAR_DUPLICATE_DISTANCE,
                    exclude: Iterable[str] = ()) -> list[Match]:
    """Stored photos within max_distance (≤ 7) of phash, nearest first; photos in `exclude` are left out."""
    if not 0 <= max_distance <= MAX_SEARCH_DISTANCE:
        raise ValueError(f"max_distance must be 0..{MAX_SEARCH_DISTANCE}")
    found: dict[int, int] = {}
    for index, band in enumerate(bands(phash)):
        probes = band_probes(band)
        rows = db.execute(f"SELECT rowid, phash FROM photo_hashes INDEXED BY idx_photo_hashes_band{index} "
                          f"WHERE band{index} IN ({', '.join('?' * len(probes))})", probes)
        for rowid, other in rows:
            if rowid not in found:
                distance = hamming(phash, other)
                if distance <= max_distance:
                    found[rowid] = distance
    if not found:
        return []
    ids = list(found)
    names = dict(db.execute(f"SELECT rowid, sha256 FROM photo_hashes WHERE rowid IN ({', '.join('?' * len(ids))})",
                            ids).fetchall())
    skip = set(exclude)
    matches = [Match(names[rowid], distance) for rowid, distance in found.items() if names[rowid] not in skip]
    return sorted(matches, key=lambda m: (m.distance, m.sha256))


def duplicate_flag(db: sqlite_utils.Database, sha256: str, phash: int, session_id: int | None) -> list[Flag]:
    """A flag pointing at the nearest photo of another visit that looks the same (photos of this visit do not
    count). It holds ids only: who may read which household is decided when it is shown (describe_flags)."""
    same_visit = [row[0] for row in db.execute(
        "SELECT p.sha256 FROM photos p JOIN visits v ON v.id = p.visit_id WHERE v.session_id = ?", (session_id,))]
    for match in near_duplicates(db, phash, exclude=[sha256, *same_visit]):
        row = db.execute("SELECT v.session_id FROM photos p JOIN visits v ON v.id = p.visit_id WHERE p.sha256 = ?",
                         (match.sha256,)).fetchone()
        if row is None:  # a hash whose photo is no longer attached to a visit (withdrawn)
            continue
        return [Flag(NEAR_DUPLICATE, match.distance, "", match.sha256, row[0])]
    return []


# ---- village points and the flags of a new photo ------------------------------------------------------------------

def village_point(db: sqlite_utils.Database, household_id: str) -> tuple[float, float] | None:
    """The household's village point: the median of its households' 经度/纬度, else of its visits' GPS."""
    place = db.execute("SELECT village, township, county FROM households WHERE id = ?", (household_id,)).fetchone()
    if place is None:
        return None
    same_village = ("h.village = ? AND h.township IS ? AND h.county IS ?")
    points = db.execute(f"SELECT h.latitude, h.longitude FROM households h WHERE {same_village} "
                        "AND h.latitude IS NOT NULL AND h.longitude IS NOT NULL", place).fetchall()
    if not points:
        points = db.execute(f"SELECT v.latitude, v.longitude FROM households h JOIN visits v ON v.household_id = h.id "
                            f"WHERE {same_village} AND v.latitude IS NOT NULL AND v.longitude IS NOT NULL",
                            place).fetchall()
    if not points:
        return None
    return statistics.median(p[0] for p in points), statistics.median(p[1] for p in points)


def photo_flags(db: sqlite_utils.Database, *, sha256: str, phash: int | None, taken_at: datetime | None,
                gps: tuple[float, float] | None, received_at: datetime, household_id: str,
                session_id: int | None = None) -> list[Flag]:
    """Every flag a new photo of a visit to household_id raises (call before its own GPS joins the village's)."""
    return [*exif_flags(taken_at, received_at), *distance_flag(gps, village_point(db, household_id)),
            *(duplicate_flag(db, sha256, phash, session_id) if phash is not None else [])]


def record_flags(db: sqlite_utils.Database, sha256: str, flags: list[Flag], now: datetime) -> None:
    """Stores a photo's flags, replacing any it had."""
    db.execute("DELETE FROM photo_flags WHERE sha256 = ?", (sha256,))
    db.conn.executemany(
        "INSERT INTO photo_flags (sha256, flag, value, other_sha256, other_session_id, detail, flagged_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(sha256, f.flag, f.value, f.other_sha256, f.other_session_id, f.detail, now.isoformat()) for f in flags])


def flags_of_session(db: sqlite_utils.Database, session_id: int) -> list[Flag]:
    """The flags of every photo of a visit (session), for its reviewer."""
    rows = db.execute("SELECT f.flag, f.value, f.detail, f.other_sha256, f.other_session_id FROM photo_flags f "
                      "JOIN photos p ON p.sha256 = f.sha256 JOIN visits v ON v.id = p.visit_id "
                      "WHERE v.session_id = ? ORDER BY f.flag, f.sha256", (session_id,)).fetchall()
    return [Flag(*row) for row in rows]


def assess_photo(db: sqlite_utils.Database, *, data: bytes, sha256: str, taken_at: datetime | None,
                 gps: tuple[float, float] | None, received_at: datetime, household_id: str,
                 session_id: int | None, now: datetime) -> list[Flag]:
    """Hashes a stored visit photo and records its hash and flags (CPU and database in the caller's thread: the bot
    hashes with asyncio.to_thread and calls assess_hashed_photo; this is for scripts and tests)."""
    return assess_hashed_photo(db, sha256=sha256, phash=perceptual_hash(data), taken_at=taken_at, gps=gps,
                               received_at=received_at, household_id=household_id, session_id=session_id, now=now)


def assess_hashed_photo(db: sqlite_utils.Database, *, sha256: str, phash: int | None, taken_at: datetime | None,
                        gps: tuple[float, float] | None, received_at: datetime, household_id: str,
                        session_id: int | None, now: datetime) -> list[Flag]:
    """Records a photo's hash (when it has one) and every flag it raises; returns the flags. Database only: call it on
    the connection's thread, inside the visit's transaction."""
    flags = photo_flags(db, sha256=sha256, phash=phash, taken_at=taken_at, gps=gps, received_at=received_at,
                        household_id=household_id, session_id=session_id)
    if phash is not None:
        store_hash(db, sha256, phash)
    record_flags(db, sha256, flags, now)
    return flags


# ---- what a reviewer reads ----------------------------------------------------------------------------------------

def describe_flags(db: sqlite_utils.Database, session_id: int, scope: Scope, tz: ZoneInfo = BEIJING) -> list[str]:
    """One line per flag of a visit (session), in Chinese, for a reviewer with this scope:
    a near-duplicate names the other visit's household and cadre only when that visit is in the scope."""
    lines = []
    for flag in flags_of_session(db, session_id):
        if flag.flag != NEAR_DUPLICATE:
            lines.append(f"{FLAG_NAMES[flag.flag]}：{flag.detail}" if flag.detail else FLAG_NAMES[flag.flag])
            continue
        other = db.execute("SELECT s.started_at, h.head_name, c.name FROM visit_sessions s "
                           "JOIN households h ON h.id = s.household_id JOIN cadres c ON c.id = s.cadre_id "
                           "WHERE s.id = ?", (flag.other_session_id,)).fetchone()
        if other is None:
            lines.append(f"{FLAG_NAMES[NEAR_DUPLICATE]}：与一张已撤销走访的照片几乎相同")
            continue
        day = datetime.fromisoformat(other[0]).astimezone(tz).date().isoformat()
        whose = f"{other[2]}走访{other[1]}户" if session_in_scope(db, scope, flag.other_session_id) else "其他单位的一次走访"
        lines.append(f"{FLAG_NAMES[NEAR_DUPLICATE]}：与 {day} {whose}的照片几乎相同")
    return lines
