"""Notices beyond their receipts (bot/store/supervision.py): who a draft would reach, which notices wait to be
planned as deliveries, and the notices an administrator may see (通知情况)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from bot.store.recipients import NOT_BOUND
from bot.store.scopes import Scope, units_condition
from bot.store.supervision import recipients_sql


@dataclass(frozen=True)
class Notice:
    """A notice with the names its readers see: who sent it and from which unit."""

    id: int
    sender_id: str
    sender_name: str
    sender_unit: str
    scope_unit_id: str | None
    text: str
    urgent: bool
    created_at: str  # UTC
    status: str


# The audience of a notice's deliveries (store.deliveries.insert_for_audience): its receipts' cadres.
RECEIPTS_AUDIENCE = "SELECT cadre_id AS id, NULL AS text FROM notice_receipts WHERE notice_id = ?"
_NOTICE = ("SELECT n.id, n.sender_id, c.name, u.name, n.scope_unit_id, n.text, n.urgent, n.created_at, n.status "
           "FROM notices n JOIN cadres c ON c.id = n.sender_id JOIN units u ON u.id = c.unit_id ")


def count_recipients(db: sqlite_utils.Database, scope: Scope) -> tuple[int, int]:
    """How many cadres a notice of this scope would go to, and how many of them have an active binding."""
    sql, params = recipients_sql(scope)
    return db.execute(f"SELECT COUNT(*), COUNT(*) FILTER (WHERE EXISTS (SELECT 1 FROM bindings b "
                      f"WHERE b.cadre_id = r.id AND b.active = 1)) FROM ({sql}) r", params).fetchone()


def notice_by_id(db: sqlite_utils.Database, notice_id: int) -> Notice | None:
    """The notice, or None."""
    row = db.execute(_NOTICE + "WHERE n.id = ?", (notice_id,)).fetchone()
    return Notice(*row) if row else None


def notices_to_plan(db: sqlite_utils.Database) -> list[Notice]:
    """Confirmed notices whose deliveries are not planned yet."""
    return [Notice(*row) for row in db.execute(_NOTICE + "WHERE n.status = 'sending' ORDER BY n.id")]


def finish_planning(db: sqlite_utils.Database, notice: Notice, reminder_key: str) -> int:
    """After a notice's rows are written: marks them urgent if it is, records receipts of cadres without a binding
    as undeliverable (未绑定; a binding before the notice expires still delivers it), and the notice as planned.
    Returns how many recipients have no binding."""
    if notice.urgent:
        db.execute("UPDATE deliveries SET urgent = 1 WHERE reminder_key = ?", (reminder_key,))
    unbound = db.execute(
        "UPDATE notice_receipts SET status = 'undeliverable', reason = ? WHERE notice_id = ? AND status = 'pending' "
        "AND cadre_id IN (SELECT cadre_id FROM deliveries WHERE reminder_key = ? AND chat_id IS NULL)",
        (NOT_BOUND, notice.id, reminder_key)).rowcount
    db.execute("UPDATE notices SET status = 'sent' WHERE id = ? AND status = 'sending'", (notice.id,))
    return unbound


def notices_in_scope(db: sqlite_utils.Database, scope: Scope, limit: int = 3) -> list[Notice]:
    """The latest confirmed notices written for a unit of the scope (the office sees every notice)."""
    where, params = units_condition(scope, "su")
    rows = db.execute(_NOTICE + f"LEFT JOIN units su ON su.id = n.scope_unit_id WHERE n.status IN ('sending', 'sent') "
                      f"AND ({where}) AND (:everything OR n.scope_unit_id IS NOT NULL) "
                      "ORDER BY n.created_at DESC, n.id DESC LIMIT :limit",
                      {**params, "everything": scope.everything, "limit": limit})
    return [Notice(*row) for row in rows]


def notice_texts(db: sqlite_utils.Database, notice_ids: set[int]) -> dict[int, str]:
    """The texts of these notices."""
    return {row[0]: row[1] for row in db.execute(
        "SELECT id, text FROM notices WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(notice_ids)),))}
