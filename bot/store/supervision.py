"""Records of supervision: visit reviews, unit tasks reported done, notices and their receipts.

Store functions over the tables of migrations 51-53; the scope checks (may this administrator touch that visit or
unit?) are in bot/store/scopes.py and belong to the caller, which answers a refusal in its own words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.db import transaction
from bot.store.scopes import Scope, units_condition

PENDING_REVIEW, PASSED, NEEDS_MORE = "待审核", "合格", "需补充"
REVIEW_STATES = (PENDING_REVIEW, PASSED, NEEDS_MORE)


# ---- visit review ------------------------------------------------------------------------------------------------

def review_visit(db: sqlite_utils.Database, session_id: int, state: str, reviewer_id: str, comment: str,
                 now: datetime) -> bool:
    """Records a review of a visit (session) and makes it the visit's state; False when the visit is gone."""
    if state not in (PASSED, NEEDS_MORE):
        raise ValueError(f"a review is {PASSED} or {NEEDS_MORE}, not {state!r}")
    with transaction(db):
        changed = db.execute("UPDATE visit_sessions SET review_state = ?, reviewed_by = ?, reviewed_at = ?, "
                             "review_comment = ? WHERE id = ?",
                             (state, reviewer_id, now.isoformat(), comment or None, session_id)).rowcount
        if changed:
            db.execute("INSERT INTO visit_reviews (session_id, state, reviewer_id, comment, reviewed_at) "
                       "VALUES (?, ?, ?, ?, ?)", (session_id, state, reviewer_id, comment or None, now.isoformat()))
    return bool(changed)


def supplement_visit(db: sqlite_utils.Database, visit_id: int, session_id: int) -> None:
    """Attaches a newly recorded visits row (a new photo sent for a visit marked 需补充) to that visit; the trigger
    sets it back to 待审核, so it counts again, and this records that in its review history."""
    with transaction(db):
        before = db.execute("SELECT review_state FROM visit_sessions WHERE id = ?", (session_id,)).fetchone()
        db.execute("UPDATE visits SET session_id = ? WHERE id = ?", (session_id, visit_id))
        if before and before[0] == NEEDS_MORE:
            at = db.execute("SELECT reported_at FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]
            db.execute("INSERT INTO visit_reviews (session_id, state, reviewer_id, comment, reviewed_at) "
                       "VALUES (?, ?, NULL, '已补充照片', ?)", (session_id, PENDING_REVIEW, at))


def needing_more(db: sqlite_utils.Database, cadre_id: str) -> list[tuple[int, str, str, str | None]]:
    """The cadre's visits marked 需补充: (session id, household head, started_at UTC, the reviewer's comment)."""
    return db.execute("SELECT s.id, h.head_name, s.started_at, s.review_comment FROM visit_sessions s "
                      "JOIN households h ON h.id = s.household_id WHERE s.cadre_id = ? AND s.review_state = ? "
                      "ORDER BY s.started_at", (cadre_id, NEEDS_MORE)).fetchall()


# ---- unit tasks ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    """The file that shows a task done: a document (the plan) or a photo (the meeting)."""

    sha256: str
    kind: str  # document / photo
    name: str
    path: str


def report_task_done(db: sqlite_utils.Database, unit_id: str, deadline_id: str, reported_by: str, now: datetime,
                     evidence: Evidence | None = None, note: str = "") -> bool:
    """Records the unit's task as done (a later report replaces the evidence); True when it was not done before."""
    with transaction(db):
        before = db.execute("SELECT 1 FROM unit_task_completions WHERE unit_id = ? AND deadline_id = ?",
                            (unit_id, deadline_id)).fetchone()
        db.execute(
            "INSERT INTO unit_task_completions (unit_id, deadline_id, reported_by, reported_at, evidence_sha256, "
            "evidence_kind, evidence_name, evidence_path, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (unit_id, deadline_id) DO UPDATE SET reported_by = excluded.reported_by, "
            "reported_at = excluded.reported_at, evidence_sha256 = excluded.evidence_sha256, "
            "evidence_kind = excluded.evidence_kind, evidence_name = excluded.evidence_name, "
            "evidence_path = excluded.evidence_path, note = excluded.note",
            (unit_id, deadline_id, reported_by, now.isoformat(), *(
                (evidence.sha256, evidence.kind, evidence.name, evidence.path) if evidence else (None,) * 4),
             note or None))
    return before is None


@dataclass(frozen=True)
class TaskStatus:
    """One unit's state for one task (deadline)."""

    unit_id: str
    unit_name: str
    done_at: str | None  # UTC, None when not reported
    reported_by: str | None


def task_status(db: sqlite_utils.Database, scope: Scope, deadline_id: str, unit_kinds: tuple[str, ...]) -> list[TaskStatus]:
    """For the units of the scope of the kinds the deadline binds: done or not, not done first."""
    where, params = units_condition(scope)
    rows = db.execute(
        f"SELECT u.id, u.name, t.reported_at, t.reported_by FROM units u "
        f"LEFT JOIN unit_task_completions t ON t.unit_id = u.id AND t.deadline_id = :deadline "
        f"WHERE {where} AND u.kind IN (SELECT value FROM json_each(:kinds)) "
        f"ORDER BY t.reported_at IS NOT NULL, u.path",
        {**params, "deadline": deadline_id, "kinds": json.dumps(list(unit_kinds))})
    return [TaskStatus(*row) for row in rows]


def units_done(db: sqlite_utils.Database, deadline_id: str) -> set[str]:
    """The units that reported the task done (their cadres' reminders of it stop)."""
    return {row[0] for row in db.execute("SELECT unit_id FROM unit_task_completions WHERE deadline_id = ?",
                                         (deadline_id,))}


# ---- notices -------------------------------------------------------------------------------------------------------

MAX_NOTICE_CHARS = 1000


def create_notice(db: sqlite_utils.Database, scope: Scope, text: str, urgent: bool, now: datetime) -> int:
    """A draft notice from the scope's administrator to the scope; raises ValueError for an empty or oversized text."""
    text = text.strip()
    if not text:
        raise ValueError("通知内容是空的")
    if len(text) > MAX_NOTICE_CHARS:
        raise ValueError(f"通知太长（{len(text)} 字，最多 {MAX_NOTICE_CHARS} 字）")
    return db.execute("INSERT INTO notices (sender_id, scope_unit_id, text, urgent, created_at) VALUES (?, ?, ?, ?, ?)",
                      (scope.viewer_id, scope.root_unit, text, int(urgent), now.isoformat())).lastrowid


def recipients_sql(scope: Scope) -> tuple[str, dict]:
    """The cadres a notice of this scope goes to (column id): every cadre of its units but the sender."""
    where, params = units_condition(scope)
    return (f"SELECT c.id FROM units u CROSS JOIN cadres c ON c.unit_id = u.id WHERE {where} AND c.id <> :sender",
            {**params, "sender": scope.viewer_id})


def notice_scope(db: sqlite_utils.Database, notice_id: int) -> Scope | None:
    """The scope a notice was written for: its sender and its unit's subtree (every unit when it has none)."""
    row = db.execute("SELECT n.sender_id, c.role, n.scope_unit_id, u.path FROM notices n "
                     "JOIN cadres c ON c.id = n.sender_id LEFT JOIN units u ON u.id = n.scope_unit_id "
                     "WHERE n.id = ?", (notice_id,)).fetchone()
    return Scope(*row) if row else None


def confirm_notice(db: sqlite_utils.Database, notice_id: int, now: datetime) -> int:
    """Confirms a draft: one receipt row per recipient of the notice's own sender and scope, written only by the
    confirmation that moved it from draft (a second one adds nobody); returns how many recipients it has."""
    with transaction(db):
        scope = notice_scope(db, notice_id)
        changed = db.execute("UPDATE notices SET status = 'sending', confirmed_at = ? WHERE id = ? AND status = 'draft'",
                             (now.isoformat(), notice_id)).rowcount
        if changed == 1 and scope is not None:
            sql, params = recipients_sql(scope)
            db.execute(f"INSERT INTO notice_receipts (notice_id, cadre_id) SELECT :notice, id FROM ({sql}) WHERE true "
                       "ON CONFLICT (notice_id, cadre_id) DO NOTHING", {**params, "notice": notice_id})
    return db.execute("SELECT COUNT(*) FROM notice_receipts WHERE notice_id = ?", (notice_id,)).fetchone()[0]


def mark_delivered(db: sqlite_utils.Database, notice_id: int, cadre_id: str, now: datetime) -> None:
    """The dispatcher delivered the notice to the cadre."""
    db.execute("UPDATE notice_receipts SET status = 'delivered', delivered_at = ? "
               "WHERE notice_id = ? AND cadre_id = ? AND status = 'pending'", (now.isoformat(), notice_id, cadre_id))


def mark_undeliverable(db: sqlite_utils.Database, notice_id: int, cadre_id: str, reason: str) -> None:
    """The notice cannot reach the cadre (未绑定, 已拉黑, …)."""
    db.execute("UPDATE notice_receipts SET status = 'undeliverable', reason = ? "
               "WHERE notice_id = ? AND cadre_id = ? AND status IN ('pending', 'delivered')",
               (reason, notice_id, cadre_id))


def mark_read(db: sqlite_utils.Database, cadre_id: str, now: datetime, notice_id: int | None = None) -> int | None:
    """The cadre confirmed (button or "收到"): the given notice, else their latest unread one; returns its id."""
    row = db.execute("SELECT notice_id FROM notice_receipts WHERE cadre_id = ? AND status = 'delivered' "
                     "AND (? IS NULL OR notice_id = ?) ORDER BY delivered_at DESC, notice_id DESC LIMIT 1",
                     (cadre_id, notice_id, notice_id)).fetchone()
    if row is None:
        return None
    db.execute("UPDATE notice_receipts SET status = 'read', read_at = ? WHERE notice_id = ? AND cadre_id = ?",
               (now.isoformat(), row[0], cadre_id))
    return row[0]


@dataclass(frozen=True)
class NoticeSummary:
    """通知情况: how many a notice reached, read, left unread, could not reach (with reasons)."""

    recipients: int
    pending: int
    read: int
    unread: int
    undeliverable: dict[str, int]


def notice_summary(db: sqlite_utils.Database, notice_id: int) -> NoticeSummary:
    """The receipts of a notice added up; they always add up to its recipients."""
    counts = dict(db.execute("SELECT status, COUNT(*) FROM notice_receipts WHERE notice_id = ? GROUP BY status",
                             (notice_id,)).fetchall())
    reasons = dict(db.execute("SELECT COALESCE(reason, '未知'), COUNT(*) FROM notice_receipts WHERE notice_id = ? "
                              "AND status = 'undeliverable' GROUP BY 1", (notice_id,)).fetchall())
    return NoticeSummary(sum(counts.values()), counts.get("pending", 0), counts.get("read", 0),
                         counts.get("delivered", 0), reasons)


def unread_to_remind(db: sqlite_utils.Database, before: datetime) -> list[tuple[int, str]]:
    """(notice, cadre) delivered before `before`, still unread and never reminded: each gets one reminder."""
    return db.execute("SELECT notice_id, cadre_id FROM notice_receipts WHERE status = 'delivered' "
                      "AND delivered_at < ? AND reminder_sent_at IS NULL ORDER BY notice_id, cadre_id",
                      (before.isoformat(),)).fetchall()


def mark_reminded(db: sqlite_utils.Database, notice_id: int, cadre_id: str, now: datetime) -> None:
    """Records the one reminder of an unread notice."""
    db.execute("UPDATE notice_receipts SET reminder_sent_at = ? WHERE notice_id = ? AND cadre_id = ?",
               (now.isoformat(), notice_id, cadre_id))
