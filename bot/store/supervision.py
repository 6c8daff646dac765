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


def supplement_visit(db: sqlite_utils.Database, visit_id: int, session_id: int) -> bool:
    """Attaches a newly recorded visits row (a new photo sent for a visit marked 需补充) to that visit; the trigger
    sets it back to 待审核, so it counts again, and this records that in its review history. False (and nothing
    changed) when the row is not the same cadre's visit of the same household as the session."""
    with transaction(db):
        session = db.execute("SELECT cadre_id, household_id, review_state FROM visit_sessions WHERE id = ?",
                             (session_id,)).fetchone()
        visit = db.execute("SELECT cadre_id, household_id, reported_at FROM visits WHERE id = ?",
                           (visit_id,)).fetchone()
        if session is None or visit is None or tuple(session[:2]) != tuple(visit[:2]):
            return False
        db.execute("UPDATE visits SET session_id = ? WHERE id = ?", (session_id, visit_id))
        if session[2] == NEEDS_MORE:
            db.execute("INSERT INTO visit_reviews (session_id, state, reviewer_id, comment, reviewed_at) "
                       "VALUES (?, ?, NULL, '已补充照片', ?)", (session_id, PENDING_REVIEW, visit[2]))
    return True


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
    """Records a report of the unit's task; True when it was not done before. The first report stays the task's
    completion; every report, with its evidence, is kept in unit_task_reports. The unit's cadres' pending reminders
    of the task are withdrawn in the same transaction."""
    values = (unit_id, deadline_id, reported_by, now.isoformat(), *(
        (evidence.sha256, evidence.kind, evidence.name, evidence.path) if evidence else (None,) * 4), note or None)
    columns = ("unit_id, deadline_id, reported_by, reported_at, evidence_sha256, evidence_kind, evidence_name, "
               "evidence_path, note")
    with transaction(db):
        db.execute(f"INSERT INTO unit_task_reports ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
        first = db.execute(f"INSERT INTO unit_task_completions ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (unit_id, deadline_id) DO NOTHING", values).rowcount == 1
        withdraw_task_reminders(db, unit_id, deadline_id)
    return first


TASK_DONE_REASON = "单位已上报完成"


def withdraw_task_reminders(db: sqlite_utils.Database, unit_id: str, deadline_id: str) -> int:
    """Expires the pending reminders of the task to the unit's own cadres (not other units'); returns how many."""
    return db.execute("UPDATE deliveries SET status = 'expired', last_error = ? WHERE series = ? AND status = 'pending' "
                      "AND cadre_id IN (SELECT id FROM cadres WHERE unit_id = ?)",
                      (TASK_DONE_REASON, f"deadline:{deadline_id}", unit_id)).rowcount


def task_reports(db: sqlite_utils.Database, unit_id: str, deadline_id: str) -> list[tuple[str, str, str | None]]:
    """Every report of the unit's task, oldest first: (reported_by, reported_at UTC, evidence name)."""
    return db.execute("SELECT reported_by, reported_at, evidence_name FROM unit_task_reports "
                      "WHERE unit_id = ? AND deadline_id = ? ORDER BY id", (unit_id, deadline_id)).fetchall()


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
    """The scope a notice was written for, from its own sender and unit (None when the notice is unknown)."""
    row = db.execute("SELECT n.sender_id, n.scope_unit_id, u.path, c.role FROM notices n "
                     "JOIN cadres c ON c.id = n.sender_id LEFT JOIN units u ON u.id = n.scope_unit_id "
                     "WHERE n.id = ?", (notice_id,)).fetchone()
    return Scope(row[0], row[3], row[1], row[2]) if row else None


def confirm_notice(db: sqlite_utils.Database, notice_id: int, now: datetime) -> int:
    """Confirms a draft: one receipt per recipient of the notice's own scope but its sender, written only when this
    call turned the draft into 'sending' (a cancelled or already confirmed notice gets none); returns how many
    recipients the notice has."""
    with transaction(db):
        changed = db.execute("UPDATE notices SET status = 'sending', confirmed_at = ? WHERE id = ? AND status = 'draft'",
                             (now.isoformat(), notice_id)).rowcount
        if changed == 1:
            sql, params = recipients_sql(notice_scope(db, notice_id))
            # in key order: 400,000 receipts written in order take a quarter of the time of the scope's order
            db.execute(f"INSERT INTO notice_receipts (notice_id, cadre_id) SELECT :notice, id FROM ({sql}) ORDER BY id "
                       "ON CONFLICT (notice_id, cadre_id) DO NOTHING", {**params, "notice": notice_id})
    return db.execute("SELECT COUNT(*) FROM notice_receipts WHERE notice_id = ?", (notice_id,)).fetchone()[0]


def cancel_notice(db: sqlite_utils.Database, notice_id: int) -> bool:
    """Cancels a draft (nothing was sent); False when it was no longer a draft."""
    return db.execute("UPDATE notices SET status = 'cancelled' WHERE id = ? AND status = 'draft'",
                      (notice_id,)).rowcount == 1


def mark_delivered(db: sqlite_utils.Database, notice_id: int, cadre_id: str, now: datetime) -> None:
    """The dispatcher delivered the notice to the cadre (also one first recorded 未绑定: the cadre bound since)."""
    db.execute("UPDATE notice_receipts SET status = 'delivered', delivered_at = ?, reason = NULL "
               "WHERE notice_id = ? AND cadre_id = ? AND status IN ('pending', 'undeliverable')",
               (now.isoformat(), notice_id, cadre_id))


def mark_undeliverable(db: sqlite_utils.Database, notice_id: int, cadre_id: str, reason: str) -> None:
    """The notice cannot reach the cadre (未绑定, 已拉黑, …)."""
    db.execute("UPDATE notice_receipts SET status = 'undeliverable', reason = ? "
               "WHERE notice_id = ? AND cadre_id = ? AND status IN ('pending', 'delivered')",
               (reason, notice_id, cadre_id))


def mark_read(db: sqlite_utils.Database, cadre_id: str, now: datetime, notice_id: int | None = None) -> int | None:
    """The cadre confirmed (button or "收到"): the given notice (even before its delivery was recorded; one already
    read stays read and counts as success), else their latest unread one; returns its id, None when there is none."""
    if notice_id is not None:
        row = db.execute("SELECT notice_id, status FROM notice_receipts WHERE cadre_id = ? AND notice_id = ?",
                         (cadre_id, notice_id)).fetchone()
        if row is None:
            return None
    else:
        row = db.execute("SELECT notice_id, status FROM notice_receipts WHERE cadre_id = ? AND status = 'delivered' "
                         "ORDER BY delivered_at DESC, notice_id DESC LIMIT 1", (cadre_id,)).fetchone()
        if row is None:
            return None
    db.execute("UPDATE notice_receipts SET status = 'read', read_at = ? WHERE notice_id = ? AND cadre_id = ? "
               "AND status <> 'read'", (now.isoformat(), row[0], cadre_id))
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
