"""Messages kept on disk while the database cannot store them (another process holds its write lock), so that a
crash or a restart in the meantime loses none: each is one small JSON file in a folder beside the database,
written before the bot waits for the lock and removed once the message is stored; a starting channel answers
whatever its last run left there (its retry key makes sure nothing is answered twice)."""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import time
import uuid
from datetime import datetime
from pathlib import Path

from bot.messages import Contact, Event, Incoming, IncomingDocument, IncomingPhoto, Location, MediaRefusal
from bot.store.seen import THIS_PROCESS

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Pending:
    """One kept message: where it is on disk, the message, and its retry key."""

    path: Path
    message: Incoming
    key: str | None


class PendingMessages:
    """The folder of kept messages; None as folder (an in-memory database) keeps nothing."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    @classmethod
    def beside(cls, database_path: str) -> PendingMessages:
        """The folder next to the database file: bot.db -> bot.db.pending/."""
        if str(database_path) == ":memory:":
            return cls(None)
        path = Path(database_path)
        return cls(path.with_name(path.name + ".pending"))

    def keep(self, message: Incoming, key: str | None) -> Path | None:
        """Writes the message durably (fsync, then an atomic rename); returns its file."""
        if self.folder is None:
            return None
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{message.channel}-{time.time_ns()}-{uuid.uuid4().hex[:8]}.json"
        temporary = path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as fh:
            json.dump({"key": key, "process": THIS_PROCESS, "message": encode(message)}, fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
        return path

    def drop(self, path: Path | None) -> None:
        """Removes a kept message once it is stored."""
        if path is not None:
            path.unlink(missing_ok=True)

    def waiting(self, channel: str) -> list[Pending]:
        """The channel's messages an earlier process kept, oldest first (this process's own are still being
        answered); an unreadable file is logged and moved aside."""
        if self.folder is None or not self.folder.is_dir():
            return []
        kept = []
        for path in sorted(self.folder.glob(f"{channel}-*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
                if record.get("process") == THIS_PROCESS:
                    continue
                kept.append(Pending(path, decode(record["message"]), record.get("key")))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                logger.error("a kept message could not be read (%s): moved to %s.bad", exc, path.name)
                path.rename(path.with_suffix(".bad"))
        return kept


def encode(message: Incoming) -> dict:
    """The message as JSON-safe values (photos in base64, times in ISO 8601, enums by value)."""
    fields = dataclasses.asdict(message)
    fields["sent_at"] = message.sent_at.isoformat()
    for files in ("photos", "documents"):
        fields[files] = [{**file, "data": base64.b64encode(file["data"]).decode()} for file in fields[files]]
    fields["event"] = message.event.value if message.event else None
    fields["refused_media"] = message.refused_media.value if message.refused_media else None
    return fields


def decode(fields: dict) -> Incoming:
    """The message encode() wrote."""
    return Incoming(**{
        **fields,
        "sent_at": datetime.fromisoformat(fields["sent_at"]),
        "photos": tuple(IncomingPhoto(**{**p, "data": base64.b64decode(p["data"])}) for p in fields["photos"]),
        "documents": tuple(IncomingDocument(**{**d, "data": base64.b64decode(d["data"])})
                           for d in fields.get("documents", ())),
        "location": Location(**fields["location"]) if fields.get("location") else None,
        "contact": Contact(**fields["contact"]) if fields.get("contact") else None,
        "event": Event(fields["event"]) if fields.get("event") else None,
        "refused_media": MediaRefusal(fields["refused_media"]) if fields.get("refused_media") else None,
    })
