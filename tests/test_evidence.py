"""Evidence flags of visit photos: near-duplicates by perceptual hash, EXIF age, no EXIF, distance from the village."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, ImageDraw

from bot.store import evidence
from bot.db import open_db
from bot.store.evidence import FAR_FROM_VILLAGE, NEAR_DUPLICATE, NO_EXIF, TAKEN_LONG_BEFORE
from bot.photos import check_photo
from bot.store.visits import PendingPhoto, record_visit

RECEIVED = datetime(2010, 5, 12, 2, 0, tzinfo=timezone.utc)


def scene(seed: int, size=(640, 480)) -> Image.Image:
    """A picture with structure (shapes on a gradient): phash of a flat colour says nothing."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, 260), rng.randrange(40, 200)
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x, y, x + w, y + h), fill=colour)
    return image


def encoded(image: Image.Image, quality=90, size=None, taken: str | None = None) -> bytes:
    """The image as JPEG bytes, resized first when size is given; `taken` is an EXIF local time."""
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    buffer = io.BytesIO()
    (image.resize(size) if size else image).save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()



def visit_with(db, data: bytes, household="H1", cadre="C1", at=RECEIVED, gps=None) -> tuple[str, int]:
    """Records a visit with one photo (as the bot does) and its evidence; returns (sha256, session id)."""
    checked = check_photo(data, 10_000_000)
    pending = PendingPhoto.of(checked, checked.relative_path, "test")
    visit_id = record_visit(db, cadre_id=cadre, household_id=household, photos=[pending], received_at=at, note="",
                            channel="console", chat_id=cadre, album_id=None, location=gps)
    session = db.execute("SELECT session_id FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]
    evidence.assess_photo(db, data=data, sha256=checked.sha256, taken_at=checked.exif_time, gps=gps,
                          received_at=at, household_id=household, session_id=session, now=at)
    return checked.sha256, session


def test_a_resized_reencoded_copy_is_near_and_an_unrelated_picture_is_far():
    original = evidence.perceptual_hash(encoded(scene(1)))
    copy = evidence.perceptual_hash(encoded(scene(1), quality=40, size=(320, 240)))
    other = evidence.perceptual_hash(encoded(scene(2)))
    assert evidence.hamming(original, copy) <= evidence.NEAR_DUPLICATE_DISTANCE
    assert evidence.hamming(original, other) > 2 * evidence.NEAR_DUPLICATE_DISTANCE


def test_a_copy_sent_for_another_household_is_flagged_with_the_first_visit(db):
    _, first = visit_with(db, encoded(scene(1)), household="H1")
    sha, _ = visit_with(db, encoded(scene(1), quality=40, size=(320, 240)), household="H2",
                        at=RECEIVED + timedelta(days=3))
    flags = {f.flag: f for f in evidence.flags_of_session(db, db.execute(
        "SELECT v.session_id FROM photos p JOIN visits v ON v.id = p.visit_id WHERE p.sha256 = ?", (sha,)).fetchone()[0])}
    assert flags[NEAR_DUPLICATE].other_session_id == first
    assert not flags[NEAR_DUPLICATE].detail  # ids only: who may read the other household is decided when shown


def test_an_unrelated_picture_is_not_flagged_as_duplicate(db):
    visit_with(db, encoded(scene(1)), household="H1")
    _, session = visit_with(db, encoded(scene(2)), household="H2", at=RECEIVED + timedelta(days=3))
    assert NEAR_DUPLICATE not in {f.flag for f in evidence.flags_of_session(db, session)}


def test_two_shots_of_the_same_visit_are_not_duplicates_of_each_other(db):
    _, session = visit_with(db, encoded(scene(1)), household="H1")
    _, again = visit_with(db, encoded(scene(1), quality=50), household="H1", at=RECEIVED + timedelta(minutes=5))
    assert again == session
    assert NEAR_DUPLICATE not in {f.flag for f in evidence.flags_of_session(db, session)}


def test_band_index_finds_exactly_what_a_full_scan_finds():
    db = open_db(":memory:")
    db.conn.execute("PRAGMA foreign_keys = OFF")
    rng = random.Random(7)
    target = rng.getrandbits(64)
    stored = [rng.getrandbits(64) for _ in range(3000)]
    for distance in range(0, 10):  # planted hashes 0..9 bits away, the bits anywhere
        flipped = target
        for bit in rng.sample(range(64), distance):
            flipped ^= 1 << bit
        stored.append(flipped)
    for n, value in enumerate(stored):
        evidence.store_hash(db, f"s{n}", value)
    for limit in (0, 3, 6, 7):
        expected = sorted((evidence.hamming(target, v), f"s{n}") for n, v in enumerate(stored)
                          if evidence.hamming(target, v) <= limit)
        found = [(m.distance, m.sha256) for m in evidence.near_duplicates(db, target, limit)]
        assert found == expected and len(found) >= limit + 1
    with pytest.raises(ValueError):
        evidence.near_duplicates(db, target, 8)


@pytest.mark.parametrize("taken, flag", [
    (None, NO_EXIF),
    (RECEIVED - timedelta(days=5), TAKEN_LONG_BEFORE),
    (RECEIVED - timedelta(hours=3), None),
], ids=["no-exif", "five-days-old", "three-hours-old"])
def test_exif_flags(taken, flag):
    flags = evidence.exif_flags(taken, RECEIVED)
    assert [f.flag for f in flags] == ([flag] if flag else [])


def test_no_exif_and_old_exif_are_read_from_the_photo_itself(db):
    _, plain = visit_with(db, encoded(scene(3)), household="H1")
    _, old = visit_with(db, encoded(scene(4), taken="2010:05:01 10:00:00"), household="H2")
    assert [f.flag for f in evidence.flags_of_session(db, plain)] == [NO_EXIF]
    [flag] = evidence.flags_of_session(db, old)
    assert flag.flag == TAKEN_LONG_BEFORE and flag.value == pytest.approx(11 * 24, abs=0.1)  # 05-01 10:00 to 05-12 10:00 local


@pytest.mark.parametrize("gps, flagged", [((34.98, 102.91), False), ((35.3, 102.91), True)],
                         ids=["inside-the-village", "35-km-north"])
def test_distance_from_the_roster_point_of_the_village(db, gps, flagged):
    db.execute("UPDATE households SET latitude = 34.98, longitude = 102.90 WHERE village = '东村'")
    flags = evidence.distance_flag(gps, evidence.village_point(db, "H2"))
    assert [f.flag for f in flags] == ([FAR_FROM_VILLAGE] if flagged else [])


def test_without_roster_coordinates_the_village_point_is_the_median_of_its_visits(db):
    assert evidence.village_point(db, "H1") is None
    for n, (lat, lon) in enumerate([(35.00, 103.00), (35.01, 103.01), (36.50, 104.50)]):  # one wild point
        visit_with(db, encoded(scene(n)), household="H1" if n < 2 else "H2", at=RECEIVED + timedelta(days=n),
                   gps=(lat, lon))
    assert evidence.village_point(db, "H2") == (35.01, 103.01)
    assert evidence.village_point(db, "H3") is None  # 西村 has no visits


def test_haversine_matches_a_known_distance():
    # Lanzhou to Hezuo (合作市), about 145 km as the crow flies
    assert evidence.haversine_km(36.061, 103.834, 34.985, 102.911) == pytest.approx(144, abs=5)
