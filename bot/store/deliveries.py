"""Writing planned reminders as delivery rows: one per (reminder, cadre), never twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.clock import iso
from bot.store.recipients import NOT_BOUND, chosen_binding_join

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EXPIRED = "expired"
UNDELIVERABLE = "undeliverable"
STATUSES = (SENT, PENDING, SENDING, FAILED, EXPIRED, UNDELIVERABLE)
# How a clerk reads a delivery's status and kind (the CLI and the report workbook).
STATUS_NAMES = {SENT: "已发送", PENDING: "待发送", SENDING: "发送中", FAILED: "失败", EXPIRED: "过期",
                UNDELIVERABLE: "无法送达"}
KIND_NAMES = {"deadline": "截止提醒", "visit": "走访提醒", "digest": "每周汇总", "notice": "通知", "review": "审核结果",
              "escalation": "逾期未完成"}


@dataclass(frozen=True)
class Reminder:
    """One reminder before it is addressed: its key, the series it replaces, when it is due and when too late."""

    key: str  # deadline:<id>:<offset>d, visit:<ISO week>, digest:<ISO week>
    series: str  # a newer reminder of the same series makes an unsent older one pointless
    kind: str  # deadline / visit / digest
    due_at: datetime
    expires_at: datetime


_COLUMNS = ("reminder_key, series, kind, cadre_id, channel, chat_id, due_at, expires_at, text, status, "
            "last_error, created_at")


def key_planned(db: sqlite_utils.Database, key: str) -> bool:
    """Whether any row of this reminder exists (cheap: the unique index starts with the key)."""
    return db.execute("SELECT 1 FROM deliveries WHERE reminder_key = ? LIMIT 1", (key,)).fetchone() is not None


def series_planned(db: sqlite_utils.Database, series: str) -> bool:
    """Whether any reminder of this series was ever planned."""
    return db.execute("SELECT 1 FROM deliveries WHERE series = ? LIMIT 1", (series,)).fetchone() is not None


def insert_for_audience(db: sqlite_utils.Database, reminder: Reminder, audience_sql: str, params: tuple,
                        now: datetime, text: str = "", status: str = PENDING, reason: str | None = None) -> int:
    """Adds a row for every cadre the audience query selects (columns id, text); returns the rows added.

    A NULL text in the audience takes `text`. A cadre without an active binding gets a pending row marked 未绑定:
    it goes out if they bind before it expires, and shows in `reminders status` until then.
    """
    # Cadres who have the reminder already are left out before their binding is looked up: re-planning is cheap.
    db.execute(
        f"WITH audience AS ({audience_sql}) "
        f"INSERT INTO deliveries ({_COLUMNS}) "
        "SELECT ?, ?, ?, a.id, ch.channel, ch.chat_id, ?, ?, COALESCE(a.text, ?), ?, "
        "       CASE WHEN ch.chat_id IS NULL AND ? = 'pending' THEN ? ELSE ? END, ? "
        f"FROM audience a {chosen_binding_join('a.id')} "
        "WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.reminder_key = ? AND d.cadre_id = a.id) "
        "ON CONFLICT (reminder_key, cadre_id) DO NOTHING",
        (*params, reminder.key, reminder.series, reminder.kind, iso(reminder.due_at), iso(reminder.expires_at), text,
         status, status, NOT_BOUND, reason, iso(now), reminder.key),
    )
    # cursor.rowcount is -1 for a statement that starts with WITH: ask SQLite itself
    return db.execute("SELECT changes()").fetchone()[0]


def insert_personal(db: sqlite_utils.Database, reminder: Reminder, texts: dict[str, str], now: datetime) -> int:
    """Adds one row per cadre with that cadre's own text; returns the rows added."""
    if not texts:
        return 0
    db.execute("CREATE TEMP TABLE IF NOT EXISTS reminder_texts (cadre_id TEXT PRIMARY KEY, text TEXT NOT NULL)")
    db.execute("DELETE FROM temp.reminder_texts")
    db.conn.executemany("INSERT INTO temp.reminder_texts VALUES (?, ?)", texts.items())
    return insert_for_audience(db, reminder, "SELECT cadre_id AS id, text FROM temp.reminder_texts", (), now)


def stale_pending_keys(db: sqlite_utils.Database, kind: str, due_before: datetime) -> list[str]:
    """The keys of reminders of a kind with rows still pending that were due before then."""
    return [row[0] for row in db.execute(
        "SELECT DISTINCT reminder_key FROM deliveries WHERE status = ? AND kind = ? AND due_at < ?",
        (PENDING, kind, iso(due_before)))]


def rewrite_pending_text(db: sqlite_utils.Database, reminder_key: str, text: str) -> int:
    """Gives the reminder's pending rows a new text; returns how many changed."""
    return db.execute("UPDATE deliveries SET text = ? WHERE reminder_key = ? AND status = ? AND text != ?",
                      (text, reminder_key, PENDING, text)).rowcount


_DUE_SQL = """
SELECT d.reminder_key, d.cadre_id, c.name, d.channel, d.chat_id, d.text
FROM deliveries d JOIN cadres c ON c.id = d.cadre_id
WHERE d.status = ? AND d.due_at <= ? AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) AND {bound}
ORDER BY d.reminder_key, d.cadre_id
"""


@dataclass(frozen=True)
class DueDelivery:
    """A pending delivery whose time has come: the reminder, the cadre, the chat (None: unbound) and the text."""

    reminder_key: str
    cadre_id: str
    name: str
    channel: str | None
    chat_id: str | None
    text: str


def due_deliveries(db: sqlite_utils.Database, now: datetime, bound: bool) -> list[DueDelivery]:
    """The pending deliveries due by now to a bound chat (bound) or still waiting for one (not bound)."""
    condition = "d.chat_id IS NOT NULL" if bound else "d.chat_id IS NULL"
    rows = db.execute(_DUE_SQL.format(bound=condition), (PENDING, iso(now), iso(now))).fetchall()
    return [DueDelivery(*row) for row in rows]


def count_by_status(db: sqlite_utils.Database) -> dict[str, int]:
    """How many deliveries have each status."""
    return dict(db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())


def count_by_reason(db: sqlite_utils.Database) -> dict[tuple[str, str], int]:
    """How many deliveries not sent have each (status, reason)."""
    return {(status, reason): count for status, reason, count in db.execute(
        "SELECT status, last_error, COUNT(*) FROM deliveries WHERE status != 'sent' AND last_error IS NOT NULL "
        "GROUP BY status, last_error")}
