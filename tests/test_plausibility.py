"""Places and times that cannot be true are never stored: EXIF GPS off the globe, EXIF times in the future or from
before digital cameras; and the shared checks the location path will use."""

from __future__ import annotations

import io
import math
from datetime import datetime, timezone

import pytest
from PIL import Image, TiffImagePlugin

from bot.photos import check_photo
from bot.plausibility import plausible_photo_time, valid_point
from tests.conftest import jpeg

SENT = datetime(2010, 5, 12, 1, 0, tzinfo=timezone.utc)  # 09:00 in Gannan


def gps_jpeg(lat_dms, lon_dms, lat_ref="N", lon_ref="E") -> bytes:
    """A small JPEG whose EXIF GPS holds exactly these degrees, minutes, seconds."""
    exif = Image.Exif()
    g = exif.get_ifd(0x8825)
    g[1], g[3] = lat_ref, lon_ref
    g[2] = tuple(TiffImagePlugin.IFDRational(*v) if isinstance(v, tuple) else TiffImagePlugin.IFDRational(v)
                 for v in lat_dms)  # (numerator, denominator) as a forged file may hold them: 0/0, 1/0
    g[4] = tuple(TiffImagePlugin.IFDRational(*v) if isinstance(v, tuple) else TiffImagePlugin.IFDRational(v)
                 for v in lon_dms)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


@pytest.mark.parametrize("lat, lon", [
    ((34, 999, 0), (102, 54, 0)),
    ((34, 59, 60), (102, 54, 0)),
    ((34, 0, 0), (102, 60, 0)),
    ((91, 0, 0), (102, 0, 0)),
    ((34, 0, 0), (181, 0, 0)),
    (((0, 0), 0, 0), (102, 0, 0)),
    ((34, 0, 0), (102, (1, 0), 0)),
], ids=["999-minutes", "60-seconds", "60-minutes-lon", "lat-91", "lon-181", "zero-over-zero", "one-over-zero"])
def test_impossible_exif_gps_is_no_place(lat, lon):
    photo = check_photo(gps_jpeg(lat, lon), 10**7, sent_at=SENT)
    assert (photo.gps_lat, photo.gps_lon) == (None, None)


def test_a_real_exif_place_is_kept():
    photo = check_photo(gps_jpeg((34, 59, 30), (102, 54, 36), "N", "E"), 10**7, sent_at=SENT)
    assert (round(photo.gps_lat, 4), round(photo.gps_lon, 2)) == (34.9917, 102.91)


@pytest.mark.parametrize("taken", ["9999:12:31 23:59:59", "2030:01:01 08:00:00", "2010:05:12 09:30:00",
                                   "1970:01:01 08:00:00"],
                         ids=["year-9999", "year-2030", "half-an-hour-after-sending", "year-1970"])
def test_exif_time_after_the_message_or_absurd_is_no_time(taken):
    assert check_photo(jpeg(taken=taken), 10**7, sent_at=SENT).exif_time is None


def test_exif_time_before_the_message_is_kept():
    photo = check_photo(jpeg(taken="2010:05:11 10:30:00"), 10**7, sent_at=SENT)
    assert photo.exif_time == datetime(2010, 5, 11, 2, 30, tzinfo=timezone.utc)


def test_without_a_message_time_the_future_is_after_now():
    assert check_photo(jpeg(taken="2999:01:01 00:00:00"), 10**7).exif_time is None


@pytest.mark.parametrize("lat, lon, ok", [
    (34.98, 102.91, True), (-90, 180, True), (1000, -1000, False), (math.nan, math.nan, False),
    (90.0001, 0, False), (0, -180.5, False), (math.inf, 0, False),
], ids=["hezuo", "edges", "1000", "nan", "lat-over", "lon-under", "inf"])
def test_valid_point(lat, lon, ok):
    assert valid_point(lat, lon) is ok


def test_plausible_photo_time_allows_a_phone_clock_slightly_ahead():
    assert plausible_photo_time(SENT.replace(minute=5), SENT)
    assert not plausible_photo_time(SENT.replace(minute=11), SENT)
