"""The web console's own records: login links, sessions, bad-link attempts, 操作记录 and roster uploads awaiting
confirmation (migration 70). Tokens and cookies are stored only as their sha256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils


# ---- login links ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LinkRow:
    """A login link as stored: whose it is, the chat that asked (None: the CLI), when it expires, when it was used."""

    cadre_id: str
    channel: str | None
    chat_id: str | None
    expires_at: str  # UTC
    used_at: str | None


def links_issued_since(db: sqlite_utils.Database, cadre_id: str, since: datetime) -> int:
    """How many login links the cadre was given since `since`."""
    return db.execute("SELECT COUNT(*) FROM console_links WHERE cadre_id = ? AND created_at > ?",
                      (cadre_id, since.isoformat())).fetchone()[0]


def insert_link(db: sqlite_utils.Database, token_sha256: str, cadre_id: str, channel: str | None,
                chat_id: str | None, now: datetime, expires: datetime) -> None:
    """Stores a new login link (by its token's hash)."""
    db.execute("INSERT INTO console_links (token_sha256, cadre_id, channel, chat_id, created_at, expires_at) "
               "VALUES (?, ?, ?, ?, ?, ?)", (token_sha256, cadre_id, channel, chat_id, now.isoformat(),
                                             expires.isoformat()))


def link_by_hash(db: sqlite_utils.Database, token_sha256: str) -> LinkRow | None:
    """The link with this token hash, or None."""
    row = db.execute("SELECT cadre_id, channel, chat_id, expires_at, used_at FROM console_links "
                     "WHERE token_sha256 = ?", (token_sha256,)).fetchone()
    return LinkRow(*row) if row else None


def use_link(db: sqlite_utils.Database, token_sha256: str, now: datetime) -> bool:
    """Marks an unused link used; False when it was already used (a second tab, a replay)."""
    return db.execute("UPDATE console_links SET used_at = ? WHERE token_sha256 = ? AND used_at IS NULL",
                      (now.isoformat(), token_sha256)).rowcount == 1


def login_failures_since(db: sqlite_utils.Database, client: str, since: datetime) -> int:
    """How many unknown links this client presented since `since`."""
    return db.execute("SELECT COUNT(*) FROM console_login_failures WHERE client = ? AND failed_at > ?",
                      (client, since.isoformat())).fetchone()[0]


def record_login_failure(db: sqlite_utils.Database, client: str, now: datetime) -> None:
    """Counts one unknown link presented by the client."""
    db.execute("INSERT INTO console_login_failures (client, failed_at) VALUES (?, ?)", (client, now.isoformat()))


# ---- sessions ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionRow:
    """A console session as stored."""

    cadre_id: str
    channel: str | None
    chat_id: str | None
    csrf_token: str
    last_seen_at: str  # UTC
    ended_at: str | None
    end_reason: str | None


def insert_session(db: sqlite_utils.Database, id_sha256: str, cadre_id: str, channel: str | None,
                   chat_id: str | None, csrf_token: str, client: str, now: datetime) -> None:
    """Opens a session (keyed by its cookie's hash)."""
    db.execute("INSERT INTO console_sessions (id_sha256, cadre_id, channel, chat_id, csrf_token, client, created_at, "
               "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
               (id_sha256, cadre_id, channel, chat_id, csrf_token, client, now.isoformat(), now.isoformat()))


def session_by_hash(db: sqlite_utils.Database, id_sha256: str) -> SessionRow | None:
    """The session with this cookie hash, or None."""
    row = db.execute("SELECT cadre_id, channel, chat_id, csrf_token, last_seen_at, ended_at, end_reason "
                     "FROM console_sessions WHERE id_sha256 = ?", (id_sha256,)).fetchone()
    return SessionRow(*row) if row else None


def touch_session(db: sqlite_utils.Database, id_sha256: str, now: datetime) -> None:
    """Notes the session's latest request."""
    db.execute("UPDATE console_sessions SET last_seen_at = ? WHERE id_sha256 = ?", (now.isoformat(), id_sha256))


def end_session(db: sqlite_utils.Database, id_sha256: str, reason: str, now: datetime) -> None:
    """Ends a session that is still open, with the reason."""
    db.execute("UPDATE console_sessions SET ended_at = ?, end_reason = ? WHERE id_sha256 = ? AND ended_at IS NULL",
               (now.isoformat(), reason, id_sha256))


def chat_bound_to(db: sqlite_utils.Database, channel: str, chat_id: str, cadre_id: str) -> bool:
    """Whether the chat is still actively bound to the cadre."""
    return db.execute("SELECT 1 FROM bindings WHERE channel = ? AND chat_id = ? AND cadre_id = ? AND active = 1",
                      (channel, chat_id, cadre_id)).fetchone() is not None


# ---- 操作记录 -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditEntry:
    """One change made in the console."""

    id: int
    at: str  # UTC
    cadre_id: str
    cadre_name: str
    action: str
    target: str
    detail: str


def insert_audit(db: sqlite_utils.Database, now: datetime, cadre_id: str, cadre_name: str, action: str,
                 target: str, detail: str = "") -> None:
    """Records one change (call inside the change's own transaction)."""
    db.execute("INSERT INTO console_audit (at, cadre_id, cadre_name, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
               (now.isoformat(), cadre_id, cadre_name, action, target, detail))


def audit_page(db: sqlite_utils.Database, after_at: str | None, after_id: int | None, limit: int) -> list[AuditEntry]:
    """Changes newest first, after the keyset cursor (at, id)."""
    rows = db.execute("SELECT id, at, cadre_id, cadre_name, action, target, detail FROM console_audit "
                      "WHERE (:after_at IS NULL OR (at, id) < (:after_at, :after_id)) "
                      "ORDER BY at DESC, id DESC LIMIT :limit",
                      {"after_at": after_at, "after_id": after_id, "limit": limit})
    return [AuditEntry(*row) for row in rows]


def audit_actions(db: sqlite_utils.Database, action: str) -> list[AuditEntry]:
    """Every change of one kind, oldest first."""
    return [AuditEntry(*row) for row in db.execute(
        "SELECT id, at, cadre_id, cadre_name, action, target, detail FROM console_audit WHERE action = ? ORDER BY id",
        (action,))]


# ---- roster uploads awaiting confirmation ------------------------------------------------------------------------

_STALE_UPLOAD = "imported_at IS NULL AND (session_sha256 = ? OR created_at < ?)"


def stale_upload_paths(db: sqlite_utils.Database, session_sha256: str, older_than: datetime) -> list[str]:
    """Unconfirmed uploads of this session, and anyone's older than `older_than`: their files to delete."""
    return [row[0] for row in db.execute(f"SELECT path FROM console_uploads WHERE {_STALE_UPLOAD}",
                                         (session_sha256, older_than.isoformat()))]


def forget_stale_uploads(db: sqlite_utils.Database, session_sha256: str, older_than: datetime) -> None:
    """Deletes the rows stale_upload_paths named."""
    db.execute(f"DELETE FROM console_uploads WHERE {_STALE_UPLOAD}", (session_sha256, older_than.isoformat()))


def insert_upload(db: sqlite_utils.Database, upload_id: str, session_sha256: str, path: str, filename: str,
                  now: datetime) -> None:
    """Keeps a checked workbook for its session to confirm."""
    db.execute("INSERT INTO console_uploads (id, session_sha256, path, filename, created_at) VALUES (?, ?, ?, ?, ?)",
               (upload_id, session_sha256, path, filename, now.isoformat()))


def pending_upload(db: sqlite_utils.Database, upload_id: str, session_sha256: str) -> tuple[str, str] | None:
    """(path, file name) of this session's checked, not yet imported upload; None otherwise."""
    return db.execute("SELECT path, filename FROM console_uploads WHERE id = ? AND session_sha256 = ? "
                      "AND imported_at IS NULL", (upload_id, session_sha256)).fetchone()


def mark_upload_imported(db: sqlite_utils.Database, upload_id: str, now: datetime) -> None:
    """Notes that the upload was imported (it can never be imported again)."""
    db.execute("UPDATE console_uploads SET imported_at = ? WHERE id = ?", (now.isoformat(), upload_id))
