"""Which chat speaks for which cadre: binding, rebinding and deactivating chats, on any channel."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlite_utils

from bot.roster.phones import PhoneError
from bot.roster.phones import normalise_phone as roster_phone

logger = logging.getLogger(__name__)

BLOCKED_REASON = "用户屏蔽了机器人"
UNBOUND_REASON = "用户自行解绑"

def normalise_phone(text: str) -> str:
    """'+86 138-0000-1234' -> '13800001234': the form the roster import stores cadres.phone in."""
    try:
        return roster_phone(text or "", mobile_only=False)
    except PhoneError:  # the roster stores no such number: its digits, only for telling the user what was read
        return "".join(ch for ch in text or "" if ch.isascii() and ch.isdigit())


def touch_binding(db: sqlite_utils.Database, channel: str, chat_id: str, now: datetime) -> None:
    """Notes that the bound chat was just heard from."""
    db.execute("UPDATE bindings SET last_seen_at = ? WHERE channel = ? AND chat_id = ?",
               (now.isoformat(), channel, chat_id))


def last_seen(db: sqlite_utils.Database, channel: str, chat_id: str) -> datetime | None:
    """When the chat last wrote to the bot (None if never, or no binding)."""
    row = db.execute("SELECT last_seen_at FROM bindings WHERE channel = ? AND chat_id = ?", (channel, chat_id)).fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def bind_chat(db: sqlite_utils.Database, channel: str, chat_id: str, user_id: str | None, cadre_id: str,
              now: datetime) -> None:
    """Binds the chat to the cadre, replacing whatever binding the chat had."""
    db.execute(
        "INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at, last_seen_at, inactive_reason) "
        "VALUES (?, ?, ?, ?, 1, ?, ?, NULL) ON CONFLICT (channel, chat_id) DO UPDATE SET "
        "user_id = excluded.user_id, cadre_id = excluded.cadre_id, active = 1, bound_at = excluded.bound_at, "
        "last_seen_at = excluded.last_seen_at, inactive_reason = NULL",
        (channel, chat_id, user_id, cadre_id, now.isoformat(), now.isoformat()),
    )
    logger.info("%s chat %s bound to cadre %s", channel, chat_id, cadre_id)


def deactivate_chat(db: sqlite_utils.Database, channel: str, chat_id: str, reason: str) -> bool:
    """Marks the chat's active binding inactive with a reason; False when it had none."""
    cursor = db.execute(
        "UPDATE bindings SET active = 0, inactive_reason = ? WHERE channel = ? AND chat_id = ? AND active = 1",
        (reason, channel, chat_id),
    )
    if cursor.rowcount:
        logger.info("%s chat %s binding deactivated: %s", channel, chat_id, reason)
    return cursor.rowcount > 0


def reactivate_blocked_chat(db: sqlite_utils.Database, channel: str, chat_id: str) -> bool:
    """Reactivates a binding that went inactive only because the user blocked the bot (not one they unbound)."""
    cursor = db.execute(
        "UPDATE bindings SET active = 1, inactive_reason = NULL "
        "WHERE channel = ? AND chat_id = ? AND active = 0 AND inactive_reason = ?",
        (channel, chat_id, BLOCKED_REASON),
    )
    return cursor.rowcount > 0
