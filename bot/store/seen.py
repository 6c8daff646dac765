"""Platform messages already received (processed_messages): a retry or redelivery is recognised, never answered twice."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlite_utils

KEEP_SEEN = timedelta(days=7)
# Which process claimed a message: a key left unfinished by another (a crashed run) may be claimed again.
THIS_PROCESS = uuid.uuid4().hex


def first_time_seen(db: sqlite_utils.Database, channel: str, key: str, now: datetime) -> bool:
    """Claims a platform message key; False when it was handled before (a redelivery or retry) or is being handled.

    A key that an earlier process claimed but never finished (it died mid-message) is claimed again, so a crash
    loses nothing; the visit it may have half-recorded is protected by the photo's sha256."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO processed_messages (channel, message_key, received_at, claimed_by) VALUES (?, ?, ?, ?)",
        (channel, key, now.isoformat(), THIS_PROCESS),
    )
    if cursor.rowcount:
        return True
    return db.execute(
        "UPDATE processed_messages SET claimed_by = ?, received_at = ? WHERE channel = ? AND message_key = ? "
        "AND finished_at IS NULL AND claimed_by IS NOT ?",
        (THIS_PROCESS, now.isoformat(), channel, key, THIS_PROCESS),
    ).rowcount > 0


def finish_seen(db: sqlite_utils.Database, channel: str, key: str, now: datetime) -> None:
    """Marks a claimed message as handled: from now on a retry of it is ignored, whatever process receives it."""
    db.execute("UPDATE processed_messages SET finished_at = ? WHERE channel = ? AND message_key = ?",
               (now.isoformat(), channel, key))


def forget_seen(db: sqlite_utils.Database, channel: str, before: datetime) -> int:
    """Drops the channel's message keys recorded before then (platforms redeliver within minutes, not weeks)."""
    return db.execute("DELETE FROM processed_messages WHERE channel = ? AND received_at < ?",
                      (channel, before.isoformat())).rowcount
