"""Photo checks: real images only, EXIF read correctly, stored once."""

import io

import pytest
from PIL import Image

from bot.photos import PhotoRejected, check_photo, store_photo
from tests.conftest import jpeg


def encoded(fmt, size=(48, 36), mode="RGB"):
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "JPEG"])
def test_accepted_formats(fmt):
    photo = check_photo(encoded(fmt), 10**7)
    assert (photo.format, photo.width, photo.height) == (fmt, 48, 36)


@pytest.mark.parametrize("data, reason", [
    (b"", "空的"),
    (b"GIF89a" + b"\0" * 50, "不是一张能打开的照片"),
    (encoded("GIF", mode="P"), "只接受 JPG、PNG 或 WebP"),
    (encoded("BMP"), "只接受 JPG、PNG 或 WebP"),
    ("你好".encode(), "不是一张能打开的照片"),
], ids=["empty", "broken-gif", "gif", "bmp", "text"])
def test_refused(data, reason):
    with pytest.raises(PhotoRejected, match=reason):
        check_photo(data, 10**7)


def test_tiny_image_is_refused():
    with pytest.raises(PhotoRejected, match="照片太小"):
        check_photo(encoded("PNG", size=(10, 10)), 10**7)


def test_decompression_bomb_is_refused():
    # A small PNG file (one colour compresses well) that decodes to 80 million pixels.
    with pytest.raises(PhotoRejected):
        check_photo(encoded("PNG", size=(10000, 8000), mode="1"), 10**8)


def test_southern_western_gps_is_negative():
    exif = Image.Exif()
    g = exif.get_ifd(0x8825)
    g[1], g[2], g[3], g[4] = "S", (33.0, 30.0, 0.0), "W", (70.0, 15.0, 0.0)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, "JPEG", exif=exif)
    photo = check_photo(buffer.getvalue(), 10**7)
    assert (photo.gps_lat, photo.gps_lon) == (-33.5, -70.25)


def test_garbage_exif_time_is_ignored():
    photo = check_photo(jpeg(taken="yesterday-ish"), 10**7)
    assert photo.exif_time is None


def test_stored_once_under_its_hash(tmp_path):
    photo = check_photo(jpeg(), 10**7)
    first = store_photo(photo, tmp_path)
    assert first == store_photo(photo, tmp_path) == f"{photo.sha256[:2]}/{photo.sha256}.jpg"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{photo.sha256}.jpg"]
