"""Evidence of a unit's task: a document (the plan: PDF, Word, WPS) or a photo (of the plan or the meeting), checked
and stored once under its sha256 below the [photos] dir."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from bot.messages import Incoming
from bot.photos import PhotoRejected, check_photo, store_photo, write_once
from bot.store.supervision import Evidence

DOCUMENT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps", ".odt", ".rtf", ".txt")
NOT_EVIDENCE = ("“{name}”不能作为证明材料。请发送实施方案的文件（PDF、Word 或 WPS），或者会议、文件的照片。")


class EvidenceRejected(Exception):
    """What was sent cannot be evidence; the message says why, in Chinese, and what to send instead."""


def has_evidence(msg: Incoming) -> bool:
    """Whether the message carries something that may be evidence: a photo or a fetched document."""
    return bool(msg.photos or msg.documents)


def store_evidence(msg: Incoming, photos_dir: Path, max_bytes: int, tz: str, now: datetime) -> Evidence:
    """Checks the message's first photo or document and stores it; raises EvidenceRejected otherwise."""
    if msg.photos:
        try:
            photo = check_photo(msg.photos[0].data, max_bytes, tz, now)
        except PhotoRejected as exc:
            raise EvidenceRejected(str(exc)) from None
        return Evidence(photo.sha256, "photo", msg.photos[0].filename or "照片", store_photo(photo, photos_dir))
    if not msg.documents:
        raise EvidenceRejected(NOT_EVIDENCE.format(name=msg.refused_what or "这条消息"))
    document = msg.documents[0]
    suffix = Path(document.filename).suffix.lower()
    if suffix not in DOCUMENT_SUFFIXES or not document.data:
        raise EvidenceRejected(NOT_EVIDENCE.format(name=document.filename[:40] or "这个文件"))
    sha256 = hashlib.sha256(document.data).hexdigest()
    relative = f"tasks/{sha256[:2]}/{sha256}{suffix}"
    write_once(photos_dir / relative, document.data)
    return Evidence(sha256, "document", document.filename[:100], relative)
