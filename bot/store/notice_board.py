"""What the console's 通知 page reads: the notices that concern a scope, their receipts added up by unit and status
(notice_unit_counts, kept by triggers) and listed by cadre, and how many a new notice would reach."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from bot.store.scopes import Scope, path_range, units_condition
from bot.store.supervision import recipients_sql

RECEIPT_STATUSES = ("pending", "delivered", "read", "undeliverable")


def recipients_count(db: sqlite_utils.Database, scope: Scope) -> int:
    """How many cadres a notice from this administrator to their scope would reach (the sender not among them)."""
    sql, params = recipients_sql(scope)
    return db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]


@dataclass(frozen=True)
class NoticeRow:
    """A notice as the list shows it, with its receipts counted within the viewer's scope."""

    notice_id: int
    sender_id: str
    sender_name: str
    scope_name: str
    text: str
    urgent: bool
    status: str
    created_at: str  # UTC
    confirmed_at: str | None
    counts: dict[str, int]  # by receipt status

    @property
    def recipients(self) -> int:
        """Receipts within the viewer's scope."""
        return sum(self.counts.values())


# A notice concerns a scope when their units overlap: sent to it or within it, or from above to it.
_OVERLAP = """(n.scope_unit_id IS NULL OR :everything
               OR (nu.path >= :scope_low AND nu.path < :scope_high) OR (:scope_low >= nu.path AND :scope_low < substr(nu.path, 1, length(nu.path) - 1) || '0'))"""
_NOTICE_COLUMNS = """SELECT n.id, n.sender_id, c.name, COALESCE(nu.name, '全部单位'), n.text, n.urgent, n.status, n.created_at,
       n.confirmed_at
FROM notices n JOIN cadres c ON c.id = n.sender_id LEFT JOIN units nu ON nu.id = n.scope_unit_id"""


def _scope_params(scope: Scope) -> dict:
    low, high = path_range(scope.path) if not scope.everything else ("", "")
    return {"everything": scope.everything, "scope_low": low, "scope_high": high}


def notices_for(db: sqlite_utils.Database, scope: Scope, after_id: int | None, limit: int) -> list[NoticeRow]:
    """The confirmed notices that concern the scope, newest first, after the keyset cursor (notice id)."""
    rows = db.execute(f"{_NOTICE_COLUMNS} WHERE n.status <> 'draft' AND {_OVERLAP} "
                      "AND (:after IS NULL OR n.id < :after) ORDER BY n.id DESC LIMIT :limit",
                      {**_scope_params(scope), "after": after_id, "limit": limit}).fetchall()
    return [NoticeRow(*r[:5], bool(r[5]), *r[6:], receipt_counts(db, scope, r[0])) for r in rows]


def notice_for(db: sqlite_utils.Database, scope: Scope, notice_id: int) -> NoticeRow | None:
    """A notice (draft or sent) that concerns the scope, else None (404)."""
    row = db.execute(f"{_NOTICE_COLUMNS} WHERE n.id = :notice AND {_OVERLAP}",
                     {**_scope_params(scope), "notice": notice_id}).fetchone()
    return NoticeRow(*row[:5], bool(row[5]), *row[6:], receipt_counts(db, scope, notice_id)) if row else None


def receipt_counts(db: sqlite_utils.Database, scope: Scope, notice_id: int) -> dict[str, int]:
    """The notice's receipts within the scope, by status."""
    where, params = units_condition(scope)
    counts = dict(db.execute(f"SELECT k.status, SUM(k.receipts) FROM notice_unit_counts k JOIN units u ON u.id = k.unit_id "
                             f"WHERE k.notice_id = :notice AND {where} GROUP BY k.status",
                             {**params, "notice": notice_id}).fetchall())
    return {status: counts.get(status, 0) for status in RECEIPT_STATUSES}


def receipts_by_unit(db: sqlite_utils.Database, scope: Scope, notice_id: int) -> list[tuple[str, str, dict[str, int]]]:
    """The notice's receipts within the scope added up for each unit right below the scope's root (the root's own
    cadres under its name): (unit id, name, counts by status), units with receipts only."""
    where, params = units_condition(scope)
    depth = 1 if scope.everything else scope.path.count("/") - 1  # the path segment that names the part
    parts: dict[str, dict[str, int]] = {}
    for path, status, receipts in db.execute(
            f"SELECT u.path, k.status, k.receipts FROM notice_unit_counts k JOIN units u ON u.id = k.unit_id "
            f"WHERE k.notice_id = :notice AND k.receipts <> 0 AND {where}", {**params, "notice": notice_id}):
        ids = path.strip("/").split("/")
        part = ids[min(depth, len(ids) - 1)]
        counts = parts.setdefault(part, dict.fromkeys(RECEIPT_STATUSES, 0))
        counts[status] += receipts
    names = dict(db.execute("SELECT id, name FROM units WHERE id IN (SELECT value FROM json_each(?))",
                            (json.dumps(list(parts)),)).fetchall())
    return sorted(((unit, names.get(unit, unit), counts) for unit, counts in parts.items()),
                  key=lambda row: (-(row[2]["pending"] + row[2]["delivered"] + row[2]["undeliverable"]), row[0]))


@dataclass(frozen=True)
class ReceiptRow:
    """One cadre's receipt of a notice."""

    cadre_id: str
    cadre_name: str
    unit_name: str
    status: str
    reason: str | None
    delivered_at: str | None
    read_at: str | None


def receipts(db: sqlite_utils.Database, scope: Scope, notice_id: int, status: str | None, after_cadre: str | None,
             limit: int) -> list[ReceiptRow]:
    """A page of the notice's receipts within the scope, by cadre id, optionally of one status."""
    where, params = units_condition(scope)
    rows = db.execute(
        f"SELECT r.cadre_id, c.name, u.name, r.status, r.reason, r.delivered_at, r.read_at FROM notice_receipts r "
        f"JOIN cadres c ON c.id = r.cadre_id JOIN units u ON u.id = c.unit_id "
        f"WHERE r.notice_id = :notice AND {where} AND (:status IS NULL OR r.status = :status) "
        f"{'AND r.cadre_id > :after' if after_cadre else ''} ORDER BY r.cadre_id LIMIT :limit",
        {**params, "notice": notice_id, "status": status, "after": after_cadre, "limit": limit})
    return [ReceiptRow(*r) for r in rows]


def draft_of(db: sqlite_utils.Database, sender_id: str, notice_id: int) -> tuple[str, bool, str] | None:
    """(text, urgent, status) of a notice this administrator wrote, else None."""
    row = db.execute("SELECT text, urgent, status FROM notices WHERE id = ? AND sender_id = ?",
                     (notice_id, sender_id)).fetchone()
    return (row[0], bool(row[1]), row[2]) if row else None
