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


def _v3_message_claims(db: sqlite_utils.Database) -> None:
    # claimed_by / finished_at: a message claimed by a process that died before answering is handled again.
    for statement in (
        "ALTER TABLE processed_messages ADD COLUMN claimed_by TEXT",
        "ALTER TABLE processed_messages ADD COLUMN finished_at TEXT",
        "UPDATE processed_messages SET finished_at = received_at",  # keys from before were all handled
    ):
        db.conn.execute(statement)


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


def _v11_offered_choices(db: sqlite_utils.Database) -> None:
    # The router, not the handlers, keeps the choices a reply offered; choices kept in `data` before move over.
    db.conn.execute("ALTER TABLE conversation_state ADD COLUMN choices TEXT NOT NULL DEFAULT '[]'")
    db.conn.execute("UPDATE conversation_state SET choices = json_extract(data, '$.choices'), "
                    "data = json_remove(data, '$.choices') WHERE json_type(data, '$.choices') = 'array'")


def _v20_last_questions(db: sqlite_utils.Database) -> None:
    # The last question each chat asked, as the answer engine read it, so a follow-up (那第二阶段呢) can use it.
    db.conn.execute("CREATE TABLE last_questions (channel TEXT NOT NULL, chat_id TEXT NOT NULL, question TEXT NOT NULL, "
                    "asked_at TEXT NOT NULL, PRIMARY KEY (channel, chat_id))")


def _v30_import_runs(db: sqlite_utils.Database) -> None:
    # A roster import writes in short transactions; this row says whether all of it got written (bot/roster/runs.py).
    db.conn.execute(
        "CREATE TABLE import_runs (id INTEGER PRIMARY KEY, source TEXT NOT NULL, started_at TEXT NOT NULL, "
        "updated_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL, "  # writing / done / failed / completed
        "rows_written INTEGER NOT NULL DEFAULT 0, rows_total INTEGER NOT NULL DEFAULT 0, error TEXT, "
        "completed_by INTEGER REFERENCES import_runs(id), host TEXT, pid INTEGER)")


def _v40_installation_keys(db: sqlite_utils.Database) -> None:
    # A random key per installation, made once: it turns message ids into log references no one can recompute
    # from the guessable ids alone.
    db.conn.execute("CREATE TABLE installation_keys (name TEXT PRIMARY KEY, key TEXT NOT NULL)")
    db.conn.execute("INSERT INTO installation_keys VALUES ('log_reference', lower(hex(randomblob(32))))")


# ---- issue 12: supervision (督查). Numbers 50-69. ----------------------------------------------------------------

# units.path: a materialised path '/U00/U01/U0101/' so a unit's subtree is one index range (bot/store/scopes.py), kept
# true by triggers however units are written (the importer upserts with foreign keys off, children may come first).
# SQLite allows no WITH inside a trigger, so descendants are found by their path prefix.
_UNIT_PATHS = (
    "ALTER TABLE units ADD COLUMN path TEXT",
    "CREATE INDEX idx_units_path ON units(path)",
    """CREATE TRIGGER units_path_insert AFTER INSERT ON units BEGIN
         UPDATE units SET path = COALESCE((SELECT p.path FROM units p WHERE p.id = NEW.parent_id), '/') || NEW.id || '/'
          WHERE id = NEW.id;
       END""",
    # units inserted earlier under this one were roots until now: their paths start with '/<child>/'. The IN list
    # is read once, by index, before any row changes; NEW's own path is computed again, as SQLite does not promise
    # which of two triggers on one event runs first.
    """CREATE TRIGGER units_path_adopt AFTER INSERT ON units
       WHEN EXISTS (SELECT 1 FROM units k WHERE k.parent_id = NEW.id) BEGIN
         UPDATE units SET path = COALESCE((SELECT p.path FROM units p WHERE p.id = NEW.parent_id), '/') || NEW.id
                                 || substr(path, 1)
          WHERE id IN (SELECT d.id FROM units k JOIN units d
                        ON d.path >= '/' || k.id || '/' AND d.path < '/' || k.id || '0'
                        WHERE k.parent_id = NEW.id);
       END""",
    """CREATE TRIGGER units_path_move AFTER UPDATE OF parent_id ON units
       WHEN NEW.parent_id IS NOT OLD.parent_id BEGIN
         UPDATE units SET path = COALESCE((SELECT p.path FROM units p WHERE p.id = NEW.parent_id), '/') || NEW.id || '/'
                                 || substr(path, length(OLD.path) + 1)
          WHERE substr(path, 1, length(OLD.path)) = OLD.path;
       END""",
)


def rebuild_unit_paths(db: sqlite_utils.Database) -> None:
    """Recomputes every unit's materialised path from parent_id (a unit whose parent is missing is a root)."""
    db.conn.execute("""
        WITH RECURSIVE tree(id, path) AS (
            SELECT id, '/' || id || '/' FROM units
             WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM units)
            UNION
            SELECT u.id, t.path || u.id || '/' FROM units u JOIN tree t ON u.parent_id = t.id
             WHERE length(t.path) < 4000)
        UPDATE units SET path = (SELECT path FROM tree WHERE tree.id = units.id)""")


def _v50_unit_paths(db: sqlite_utils.Database) -> None:
    for statement in _UNIT_PATHS:
        db.conn.execute(statement)
    rebuild_unit_paths(db)


# Photos of the same household by the same cadre within SESSION_HOURS of a session's first photo are one visit.
SESSION_HOURS = 2
_SESSION_MATCH = f"""
    SELECT s.id FROM visit_sessions s
     WHERE s.cadre_id = NEW.cadre_id AND s.household_id = NEW.household_id
       AND abs(julianday(NEW.visited_at) - julianday(s.started_at)) < {SESSION_HOURS} / 24.0
     ORDER BY abs(julianday(NEW.visited_at) - julianday(s.started_at)) LIMIT 1"""


_VISIT_SESSIONS = (
    # A session is a visit as people mean it; its id is the id of the visits row that opened it. Review:
    # 待审核 (counts), 合格 (counts), 需补充 (does not count until a new photo arrives, which sets 待审核 again).
    """CREATE TABLE visit_sessions (
         id INTEGER PRIMARY KEY,
         cadre_id TEXT NOT NULL REFERENCES cadres(id),
         household_id TEXT NOT NULL REFERENCES households(id),
         started_at TEXT NOT NULL,                 -- UTC: the earliest visited_at of its rows
         last_at TEXT NOT NULL,                    -- UTC: the latest visited_at of its rows
         review_state TEXT NOT NULL DEFAULT '待审核' CHECK (review_state IN ('待审核', '合格', '需补充')),
         reviewed_by TEXT REFERENCES cadres(id),
         reviewed_at TEXT,
         review_comment TEXT,
         supplemented_at TEXT                      -- UTC: a new photo after 需补充
       )""",
    "CREATE INDEX idx_sessions_household ON visit_sessions(household_id, cadre_id, started_at)",
    "CREATE INDEX idx_sessions_cadre ON visit_sessions(cadre_id, started_at)",
    "CREATE INDEX idx_sessions_review ON visit_sessions(review_state, started_at)",
    "CREATE INDEX idx_sessions_started ON visit_sessions(started_at, id)",
    "ALTER TABLE visits ADD COLUMN session_id INTEGER REFERENCES visit_sessions(id)",
    "CREATE INDEX idx_visits_session ON visits(session_id)",
    # Every review, in order: the session's columns hold the latest.
    """CREATE TABLE visit_reviews (
         id INTEGER PRIMARY KEY,
         session_id INTEGER NOT NULL REFERENCES visit_sessions(id) ON DELETE CASCADE,
         state TEXT NOT NULL CHECK (state IN ('待审核', '合格', '需补充')),
         reviewer_id TEXT REFERENCES cadres(id),   -- NULL: the bot (a new photo re-opened the review)
         comment TEXT,
         reviewed_at TEXT NOT NULL
       )""",
    "CREATE INDEX idx_visit_reviews_session ON visit_reviews(session_id, reviewed_at)",
    # New visits rows join their session here, so every writer of visits (bot/visits.py today, bot/store later)
    # keeps sessions true without knowing about them.
    f"""CREATE TRIGGER visits_session_insert AFTER INSERT ON visits WHEN NEW.session_id IS NULL BEGIN
          INSERT INTO visit_sessions (id, cadre_id, household_id, started_at, last_at)
          SELECT NEW.id, NEW.cadre_id, NEW.household_id, NEW.visited_at, NEW.visited_at
           WHERE NOT EXISTS ({_SESSION_MATCH});
          UPDATE visits SET session_id = ({_SESSION_MATCH}) WHERE id = NEW.id;
        END""",
    """CREATE TRIGGER visits_session_extend AFTER UPDATE OF session_id ON visits WHEN NEW.session_id IS NOT NULL BEGIN
          UPDATE visit_sessions
             SET started_at = min(started_at, NEW.visited_at), last_at = max(last_at, NEW.visited_at),
                 review_state = CASE WHEN review_state = '需补充' AND NEW.id <> id THEN '待审核' ELSE review_state END,
                 supplemented_at = CASE WHEN review_state = '需补充' AND NEW.id <> id THEN NEW.reported_at
                                        ELSE supplemented_at END
           WHERE id = NEW.session_id;
          DELETE FROM visit_sessions WHERE id = OLD.session_id AND OLD.session_id IS NOT NEW.session_id
             AND NOT EXISTS (SELECT 1 FROM visits WHERE session_id = OLD.session_id);
        END""",
    """CREATE TRIGGER visits_session_delete AFTER DELETE ON visits WHEN OLD.session_id IS NOT NULL BEGIN
          DELETE FROM visit_reviews WHERE session_id = OLD.session_id
             AND NOT EXISTS (SELECT 1 FROM visits WHERE session_id = OLD.session_id);
          DELETE FROM visit_sessions WHERE id = OLD.session_id
             AND NOT EXISTS (SELECT 1 FROM visits WHERE session_id = OLD.session_id);
          UPDATE visit_sessions
             SET started_at = (SELECT min(visited_at) FROM visits WHERE session_id = OLD.session_id),
                 last_at = (SELECT max(visited_at) FROM visits WHERE session_id = OLD.session_id)
           WHERE id = OLD.session_id;
        END""",
)


def _v51_visit_sessions(db: sqlite_utils.Database) -> None:
    for statement in _VISIT_SESSIONS:
        db.conn.execute(statement)
    # Existing visits rows, oldest first per (cadre, household), grouped by the same rule the trigger applies; read
    # as a stream (julianday computed by SQLite) and written a batch at a time, so memory stays small.
    rows = db.conn.execute("SELECT id, cadre_id, household_id, visited_at, julianday(visited_at) FROM visits "
                           "ORDER BY cadre_id, household_id, julianday(visited_at), id")
    current: list | None = None  # [id, cadre, household, started_at, last_at, start_day]
    sessions, assigned = [], []
    for visit_id, cadre_id, household_id, visited_at, day in rows:
        if current and current[1:3] == [cadre_id, household_id] and day - current[5] < SESSION_HOURS / 24:
            current[4] = visited_at
        else:
            if current:
                sessions.append(current[:5])
            current = [visit_id, cadre_id, household_id, visited_at, visited_at, day]
        assigned.append((current[0], visit_id))
        if len(assigned) >= 10_000:
            _write_sessions(db, sessions, assigned)
            sessions, assigned = [], []
    if current:
        sessions.append(current[:5])
    _write_sessions(db, sessions, assigned)


def _write_sessions(db: sqlite_utils.Database, sessions: list, assigned: list) -> None:
    # sessions still open are written by a later batch: a visit's session row may come after the visit's update,
    # which the foreign key (checked at commit, if at all) allows; UPSERT keeps the latest last_at
    db.conn.executemany("INSERT INTO visit_sessions (id, cadre_id, household_id, started_at, last_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_at = excluded.last_at", sessions)
    db.conn.executemany("UPDATE visits SET session_id = ? WHERE id = ?", assigned)


_EVIDENCE = (
    # A photo's perceptual hash (imagehash.phash, 64 bits as a signed integer) cut into four 16-bit bands, each
    # indexed with the hash: a near-duplicate shares a band, or one band differs in one bit (bot/store/evidence.py).
    """CREATE TABLE photo_hashes (
         sha256 TEXT PRIMARY KEY REFERENCES photos(sha256) ON DELETE CASCADE,
         phash INTEGER NOT NULL,
         band0 INTEGER NOT NULL, band1 INTEGER NOT NULL, band2 INTEGER NOT NULL, band3 INTEGER NOT NULL
       )""",
    "CREATE INDEX idx_photo_hashes_band0 ON photo_hashes(band0, phash)",
    "CREATE INDEX idx_photo_hashes_band1 ON photo_hashes(band1, phash)",
    "CREATE INDEX idx_photo_hashes_band2 ON photo_hashes(band2, phash)",
    "CREATE INDEX idx_photo_hashes_band3 ON photo_hashes(band3, phash)",
    # One row per flag a photo raised; shown to reviewers, never a refusal.
    """CREATE TABLE photo_flags (
         sha256 TEXT NOT NULL REFERENCES photos(sha256) ON DELETE CASCADE,
         flag TEXT NOT NULL CHECK (flag IN ('no_exif', 'taken_long_before', 'far_from_village', 'near_duplicate')),
         value REAL,                                -- hours before sending, km from the village, Hamming distance
         other_sha256 TEXT,                         -- near_duplicate: the earlier photo
         other_session_id INTEGER,                  -- near_duplicate: the visit it was counted for
         detail TEXT,                               -- the reviewer's one-line reading, in Chinese
         flagged_at TEXT NOT NULL,
         PRIMARY KEY (sha256, flag)
       )""",
    # 经度/纬度 of the 农户 sheet (WGS-84); a village's point is the median of its households', else of its visits'.
    "ALTER TABLE households ADD COLUMN latitude REAL",
    "ALTER TABLE households ADD COLUMN longitude REAL",
    "CREATE INDEX idx_households_village ON households(village, township, county)",
)


def _v52_evidence(db: sqlite_utils.Database) -> None:
    for statement in _EVIDENCE:
        db.conn.execute(statement)


_UNIT_TASKS_AND_NOTICES = (
    # 结对日期 of the 结对 sheet (a local date) and when an import first brought the pairing (UTC): a household's
    # overdue clock starts at the later of these and the campaign's start. NULL for pairings from before.
    "ALTER TABLE pairings ADD COLUMN paired_on TEXT",
    "ALTER TABLE pairings ADD COLUMN first_imported_at TEXT",
    # A unit's task (a deadline of the campaign file that binds its kind) reported done, with its evidence.
    """CREATE TABLE unit_task_completions (
         unit_id TEXT NOT NULL REFERENCES units(id),
         deadline_id TEXT NOT NULL,                 -- [[deadlines]] id in the campaign file
         reported_by TEXT NOT NULL REFERENCES cadres(id),
         reported_at TEXT NOT NULL,                 -- UTC
         evidence_sha256 TEXT,
         evidence_kind TEXT CHECK (evidence_kind IN ('document', 'photo')),
         evidence_name TEXT,                        -- the file name as sent
         evidence_path TEXT,                        -- relative to the [photos] dir
         note TEXT,
         PRIMARY KEY (unit_id, deadline_id)
       )""",
    "CREATE INDEX idx_unit_tasks_deadline ON unit_task_completions(deadline_id, unit_id)",
    """CREATE TABLE notices (
         id INTEGER PRIMARY KEY,
         sender_id TEXT NOT NULL REFERENCES cadres(id),
         scope_unit_id TEXT REFERENCES units(id),   -- NULL: every unit (活动办管理员)
         text TEXT NOT NULL,
         urgent INTEGER NOT NULL DEFAULT 0,          -- 1: sent in quiet hours too
         created_at TEXT NOT NULL,
         status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'sending', 'sent', 'cancelled')),
         confirmed_at TEXT
       )""",
    "CREATE INDEX idx_notices_scope ON notices(scope_unit_id, created_at)",
    # One row per recipient. 'delivered' without read_at is what the office calls 未读.
    """CREATE TABLE notice_receipts (
         notice_id INTEGER NOT NULL REFERENCES notices(id) ON DELETE CASCADE,
         cadre_id TEXT NOT NULL REFERENCES cadres(id),
         status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'read', 'undeliverable')),
         reason TEXT,                               -- why undeliverable (未绑定, 已拉黑, …)
         delivered_at TEXT,
         read_at TEXT,
         reminder_sent_at TEXT,                     -- the one reminder after a day unread
         PRIMARY KEY (notice_id, cadre_id)
       )""",
    "CREATE INDEX idx_notice_receipts_cadre ON notice_receipts(cadre_id, status)",
)


def _v53_tasks_notices_pairing_dates(db: sqlite_utils.Database) -> None:
    for statement in _UNIT_TASKS_AND_NOTICES:
        db.conn.execute(statement)


# pairings.last_visit_at: the start of the latest visit (session) that counts (not 需补充) by the pairing's cadre to
# its household, kept by triggers, so "进度" reads one indexed row per pairing instead of aggregating visits.
_LAST_VISIT = """UPDATE pairings SET last_visit_at = (
       SELECT max(s.started_at) FROM visit_sessions s
        WHERE s.household_id = pairings.household_id AND s.cadre_id = pairings.cadre_id AND s.review_state <> '需补充')
     WHERE household_id = {row}.household_id AND cadre_id = {row}.cadre_id"""
_PAIRING_CLOCK = (
    "ALTER TABLE pairings ADD COLUMN last_visit_at TEXT",
    # "谁没走访" for a large scope walks pairings oldest visit first (never visited first) and stops at a page
    "CREATE INDEX idx_pairings_kind_clock ON pairings(kind, last_visit_at)",
    f"CREATE TRIGGER sessions_clock_insert AFTER INSERT ON visit_sessions BEGIN {_LAST_VISIT.format(row='NEW')}; END",
    f"""CREATE TRIGGER sessions_clock_update AFTER UPDATE OF started_at, review_state ON visit_sessions
        BEGIN {_LAST_VISIT.format(row='NEW')}; END""",
    f"CREATE TRIGGER sessions_clock_delete AFTER DELETE ON visit_sessions BEGIN {_LAST_VISIT.format(row='OLD')}; END",
    # a pairing written after its visits (re-imported, corrected) picks up their clock too
    f"""CREATE TRIGGER pairings_clock_insert AFTER INSERT ON pairings
        WHEN EXISTS (SELECT 1 FROM visit_sessions s WHERE s.household_id = NEW.household_id) BEGIN {_LAST_VISIT.format(row='NEW')} AND id = NEW.id; END""",
    """UPDATE pairings SET last_visit_at = (
         SELECT max(s.started_at) FROM visit_sessions s
          WHERE s.household_id = pairings.household_id AND s.cadre_id = pairings.cadre_id
            AND s.review_state <> '需补充')
        WHERE household_id IS NOT NULL AND cadre_id IS NOT NULL""",
)


def _v54_pairing_clock(db: sqlite_utils.Database) -> None:
    for statement in _PAIRING_CLOCK:
        db.conn.execute(statement)

# progress_counts: for every unit, its whole subtree's 干部联户 pairings counted by (visited at least once, clock day):
# the day of the last counted visit, else the pairing's own start (结对日期, else the day an import first brought
# it; '' for pairings from before, whose clock is the campaign's start). "进度" of any scope then reads a few rows per
# unit below its root instead of every pairing. Days are Beijing calendar days ('+8 hours': China keeps no summer
# time), as people count them (bot/store/overdue.py holds the rule). Triggers keep it as pairings and cadres change;
# moving units, or an import, marks it stale (progress_state) and it is recounted at the import's end.
CLOCK_DAY = ("CASE WHEN {p}.last_visit_at IS NOT NULL THEN date({p}.last_visit_at, '+8 hours') "
             "ELSE COALESCE({p}.paired_on, date({p}.first_imported_at, '+8 hours'), '') END")
# a unit's path as a JSON array of its ancestors' ids (and its own), for json_each: triggers allow no WITH
_ANCESTORS = ("""json_each('["' || replace(replace(replace(trim({path}, '/'), '\\', '\\\\'), '"', '\\"'), '/', '","')"""
              """ || '"]')""")


def _count_pairing(row: str, delta: int) -> str:
    return f"""INSERT INTO progress_counts (unit_id, visited, clock_day, households)
        SELECT j.value, {row}.last_visit_at IS NOT NULL, {CLOCK_DAY.format(p=row)}, {delta}
          FROM cadres c JOIN units u ON u.id = c.unit_id, {_ANCESTORS.format(path='u.path')} j
         WHERE c.id = {row}.cadre_id AND {row}.kind = '干部联户' AND {row}.household_id IS NOT NULL
        ON CONFLICT (unit_id, visited, clock_day) DO UPDATE SET households = households + {delta}"""


def _count_cadre(unit: str, delta: str) -> str:
    return f"""INSERT INTO progress_counts (unit_id, visited, clock_day, households)
        SELECT j.value, p.last_visit_at IS NOT NULL, {CLOCK_DAY.format(p='p')}, {delta} * COUNT(*)
          FROM pairings p, units u, {_ANCESTORS.format(path='u.path')} j
         WHERE p.cadre_id = NEW.id AND p.kind = '干部联户' AND p.household_id IS NOT NULL AND u.id = {unit}
         GROUP BY 1, 2, 3
        ON CONFLICT (unit_id, visited, clock_day) DO UPDATE SET households = households + excluded.households"""


# While the counts are stale (an import, or units moved), the triggers leave them alone; the import recounts
# everything at its end (a reader, if one comes first), which is cheaper than counting its rows one by one.
_WHEN_COUNTED = "WHEN (SELECT stale FROM progress_state) = 0"
_PROGRESS_COUNTS = (
    """CREATE TABLE progress_counts (
         unit_id TEXT NOT NULL,
         visited INTEGER NOT NULL,
         clock_day TEXT NOT NULL,
         households INTEGER NOT NULL,
         PRIMARY KEY (unit_id, visited, clock_day)
       ) WITHOUT ROWID""",
    "CREATE TABLE progress_state (id INTEGER PRIMARY KEY CHECK (id = 1), stale INTEGER NOT NULL)",
    "INSERT INTO progress_state VALUES (1, 1)",  # the first reader builds the counts of existing data
    f"CREATE TRIGGER pairings_count_insert AFTER INSERT ON pairings {_WHEN_COUNTED} BEGIN {_count_pairing('NEW', 1)}; END",
    f"CREATE TRIGGER pairings_count_delete AFTER DELETE ON pairings {_WHEN_COUNTED} BEGIN {_count_pairing('OLD', -1)}; END",
    f"""CREATE TRIGGER pairings_count_update
        AFTER UPDATE OF last_visit_at, paired_on, first_imported_at, cadre_id, kind, household_id ON pairings
        {_WHEN_COUNTED} BEGIN {_count_pairing('OLD', -1)}; {_count_pairing('NEW', 1)}; END""",
    f"""CREATE TRIGGER cadres_count_move AFTER UPDATE OF unit_id ON cadres
        WHEN NEW.unit_id IS NOT OLD.unit_id AND (SELECT stale FROM progress_state) = 0 BEGIN {_count_cadre('OLD.unit_id', '-1')}; {_count_cadre('NEW.unit_id', '1')}; END""",
    # a cadre written after their pairings (the importer writes with foreign keys off)
    f"CREATE TRIGGER cadres_count_insert AFTER INSERT ON cadres {_WHEN_COUNTED} BEGIN {_count_cadre('NEW.unit_id', '1')}; END",
    """CREATE TRIGGER units_count_stale AFTER UPDATE OF path ON units WHEN NEW.path IS NOT OLD.path
       BEGIN UPDATE progress_state SET stale = 1 WHERE stale = 0; END""",
)


def rebuild_progress_counts(db: sqlite_utils.Database) -> None:
    """Recounts progress_counts (and progress_totals) from the pairings (after units moved); call inside a
    transaction."""
    db.conn.execute("UPDATE progress_state SET stale = 1 WHERE stale = 0")  # the totals' triggers skip the recount
    db.conn.execute("DELETE FROM progress_counts")
    # counted by the cadres' own unit first, then each unit's counts added to its ancestors: the ancestors are
    # listed once per (unit, visited, day) rather than once per pairing
    db.conn.execute(f"""INSERT INTO progress_counts (unit_id, visited, clock_day, households)
        SELECT j.value, own.visited, own.clock_day, SUM(own.households)
          FROM (SELECT c.unit_id, p.last_visit_at IS NOT NULL AS visited, {CLOCK_DAY.format(p='p')} AS clock_day,
                       COUNT(*) AS households
                  FROM pairings p JOIN cadres c ON c.id = p.cadre_id
                 WHERE p.kind = '干部联户' AND p.household_id IS NOT NULL
                 GROUP BY 1, 2, 3) own
          JOIN units u ON u.id = own.unit_id, {_ANCESTORS.format(path='u.path')} j
         GROUP BY 1, 2, 3""")
    if _has_table(db, "progress_totals"):  # from migration 65 on
        db.conn.execute("DELETE FROM progress_totals")
        db.conn.execute(_TOTALS_FROM_COUNTS)
    db.conn.execute("UPDATE progress_state SET stale = 0")


def _has_table(db: sqlite_utils.Database, name: str) -> bool:
    return db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() \
        is not None


# "谁没走访" walks the pairings by clock day (bot/store/scopes.py). Kept row by row it costs a large import more than
# its rows' own writing; built once over a million pairings it takes about a second, so a large import drops it while
# it writes and makes it again in its last transaction (readers meanwhile take the plan that needs no index).
CLOCK_DAY_INDEX_NAME = "idx_pairings_kind_clock_day"
CLOCK_DAY_INDEX = (f"CREATE INDEX IF NOT EXISTS {CLOCK_DAY_INDEX_NAME} "
                   f"ON pairings (kind, ({CLOCK_DAY.replace('{p}.', '')}))")


def drop_clock_day_index(db: sqlite_utils.Database) -> None:
    """Drops the pairings' clock-day index for a large import (ensure_clock_day_index makes it again)."""
    db.conn.execute(f"DROP INDEX IF EXISTS {CLOCK_DAY_INDEX_NAME}")


def ensure_clock_day_index(db: sqlite_utils.Database) -> None:
    """Makes the pairings' clock-day index if it is missing (after a large import, or one cut off)."""
    db.conn.execute(CLOCK_DAY_INDEX)


def has_clock_day_index(db: sqlite_utils.Database) -> bool:
    """Whether the pairings' clock-day index is there (not while a large import writes)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?",
                      (CLOCK_DAY_INDEX_NAME,)).fetchone() is not None


def mark_progress_stale(db: sqlite_utils.Database) -> None:
    """Marks progress_counts stale: the count triggers skip rows until rebuild_progress_counts (an import's end)."""
    db.conn.execute("UPDATE progress_state SET stale = 1 WHERE stale = 0")


def mark_progress_fresh(db: sqlite_utils.Database) -> None:
    """Marks progress_counts true again without recounting (an import that changed nothing they count)."""
    db.conn.execute("UPDATE progress_state SET stale = 0 WHERE stale = 1")


def progress_stale(db: sqlite_utils.Database) -> bool:
    """Whether progress_counts wait to be recounted."""
    return bool(db.conn.execute("SELECT stale FROM progress_state").fetchone()[0])


def _v55_progress_counts(db: sqlite_utils.Database) -> None:
    for statement in _PROGRESS_COUNTS:
        db.conn.execute(statement)


_TASK_REPORTS = (
    # Every report of a unit task, in order: unit_task_completions keeps the first (when the task was done); a
    # re-report (a better scan, a second photo) is added here and never overwrites the first report's evidence.
    """CREATE TABLE unit_task_reports (
         id INTEGER PRIMARY KEY,
         unit_id TEXT NOT NULL REFERENCES units(id),
         deadline_id TEXT NOT NULL,
         reported_by TEXT NOT NULL REFERENCES cadres(id),
         reported_at TEXT NOT NULL,                 -- UTC
         evidence_sha256 TEXT,
         evidence_kind TEXT CHECK (evidence_kind IN ('document', 'photo')),
         evidence_name TEXT,
         evidence_path TEXT,
         note TEXT
       )""",
    "CREATE INDEX idx_unit_task_reports_unit ON unit_task_reports(unit_id, deadline_id, reported_at)",
    """INSERT INTO unit_task_reports (unit_id, deadline_id, reported_by, reported_at, evidence_sha256, evidence_kind,
                                      evidence_name, evidence_path, note)
       SELECT unit_id, deadline_id, reported_by, reported_at, evidence_sha256, evidence_kind, evidence_name,
              evidence_path, note FROM unit_task_completions""",
)


def _v56_unit_task_reports(db: sqlite_utils.Database) -> None:
    for statement in _TASK_REPORTS:
        db.conn.execute(statement)


def _v57_urgent_deliveries(db: sqlite_utils.Database) -> None:
    # An urgent notice goes out in quiet hours too; every other delivery waits for the morning.
    db.conn.execute("ALTER TABLE deliveries ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0")


def _v63_no_rehearsal_bindings(db: sqlite_utils.Database) -> None:
    # `chat --as X` used to bind the console chat X to cadre X for good: X then counted as bound and was planned
    # reminders. Rehearsals now act as a cadre without a binding (BotApp.acting_as); their old bindings go.
    db.conn.execute("DELETE FROM bindings WHERE channel = 'console' AND chat_id = cadre_id")


_COUNT_TRIGGERS = ("pairings_count_insert", "pairings_count_delete", "pairings_count_update", "cadres_count_move",
                   "cadres_count_insert", "units_count_stale")


def _v64_local_clock_days(db: sqlite_utils.Database) -> None:
    # Migration 55 counted UTC days; the count triggers are made again with Beijing days, and the counts rebuilt
    # here rather than by the first reader.
    for name in _COUNT_TRIGGERS:
        db.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in _PROGRESS_COUNTS:
        if statement.lstrip().startswith("CREATE TRIGGER"):
            db.conn.execute(statement)
    rebuild_progress_counts(db)
    # "谁没走访" for a large scope walks the pairings by clock day, oldest first, and stops at its page; the index by
    # last visit it walked before goes (one index less for an import to keep)
    db.conn.execute("DROP INDEX IF EXISTS idx_pairings_kind_clock")
    db.conn.execute(CLOCK_DAY_INDEX)


# progress_totals: progress_counts added up over clock days, per unit and visited or not, kept by triggers on
# progress_counts itself. "进度" of a county (some 1,400 branches) then reads two totals per unit and only the recent
# days' counts (those not yet overdue, bot/store/overdue.py's NOT_OVERDUE_FROM) instead of every day of every unit.
_TOTALS_FROM_COUNTS = ("INSERT INTO progress_totals (unit_id, visited, households) "
                       "SELECT unit_id, visited, SUM(households) FROM progress_counts GROUP BY 1, 2")


def _totals_delta(unit: str, visited: str, delta: str) -> str:
    return f"""INSERT INTO progress_totals (unit_id, visited, households) VALUES ({unit}, {visited}, {delta})
        ON CONFLICT (unit_id, visited) DO UPDATE SET households = households + excluded.households"""


_PROGRESS_TOTALS = (
    """CREATE TABLE progress_totals (
         unit_id TEXT NOT NULL,
         visited INTEGER NOT NULL,
         households INTEGER NOT NULL,
         PRIMARY KEY (unit_id, visited)
       ) WITHOUT ROWID""",
    f"""CREATE TRIGGER progress_totals_insert AFTER INSERT ON progress_counts {_WHEN_COUNTED}
        BEGIN {_totals_delta('NEW.unit_id', 'NEW.visited', 'NEW.households')}; END""",
    f"""CREATE TRIGGER progress_totals_update AFTER UPDATE ON progress_counts {_WHEN_COUNTED}
        BEGIN {_totals_delta('OLD.unit_id', 'OLD.visited', '-OLD.households')};
              {_totals_delta('NEW.unit_id', 'NEW.visited', 'NEW.households')}; END""",
    f"""CREATE TRIGGER progress_totals_delete AFTER DELETE ON progress_counts {_WHEN_COUNTED}
        BEGIN {_totals_delta('OLD.unit_id', 'OLD.visited', '-OLD.households')}; END""",
    _TOTALS_FROM_COUNTS,  # stale counts are recounted, totals with them, by the first reader
)


def _v65_progress_totals(db: sqlite_utils.Database) -> None:
    for statement in _PROGRESS_TOTALS:
        db.conn.execute(statement)



# The office's workbook reads every pairing, visit and photo of its scope (bot/store/report_rows.py): indexes that
# hold what it reads, so that a province's rows come from the index alone. Each takes the place of the index it
# extends (same leading columns), so no lookup loses its index.
_REPORT_INDEXES = (
    "CREATE INDEX idx_pairings_cadre_clock ON pairings(cadre_id, kind, last_visit_at, paired_on, first_imported_at, "
    "household_id)",
    "DROP INDEX idx_pairings_cadre",
    "CREATE INDEX idx_sessions_cadre_state ON visit_sessions(cadre_id, started_at, review_state)",
    "DROP INDEX idx_sessions_cadre",
    "CREATE INDEX idx_photos_visit_files ON photos(visit_id, path)",
    "DROP INDEX idx_photos_visit",
    "CREATE INDEX idx_visits_session_notes ON visits(session_id, note)",
    "DROP INDEX idx_visits_session",
)


def _statements(statements: tuple[str, ...]) -> Callable[[sqlite_utils.Database], None]:
    """A migration that runs these statements, in order."""
    def apply(db: sqlite_utils.Database) -> None:
        for statement in statements:
            db.conn.execute(statement)
    return apply

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



# ---- issue 13: the web console's counts (71-79). -----------------------------------------------------------------

# The console's 概览 and 单位 pages show, per unit subtree, how many cadres have households and how many are behind,
# and a chart of visits per week: counted here by triggers, as progress_counts counts households, so a page reads a
# few rows per unit instead of every pairing or visit of the province.
# cadre_clocks: per cadre with 干部联户 pairings, the oldest clock day (CLOCK_DAY; Beijing days since migration 73)
# among visited pairings (their last counted visit) and among never-visited ones (their pairing's start); '~' (after
# every date) when there is none. A cadre is behind when the older of them is overdue by the one rule
# (bot/store/overdue.py).
# cadre_counts: those cadres counted for every unit above them by (oldest_visited, oldest_unvisited).
# visit_hour_counts: visits (sessions) for every unit above their cadre, by UTC hour of their start ('2010-05-10T02').
NO_DAY = "~"
_CADRE_CLOCK_SQL = f"""INSERT INTO cadre_clocks (cadre_id, households, oldest_visited, oldest_unvisited)
        SELECT p.cadre_id, COUNT(*),
               COALESCE(MIN(CASE WHEN p.last_visit_at IS NOT NULL THEN {{visited_day}} END), '{NO_DAY}'),
               COALESCE(MIN(CASE WHEN p.last_visit_at IS NULL THEN {CLOCK_DAY.format(p='p')} END), '{NO_DAY}')
          FROM pairings p WHERE {{{{where}}}} AND p.kind = '干部联户' AND p.household_id IS NOT NULL
         GROUP BY p.cadre_id"""
# Migration 71 took a visited pairing's UTC day; migration 73 its Beijing day, the clock day of bot/store/overdue.py.
_CADRE_CLOCK_V71 = _CADRE_CLOCK_SQL.format(visited_day="substr(p.last_visit_at, 1, 10)")
_CADRE_CLOCK = _CADRE_CLOCK_SQL.format(visited_day=CLOCK_DAY.format(p="p"))


def _cadre_counted(cadre: str, unit: str, delta: str) -> str:
    """Adds delta to cadre_counts for the cadre's clock row, at every unit above `unit`."""
    return f"""INSERT INTO cadre_counts (unit_id, oldest_visited, oldest_unvisited, cadres)
        SELECT j.value, k.oldest_visited, k.oldest_unvisited, {delta}
          FROM cadre_clocks k, units u, {_ANCESTORS.format(path='u.path')} j
         WHERE k.cadre_id = {cadre} AND u.id = {unit}
        ON CONFLICT (unit_id, oldest_visited, oldest_unvisited) DO UPDATE SET cadres = cadres + {delta}"""


def _recount_cadre(cadre: str, clock: str) -> str:
    """The statements (for a trigger) that recompute one cadre's clock row (by `clock`) and its counts."""
    unit = f"(SELECT unit_id FROM cadres WHERE id = {cadre})"
    return ";\n".join((_cadre_counted(cadre, unit, "-1"),
                       f"DELETE FROM cadre_clocks WHERE cadre_id = {cadre}",
                       clock.format(where=f"p.cadre_id = {cadre}"),
                       _cadre_counted(cadre, unit, "1")))


def _hour_counted(row: str, delta: str) -> str:
    return f"""INSERT INTO visit_hour_counts (unit_id, hour, visits)
        SELECT j.value, substr({row}.started_at, 1, 13), {delta}
          FROM cadres c JOIN units u ON u.id = c.unit_id, {_ANCESTORS.format(path='u.path')} j
         WHERE c.id = {row}.cadre_id
        ON CONFLICT (unit_id, hour) DO UPDATE SET visits = visits + {delta}"""


def _cadre_hours(unit: str, sign: str) -> str:
    """Adds (sign 1) or takes away (-1) a moving cadre's visits at every unit above `unit`."""
    return f"""INSERT INTO visit_hour_counts (unit_id, hour, visits)
        SELECT j.value, substr(s.started_at, 1, 13), {sign} * COUNT(*)
          FROM visit_sessions s, units u, {_ANCESTORS.format(path='u.path')} j
         WHERE s.cadre_id = NEW.id AND u.id = {unit}
         GROUP BY 1, 2
        ON CONFLICT (unit_id, hour) DO UPDATE SET visits = visits + excluded.visits"""


_WHEN_CONSOLE_COUNTED = "(SELECT stale FROM console_counts_state) = 0"
_CADRE_CLOCK_TRIGGERS = ("pairings_cadre_clock_insert", "pairings_cadre_clock_delete", "pairings_cadre_clock_update",
                         "pairings_cadre_clock_leave", "cadres_clock_insert")


def _cadre_clock_triggers(clock: str) -> tuple[str, ...]:
    """The triggers (named in _CADRE_CLOCK_TRIGGERS) that recount a cadre's clock row by `clock` as pairings change."""
    insert, delete, update, leave, cadre = _CADRE_CLOCK_TRIGGERS
    return (
        f"""CREATE TRIGGER {insert} AFTER INSERT ON pairings WHEN {_WHEN_CONSOLE_COUNTED}
        BEGIN {_recount_cadre('NEW.cadre_id', clock)}; END""",
        f"""CREATE TRIGGER {delete} AFTER DELETE ON pairings WHEN {_WHEN_CONSOLE_COUNTED}
        BEGIN {_recount_cadre('OLD.cadre_id', clock)}; END""",
        f"""CREATE TRIGGER {update}
        AFTER UPDATE OF last_visit_at, paired_on, first_imported_at, cadre_id, kind, household_id ON pairings
        WHEN {_WHEN_CONSOLE_COUNTED} BEGIN {_recount_cadre('NEW.cadre_id', clock)}; END""",
        f"""CREATE TRIGGER {leave} AFTER UPDATE OF cadre_id ON pairings
        WHEN OLD.cadre_id IS NOT NEW.cadre_id AND {_WHEN_CONSOLE_COUNTED} BEGIN {_recount_cadre('OLD.cadre_id', clock)}; END""",
        f"""CREATE TRIGGER {cadre} AFTER INSERT ON cadres WHEN {_WHEN_CONSOLE_COUNTED}
        BEGIN {_recount_cadre('NEW.id', clock)}; END""",
    )


_CONSOLE_COUNTS = (
    """CREATE TABLE cadre_clocks (cadre_id TEXT PRIMARY KEY, households INTEGER NOT NULL,
         oldest_visited TEXT NOT NULL, oldest_unvisited TEXT NOT NULL,
         oldest TEXT GENERATED ALWAYS AS (min(oldest_visited, oldest_unvisited)) VIRTUAL)""",
    # the console's "most behind" list walks cadres longest waiting first and stops at a page
    "CREATE INDEX idx_cadre_clocks_oldest ON cadre_clocks(oldest, cadre_id)",
    """CREATE TABLE cadre_counts (unit_id TEXT NOT NULL, oldest_visited TEXT NOT NULL, oldest_unvisited TEXT NOT NULL,
         cadres INTEGER NOT NULL, PRIMARY KEY (unit_id, oldest_visited, oldest_unvisited)) WITHOUT ROWID""",
    """CREATE TABLE visit_hour_counts (unit_id TEXT NOT NULL, hour TEXT NOT NULL, visits INTEGER NOT NULL,
         PRIMARY KEY (unit_id, hour)) WITHOUT ROWID""",
    "CREATE TABLE console_counts_state (id INTEGER PRIMARY KEY CHECK (id = 1), stale INTEGER NOT NULL)",
    "INSERT INTO console_counts_state VALUES (1, 1)",  # the first reader counts existing data
    *_cadre_clock_triggers(_CADRE_CLOCK_V71),
    f"""CREATE TRIGGER cadres_clock_move AFTER UPDATE OF unit_id ON cadres
        WHEN NEW.unit_id IS NOT OLD.unit_id AND {_WHEN_CONSOLE_COUNTED} BEGIN
          {_cadre_counted('NEW.id', 'OLD.unit_id', '-1')}; {_cadre_counted('NEW.id', 'NEW.unit_id', '1')};
          {_cadre_hours('OLD.unit_id', '-1')}; {_cadre_hours('NEW.unit_id', '1')};
        END""",
    f"""CREATE TRIGGER sessions_hour_insert AFTER INSERT ON visit_sessions WHEN {_WHEN_CONSOLE_COUNTED}
        BEGIN {_hour_counted('NEW', '1')}; END""",
    f"""CREATE TRIGGER sessions_hour_delete AFTER DELETE ON visit_sessions WHEN {_WHEN_CONSOLE_COUNTED}
        BEGIN {_hour_counted('OLD', '-1')}; END""",
    f"""CREATE TRIGGER sessions_hour_update AFTER UPDATE OF started_at, cadre_id ON visit_sessions
        WHEN (substr(NEW.started_at, 1, 13) IS NOT substr(OLD.started_at, 1, 13) OR NEW.cadre_id IS NOT OLD.cadre_id)
         AND {_WHEN_CONSOLE_COUNTED}
        BEGIN {_hour_counted('OLD', '-1')}; {_hour_counted('NEW', '1')}; END""",
    """CREATE TRIGGER units_console_counts_stale AFTER UPDATE OF path ON units WHEN NEW.path IS NOT OLD.path
       BEGIN UPDATE console_counts_state SET stale = 1 WHERE stale = 0; END""",
)


def rebuild_console_counts(db: sqlite_utils.Database) -> None:
    """Recounts cadre_clocks, cadre_counts and visit_hour_counts from scratch (after units moved or were imported);
    call inside a transaction."""
    for table in ("cadre_clocks", "cadre_counts", "visit_hour_counts"):
        db.conn.execute(f"DELETE FROM {table}")
    db.conn.execute(_CADRE_CLOCK.format(where="1 = 1"))
    db.conn.execute(f"""INSERT INTO cadre_counts (unit_id, oldest_visited, oldest_unvisited, cadres)
        SELECT j.value, k.oldest_visited, k.oldest_unvisited, COUNT(*)
          FROM cadre_clocks k JOIN cadres c ON c.id = k.cadre_id JOIN units u ON u.id = c.unit_id,
               {_ANCESTORS.format(path='u.path')} j
         GROUP BY 1, 2, 3""")
    db.conn.execute(f"""INSERT INTO visit_hour_counts (unit_id, hour, visits)
        SELECT j.value, s.hour, SUM(s.visits)
          FROM (SELECT cadre_id, substr(started_at, 1, 13) AS hour, COUNT(*) AS visits FROM visit_sessions
                 GROUP BY 1, 2) s
          JOIN cadres c ON c.id = s.cadre_id JOIN units u ON u.id = c.unit_id, {_ANCESTORS.format(path='u.path')} j
         GROUP BY 1, 2""")
    db.conn.execute("UPDATE console_counts_state SET stale = 0")


def _v71_console_counts(db: sqlite_utils.Database) -> None:
    for statement in _CONSOLE_COUNTS:
        db.conn.execute(statement)


# A notice's receipts counted per (notice, recipient's unit at sending, status), kept by triggers: 通知 shows a notice
# to 400,000 cadres by unit and by status from a few thousand rows instead of every receipt.
def _receipt_counted(row: str, delta: str) -> str:
    return f"""INSERT INTO notice_unit_counts (notice_id, unit_id, status, receipts)
        SELECT {row}.notice_id, c.unit_id, {row}.status, {delta} FROM cadres c WHERE c.id = {row}.cadre_id
        ON CONFLICT (notice_id, unit_id, status) DO UPDATE SET receipts = receipts + {delta}"""


_NOTICE_COUNTS = (
    """CREATE TABLE notice_unit_counts (notice_id INTEGER NOT NULL, unit_id TEXT NOT NULL, status TEXT NOT NULL,
         receipts INTEGER NOT NULL, PRIMARY KEY (notice_id, unit_id, status)) WITHOUT ROWID""",
    f"CREATE TRIGGER receipts_count_insert AFTER INSERT ON notice_receipts BEGIN {_receipt_counted('NEW', '1')}; END",
    f"CREATE TRIGGER receipts_count_delete AFTER DELETE ON notice_receipts BEGIN {_receipt_counted('OLD', '-1')}; END",
    f"""CREATE TRIGGER receipts_count_update AFTER UPDATE OF status ON notice_receipts WHEN NEW.status IS NOT OLD.status
        BEGIN {_receipt_counted('OLD', '-1')}; {_receipt_counted('NEW', '1')}; END""",
    f"""INSERT INTO notice_unit_counts (notice_id, unit_id, status, receipts)
        SELECT r.notice_id, c.unit_id, r.status, COUNT(*) FROM notice_receipts r JOIN cadres c ON c.id = r.cadre_id
         GROUP BY 1, 2, 3""",
)


def _v72_notice_counts(db: sqlite_utils.Database) -> None:
    for statement in _NOTICE_COUNTS:
        db.conn.execute(statement)


def _v73_console_clock_days(db: sqlite_utils.Database) -> None:
    # Migration 71 took a visited pairing's UTC day for a cadre's clock; the triggers are made again with its Beijing
    # day (the one overdue rule, bot/store/overdue.py), and the counts rebuilt here rather than by the first reader.
    for name in _CADRE_CLOCK_TRIGGERS:
        db.conn.execute(f"DROP TRIGGER IF EXISTS {name}")
    for statement in _cadre_clock_triggers(_CADRE_CLOCK):
        db.conn.execute(statement)
    rebuild_console_counts(db)


# (version, name, apply). Append only; never edit or renumber an applied migration: databases in use have
# 1, 3, 4 and 10. The gaps are not missing work. New numbers are allotted by area: 11-19 conversation model,
# 20-29 understanding, 30-39 roster and reliability, 40-49 operations, 50-69 supervision, 70-79 web console.
MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "initial schema", _v1_initial),
    (3, "processed messages: claimed by, finished at", _v3_message_claims),
    (4, "reminders: series, expiry, claim time", _v4_reminder_lifecycle),
    (10, "binding code attempts per chat", _v10_binding_attempts),
    (11, "conversation state: the choices offered", _v11_offered_choices),
    (20, "last question per chat, for follow-ups", _v20_last_questions),
    (30, "roster import runs", _v30_import_runs),
    (40, "a random key per installation for log references", _v40_installation_keys),
    (50, "units: materialised path", _v50_unit_paths),
    (51, "visits grouped as sessions, with reviews", _v51_visit_sessions),
    (52, "photo hashes and evidence flags; household coordinates", _v52_evidence),
    (53, "unit tasks, notices and receipts; pairing dates", _v53_tasks_notices_pairing_dates),
    (54, "pairings: last counted visit, kept by triggers", _v54_pairing_clock),
    (55, "progress counts per unit subtree and clock day", _v55_progress_counts),
    (56, "unit task reports: every report kept", _v56_unit_task_reports),
    (57, "deliveries: urgent (sent in quiet hours)", _v57_urgent_deliveries),
    (58, "indexes holding what the office's workbook reads", _statements(_REPORT_INDEXES)),
    (63, "console rehearsals leave no binding", _v63_no_rehearsal_bindings),
    (64, "progress counts by Beijing day, rebuilt", _v64_local_clock_days),
    (65, "progress totals per unit, kept from the progress counts", _v65_progress_totals),
    (70, "web console: login links, sessions, audit, uploads; visits by pairing", _v70_console),
    (71, "web console: cadres and visits counted per unit subtree", _v71_console_counts),
    (72, "web console: notice receipts counted per unit and status", _v72_notice_counts),
    (73, "web console: cadres' clocks by Beijing day, rebuilt", _v73_console_clock_days),
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
