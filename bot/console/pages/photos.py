"""Visit photos and task evidence, served only to a session whose scope holds the visit or unit: the address names
the photo by its sha256, which gives nothing to anyone without such a session (404 otherwise)."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image, ImageOps
from starlette.responses import FileResponse, Response

from bot.console.errors import not_found
from bot.console.serving import PageRequest
from bot.store.reviews import photo_in_scope
from bot.store.task_board import evidence_in_scope

THUMB_SIDE = 360
SHA256 = re.compile(r"[0-9a-f]{64}")
PRIVATE_CACHE = {"Cache-Control": "private, max-age=600", "X-Content-Type-Options": "nosniff"}


def photo(req: PageRequest) -> Response:
    """The photo full size."""
    return FileResponse(_photo_file(req), headers=PRIVATE_CACHE)


def thumbnail(req: PageRequest) -> Response:
    """The photo at most 360 px a side (made once, kept beside the photos), for the review grid."""
    source = _photo_file(req)
    thumb = photos_dir(req) / ".thumbs" / source.name[:2] / f"{source.stem}.jpg"
    if not thumb.exists():
        thumb.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(source) as image:
            small = ImageOps.exif_transpose(image).convert("RGB")
            small.thumbnail((THUMB_SIDE, THUMB_SIDE))
            partial = thumb.with_suffix(".part")
            small.save(partial, "JPEG", quality=80)
            partial.replace(thumb)
    return FileResponse(thumb, media_type="image/jpeg", headers=PRIVATE_CACHE)


def evidence(req: PageRequest) -> Response:
    """A task's evidence file (the plan, a photo of the meeting), as an attachment."""
    unit_id, deadline_id = req.request.path_params["unit_id"], req.request.path_params["deadline_id"]
    found = evidence_in_scope(req.db, req.admin.scope, unit_id, deadline_id)
    path = _inside(req, found[0]) if found else None
    if path is None:
        raise not_found(f"evidence of {unit_id}/{deadline_id} outside the scope, unknown or missing")
    return FileResponse(path, filename=found[1], headers=PRIVATE_CACHE)


def photos_dir(req: PageRequest) -> Path:
    """The [photos] folder."""
    return Path(req.app.settings.photos.dir).resolve()


def _photo_file(req: PageRequest) -> Path:
    sha = req.request.path_params["sha256"]
    stored = photo_in_scope(req.db, req.admin.scope, sha) if SHA256.fullmatch(sha) else None
    path = _inside(req, stored) if stored else None
    if path is None:
        raise not_found(f"photo {sha[:12]} outside the scope of {req.admin.cadre_id}, unknown or missing")
    return path


def _inside(req: PageRequest, relative: str) -> Path | None:
    """The stored file when it exists under the photos folder (a stored path never leads outside it)."""
    root = photos_dir(req)
    path = (root / relative).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None
