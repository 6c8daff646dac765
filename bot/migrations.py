"""Versioned schema migrations, applied in order and recorded in schema_migrations."""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlite_utils

logger = logging.getLogger(__name__)

SCHEMA_V1 = """
CREATE TABLE units (
    id TEXT PRIMARY KEY,                       -- 单位编号
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES units(id),
    kind TEXT NOT NULL DEFAULT '基层党组织'     -- 活动办 / 县市委 / 州直党(工)委 / 基层党组织
);
CREATE INDEX idx_units_parent ON units(parent_id);

CREATE TABLE cadres (
    id TEXT PRIMARY KEY,                       -- 干部编号
    name TEXT NOT NULL,
    phone TEXT,                                -- normalised: 11 digits for a mobile
    unit_id TEXT NOT NULL REFERENCES units(id),
    title TEXT,
    role TEXT NOT NULL DEFAULT '干部'           -- 干部 / 单位管理员 / 活动办管理员
);
CREATE INDEX idx_cadres_unit ON cadres(unit_id);
CREATE INDEX idx_cadres_phone ON cadres(phone);

CREATE TABLE households (
    id TEXT PRIMARY KEY,                       -- 户编号
    head_name TEXT NOT NULL,
    county TEXT,
    township TEXT,
    village TEXT NOT NULL,
    members INTEGER,
    phone TEXT,
    notes TEXT
);

CREATE TABLE targets (                         -- villages, schools, demonstration sites, league organisations
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,                        -- the pairing kind the target belongs to
    name TEXT NOT NULL,
    UNIQUE (kind, name)
);

CREATE TABLE pairings (
    id INTEGER PRIMARY KEY,
    pair_key TEXT NOT NULL UNIQUE,             -- kind|联系方编号|对象: the import's upsert key
    kind TEXT NOT NULL,                        -- 干部联户 / 机关联村 / 领导联校 / 专家联点 / 党建带团建
    cadre_id TEXT REFERENCES cadres(id),
    unit_id TEXT REFERENCES units(id),
    household_id TEXT REFERENCES households(id),
    target_id INTEGER REFERENCES targets(id),
    notes TEXT,
    CHECK ((cadre_id IS NULL) <> (unit_id IS NULL)),
    CHECK ((household_id IS NULL) <> (target_id IS NULL))
);
CREATE INDEX idx_pairings_cadre ON pairings(cadre_id);
CREATE INDEX idx_pairings_unit ON pairings(unit_id);
CREATE INDEX idx_pairings_household ON pairings(household_id);

CREATE TABLE bindings (
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    user_id TEXT,
    cadre_id TEXT NOT NULL REFERENCES cadres(id),
    active INTEGER NOT NULL DEFAULT 1,
    bound_at TEXT NOT NULL,
    last_seen_at TEXT,                         -- last message from the user (WeChat's 48-hour window)
    inactive_reason TEXT,
    PRIMARY KEY (channel, chat_id)
);
CREATE INDEX idx_bindings_cadre ON bindings(cadre_id);

CREATE TABLE binding_codes (
    code TEXT PRIMARY KEY,
    cadre_id TEXT NOT NULL REFERENCES cadres(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    used_channel TEXT,
    used_chat_id TEXT
);

CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    cadre_id TEXT NOT NULL REFERENCES cadres(id),
    household_id TEXT NOT NULL REFERENCES households(id),
    channel TEXT,
    chat_id TEXT,
    reported_at TEXT NOT NULL,                 -- UTC, when the bot recorded it
    visited_at TEXT NOT NULL,                  -- UTC: the photo's EXIF time when present, else reported_at
    note TEXT,
    latitude REAL,
    longitude REAL,
    album_id TEXT
);
CREATE INDEX idx_visits_household ON visits(household_id, visited_at);
CREATE INDEX idx_visits_cadre ON visits(cadre_id, reported_at);

CREATE TABLE photos (
    sha256 TEXT PRIMARY KEY,
    visit_id INTEGER REFERENCES visits(id),
    path TEXT NOT NULL,                        -- relative to [photos] dir
    bytes INTEGER NOT NULL,
    format TEXT,
    width INTEGER,
    height INTEGER,
    exif_time TEXT,
    gps_lat REAL,
    gps_lon REAL,
    source_id TEXT,
    received_at TEXT NOT NULL
);
CREATE INDEX idx_photos_visit ON photos(visit_id);

CREATE TABLE conversation_state (
    channel TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    state TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}',           -- JSON
    updated_at TEXT NOT NULL,
    PRIMARY KEY (channel, chat_id)
);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    reminder_key TEXT NOT NULL,                -- e.g. deadline:county-plan:7d, visit:2010-W20
    kind TEXT NOT NULL,                        -- deadline / visit / digest
    cadre_id TEXT NOT NULL REFERENCES cadres(id),
    channel TEXT,
    chat_id TEXT,
    due_at TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',    -- pending / sending / sent / failed / expired / undeliverable
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (reminder_key, cadre_id)
);
CREATE INDEX idx_deliveries_status ON deliveries(status, due_at);

CREATE TABLE processed_messages (              -- platform retries are recognised here, across restarts
    channel TEXT NOT NULL,
    message_key TEXT NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (channel, message_key)
);

CREATE TABLE access_tokens (                   -- platform API tokens with their expiry (WeChat)
    name TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
"""


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.conn.executescript(SCHEMA_V1)


def _v4_reminder_lifecycle(db: sqlite_utils.Database) -> None:
    # series: reminders that replace one another (deadline:<id>, visit, digest); expires_at: after it, never sent;
    # claimed_at: when a dispatcher took the row, so an interrupted send is recognised.
    for statement in (
        "ALTER TABLE deliveries ADD COLUMN series TEXT",
        "ALTER TABLE deliveries ADD COLUMN expires_at TEXT",
        "ALTER TABLE deliveries ADD COLUMN claimed_at TEXT",
        "CREATE INDEX idx_deliveries_series ON deliveries(series, cadre_id, due_at)",
    ):  # one statement at a time: executescript would commit the migration's transaction early
        db.conn.execute(statement)


def _v10_binding_attempts(db: sqlite_utils.Database) -> None:
    # One row per failed "绑定 CODE" of a chat: enough to refuse a chat that keeps guessing codes.
    db.conn.execute("CREATE TABLE binding_attempts (channel TEXT NOT NULL, chat_id TEXT NOT NULL, "
                    "failed_at TEXT NOT NULL)")
    db.conn.execute("CREATE INDEX idx_binding_attempts_chat ON binding_attempts(channel, chat_id, failed_at)")


def _v3_message_claims(db: sqlite_utils.Database) -> None:
    # claimed_by / finished_at: a message claimed by a process that died before answering is handled again.
    for statement in (
        "ALTER TABLE processed_messages ADD COLUMN claimed_by TEXT",
        "ALTER TABLE processed_messages ADD COLUMN finished_at TEXT",
        "UPDATE processed_messages SET finished_at = received_at",  # keys from before were all handled
    ):
        db.conn.execute(statement)


CONSOLE_SCHEMA = (
    # One-time login links: only the sha256 of the token is kept; channel/chat say which chat asked (NULL: the CLI).
    """CREATE TABLE console_links (token_sha256 TEXT PRIMARY KEY, cadre_id TEXT NOT NULL REFERENCES cadres(id),
        channel TEXT, chat_id TEXT, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT)""",
    "CREATE INDEX idx_console_links_cadre ON console_links(cadre_id, created_at)",
    # Sessions, keyed by the sha256 of the cookie; a session opened from a chat's link ends with that binding.
    """CREATE TABLE console_sessions (id_sha256 TEXT PRIMARY KEY, cadre_id TEXT NOT NULL REFERENCES cadres(id),
        channel TEXT, chat_id TEXT, csrf_token TEXT NOT NULL, client TEXT, created_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL, ended_at TEXT, end_reason TEXT)""",
    "CREATE TABLE console_login_failures (client TEXT NOT NULL, failed_at TEXT NOT NULL)",
    "CREATE INDEX idx_console_login_failures ON console_login_failures(client, failed_at)",
    # 操作记录: every change made in the console; the cadre's name is kept as it was then.
    """CREATE TABLE console_audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, cadre_id TEXT NOT NULL,
        cadre_name TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '')""",
    "CREATE INDEX idx_console_audit_at ON console_audit(at, id)",
    # A roster workbook uploaded and checked, waiting for its session to confirm the import.
    """CREATE TABLE console_uploads (id TEXT PRIMARY KEY, session_sha256 TEXT NOT NULL, path TEXT NOT NULL,
        filename TEXT NOT NULL, created_at TEXT NOT NULL, imported_at TEXT)""",
    # The last visit of a pairing (cadre, household) is one seek in this index: the console's figures per cadre
    # and unit read it for every pairing of the scope (half the time of going through idx_visits_household).
    "CREATE INDEX idx_visits_cadre_household ON visits(cadre_id, household_id, visited_at)",
)


def _v70_console(db: sqlite_utils.Database) -> None:
    for statement in CONSOLE_SCHEMA:
        db.conn.execute(statement)


# (version, name, apply). Append only; never edit an applied migration.
# Numbers 2-9 are reserved: 2 Telegram, 3 WeChat, 4 reminders, 5 understanding; 10+ for later work.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "initial schema", _v1_initial),
    (3, "processed messages: claimed by, finished at", _v3_message_claims),
    (4, "reminders: series, expiry, claim time", _v4_reminder_lifecycle),
    (10, "binding code attempts per chat", _v10_binding_attempts),
    (70, "web console: login links, sessions, audit, uploads; visits by pairing", _v70_console),
]


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Applies every migration the database has not seen yet; returns the versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
    )
    done = {row[0] for row in db.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, apply in sorted(MIGRATIONS):
        if version in done:
            continue
        with db.conn:  # one transaction per migration: all or nothing
            db.conn.execute("BEGIN")
            apply(db)
            db.conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))
        logger.info("applied migration %d: %s", version, name)
        applied.append(version)
    return applied
