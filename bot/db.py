"""Opening the SQLite database: WAL, foreign keys, migrations, and one transaction helper."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from bot.migrations import migrate


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Opens (creating if needed) the database at path, migrated to the latest schema."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    # Not tied to the opening thread: the running bot hands all its database work to one worker thread
    # (bot.worker), while the CLI and tests use the connection from their own thread; never two at once.
    db = open_migrated(path)
    if str(path) != ":memory:":
        db.enable_wal()
    migrate(db)
    return db


def open_migrated(path: str | Path) -> sqlite_utils.Database:
    """A connection with the bot's pragmas, usable from any one thread at a time: open_db's own, or another to a
    database open_db already migrated (a worker pool's thread-local connection)."""
    conn = sqlite3.connect(str(path), check_same_thread=False)
    # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly what `transaction()` spans.
    conn.isolation_level = None
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    return sqlite_utils.Database(conn)


def answers(db: sqlite_utils.Database | sqlite3.Connection) -> None:
    """Asks the database one cheap question (raises sqlite3.Error when it cannot answer): the health check."""
    db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()


def database_busy(exc: BaseException) -> bool:
    """Whether an error only says another connection holds the lock (worth trying again later)."""
    message = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in message or "busy" in message)


def begin_write(db: sqlite_utils.Database) -> None:
    """Opens a transaction that holds the write lock from its start (raises 'database is locked' when another
    connection keeps it past the busy timeout, before anything is done)."""
    db.conn.execute("BEGIN IMMEDIATE")


def commit(db: sqlite_utils.Database) -> None:
    """Commits the open transaction."""
    db.conn.execute("COMMIT")


def roll_back_open_transaction(db: sqlite_utils.Database) -> None:
    """Rolls back whatever a failed step left open, so the next message starts clean."""
    if db.conn.in_transaction:
        db.conn.execute("ROLLBACK")


@contextlib.contextmanager
def rolled_back(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Runs the block in one IMMEDIATE transaction and rolls it back whatever happens: a dry run."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    finally:
        db.conn.execute("ROLLBACK")


@contextlib.contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Runs the block in one IMMEDIATE transaction: committed whole, or rolled back whole."""
    conn = db.conn
    if conn.in_transaction:  # nested: the outer transaction decides
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


# How much of the database file a long read may map into memory: a province's report looks rows up all over the file,
# and mapped pages are read without a system call each.
READ_MAP_BYTES = 2 << 30


@contextlib.contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Runs the block's queries in one read transaction, so they all see the database as it was at the first of them
    (writers go on meanwhile, WAL); the file is mapped into memory for the while."""
    conn = db.conn
    mapped = conn.execute("PRAGMA mmap_size").fetchone()[0]
    conn.execute(f"PRAGMA mmap_size = {max(mapped, READ_MAP_BYTES)}")
    try:
        if conn.in_transaction:  # nested: the outer transaction already reads one state
            yield db
            return
        conn.execute("BEGIN")
        try:
            yield db
        finally:
            conn.execute("ROLLBACK")  # nothing was written: this only ends the read
    finally:
        conn.execute(f"PRAGMA mmap_size = {mapped}")
