"""Checking that a photo is a real image, reading its EXIF time and GPS, and storing it once under its sha256."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image, UnidentifiedImageError

from bot.files import atomic_file
from bot.plausibility import plausible_photo_time, valid_dms, valid_point

ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MIN_SIDE = 32  # pixels: an icon or a sticker is not evidence of a visit
MAX_PIXELS = 60_000_000  # well above any phone camera, far below a decompression bomb

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 36867
_DATETIME = 306


class PhotoRejected(Exception):
    """The bytes are not a photo the bot accepts; the message says why, in Chinese, for the cadre."""


@dataclass(frozen=True)
class CheckedPhoto:
    """A photo that passed the checks, with what it says about itself."""

    sha256: str
    data: bytes
    format: str
    width: int
    height: int
    exif_time: datetime | None  # UTC
    gps_lat: float | None
    gps_lon: float | None

    @property
    def relative_path(self) -> str:
        """Where it is stored under the photos folder: ab/abcdef….jpg."""
        return f"{self.sha256[:2]}/{self.sha256}.{ACCEPTED_FORMATS[self.format]}"


def too_large(max_bytes: int) -> str:
    """The refusal of a photo over the size limit, for the cadre."""
    return f"照片太大（超过 {max_bytes // (1024 * 1024)} MB），没有保存。请压缩后或换一张重新发送。"


def check_photo(data: bytes, max_bytes: int, tz: str = "Asia/Shanghai", sent_at: datetime | None = None) -> CheckedPhoto:
    """Opens and fully decodes the image; raises PhotoRejected for anything but a sane JPEG, PNG or WebP.

    EXIF GPS off the globe (minutes or seconds of 60 or more, NaN) is no place, and an EXIF time after sent_at (the
    message's time, now if not given) or before 1990 is no time: both are left out rather than stored."""
    if not data:
        raise PhotoRejected("收到的照片是空的，请重新发送。")
    if len(data) > max_bytes:
        raise PhotoRejected(too_large(max_bytes))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                if image.format not in ACCEPTED_FORMATS:
                    raise PhotoRejected("只接受 JPG、PNG 或 WebP 格式的照片，请换一张重新发送。")
                if min(image.width, image.height) < MIN_SIDE:
                    raise PhotoRejected("照片太小，看不清。请用手机相机拍一张走访照片发送。")
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRejected("照片尺寸过大，请用手机相机拍摄的普通照片。")
                image.load()  # decodes every byte: catches truncated files that verify() lets through
                exif = image.getexif()
                fmt, width, height = image.format, image.width, image.height
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise PhotoRejected("这不是一张能打开的照片（文件损坏或不是图片），请重新拍摄后发送。") from None
    lat, lon = _gps(exif)
    return CheckedPhoto(
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        format=fmt,
        width=width,
        height=height,
        exif_time=_exif_time(exif, tz, sent_at or datetime.now(timezone.utc)),
        gps_lat=lat,
        gps_lon=lon,
    )


def store_photo(photo: CheckedPhoto, photos_dir: Path) -> str:
    """Writes the photo under photos_dir once (atomically); returns its path relative to photos_dir."""
    target = photos_dir / photo.relative_path
    if not target.exists():
        with atomic_file(target, prefix=".incoming-") as fh:
            fh.write(photo.data)
    return photo.relative_path


def _exif_time(exif: Image.Exif, tz: str, sent_at: datetime) -> datetime | None:
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        local = datetime.strptime(raw.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        # EXIF times carry no zone: a camera in Gannan shows local time.
        taken = local.replace(tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)
    except (ValueError, OverflowError):  # OverflowError: a forged year 0001 has no UTC equivalent
        return None
    return taken if plausible_photo_time(taken, sent_at) else None


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps = exif.get_ifd(_GPS_IFD)
    try:
        lat = _degrees(gps[2], gps.get(1, "N"), "S", 90)
        lon = _degrees(gps[4], gps.get(3, "E"), "W", 180)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if lat is None or lon is None or not valid_point(lat, lon):
        return None, None
    return lat, lon


def _degrees(dms, ref: str, negative_ref: str, max_degrees: int) -> float | None:
    degrees, minutes, seconds = (float(x) for x in dms)
    if not valid_dms(degrees, minutes, seconds, max_degrees):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(ref).upper().startswith(negative_ref) else value
