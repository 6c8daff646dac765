"""Whether a place or a time that a phone or a photo reports can be true: a point on the globe, a photo taken
before it was sent. Shared by the photo check and, later, the location path of the handlers."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

EARLIEST_PHOTO = datetime(1990, 1, 1, tzinfo=timezone.utc)  # no digital camera wrote EXIF before
CLOCK_SKEW = timedelta(minutes=10)  # a phone's clock may run a little ahead of the server's


def valid_point(latitude: float, longitude: float) -> bool:
    """True for a real place: finite numbers, latitude within ±90 and longitude within ±180."""
    return (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180)


def valid_dms(degrees: float, minutes: float, seconds: float, max_degrees: int) -> bool:
    """True for degrees, minutes, seconds as EXIF writes them: finite, not negative, minutes and seconds under 60."""
    parts = (degrees, minutes, seconds)
    return (all(math.isfinite(p) and p >= 0 for p in parts) and minutes < 60 and seconds < 60
            and degrees <= max_degrees)


def plausible_photo_time(taken: datetime, sent_at: datetime) -> bool:
    """True when a photo's time (aware) can be when it was taken: not before 1990, not after the message bringing it."""
    return EARLIEST_PHOTO <= taken <= sent_at + CLOCK_SKEW
