"""Upkeep of delivery rows before each dispatch: sends a dead process left half done, reminders expired or
superseded, rows to point at the cadre's current chat. Each is one statement over all rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from bot.clock import iso
from bot.store.deliveries import EXPIRED, FAILED, PENDING, SENDING, UNDELIVERABLE
from bot.store.recipients import NOT_BOUND, chosen_binding_rowid

INTERRUPTED = "发送中断，未确认是否送达"
# A send takes seconds; a row still 'sending' after this belongs to a process that died mid-send.
SENDING_LEASE = timedelta(minutes=5)
EXPIRED_UNSENT = "已过期，未发送"
EXPIRED_UNBOUND = "未绑定，到期仍未能送达"
SUPERSEDED = "已被同类的新提醒取代"


def recover_interrupted(db: sqlite_utils.Database, now: datetime) -> int:
    """Closes sends a dead process left half done as failed: at most once, so they are never sent blindly again."""
    return db.execute(
        "UPDATE deliveries SET status = ?, last_error = ? WHERE status = ? AND claimed_at <= ?",
        (FAILED, INTERRUPTED, SENDING, iso(now - SENDING_LEASE)),
    ).rowcount


def expire_overdue(db: sqlite_utils.Database, now: datetime) -> int:
    """Marks pending rows past their expiry: expired, or undeliverable when the cadre never had a binding."""
    return db.execute(
        "UPDATE deliveries SET status = CASE WHEN chat_id IS NULL THEN ? ELSE ? END, "
        "last_error = CASE WHEN chat_id IS NULL THEN ? ELSE ? END WHERE status = ? AND expires_at <= ?",
        (UNDELIVERABLE, EXPIRED, EXPIRED_UNBOUND, EXPIRED_UNSENT, PENDING, iso(now)),
    ).rowcount


def expire_superseded(db: sqlite_utils.Database, now: datetime) -> int:
    """Drops a pending reminder when a newer one of the same series is due for the same cadre."""
    return db.execute(
        "UPDATE deliveries SET status = ?, last_error = ? WHERE status = ? AND due_at <= ? AND EXISTS ("
        "  SELECT 1 FROM deliveries newer WHERE newer.series = deliveries.series "
        "  AND newer.cadre_id = deliveries.cadre_id AND newer.due_at > deliveries.due_at AND newer.due_at <= ? "
        "  AND newer.status IN (?, ?, ?))",
        (EXPIRED, SUPERSEDED, PENDING, iso(now), iso(now), PENDING, SENDING, "sent"),
    ).rowcount


def readdress(db: sqlite_utils.Database, now: datetime) -> int:
    """Points due rows whose chat is unbound or no longer active at the cadre's current binding (or marks 未绑定).

    One statement for all rows, run every dispatch tick: a row of a cadre who is still unbound is left as it is."""
    latest = chosen_binding_rowid("deliveries.cadre_id")
    return db.execute(
        f"UPDATE deliveries SET (channel, chat_id) = (SELECT channel, chat_id FROM bindings WHERE rowid = ({latest})), "
        f"last_error = CASE WHEN EXISTS ({latest}) THEN NULL ELSE ? END "
        "WHERE status = ? AND due_at <= ? AND NOT EXISTS ("
        "  SELECT 1 FROM bindings b WHERE b.channel = deliveries.channel AND b.chat_id = deliveries.chat_id "
        "  AND b.cadre_id = deliveries.cadre_id AND b.active = 1) "
        f"AND (chat_id IS NOT NULL OR EXISTS ({latest}))",
        (NOT_BOUND, PENDING, iso(now)),
    ).rowcount
