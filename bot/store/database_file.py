"""The database as a file, for backup, restore, `check` and /readyz: a read-only connection of its own, an online
copy, SQLite's own integrity checks, the schema version, rows per table, the photos it references, and the
delivery rows an operator should hear about.

These take a plain sqlite3 connection (not the bot's sqlite_utils Database): they run in a command or a thread of
their own, on a file the bot may be writing meanwhile."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from bot.clock import iso
from bot.store.deliveries import FAILED, SENDING


@contextlib.contextmanager
def read_only(path: str | Path, timeout: float = 5) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the database file at path, closed afterwards (sqlite3.Error if it cannot open)."""
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=timeout)) as conn:
        yield conn


def copy_online(source_path: str | Path, target_path: str | Path) -> None:
    """Copies the live database with SQLite's online backup API into one self-contained file (no WAL)."""
    # One step (pages=-1): a read transaction over the whole copy, so it is consistent and is not restarted by the
    # bot's writes (WAL lets them go on meanwhile).
    with contextlib.closing(sqlite3.connect(source_path, timeout=30)) as source, \
            contextlib.closing(sqlite3.connect(target_path)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")


def integrity(conn: sqlite3.Connection, full: bool = False) -> str:
    """SQLite's verdict on the file: "ok" or the first problem; quick_check unless full (integrity_check)."""
    return conn.execute("PRAGMA integrity_check" if full else "PRAGMA quick_check").fetchone()[0]


def table_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (SQLite's internal tables left out), by table name."""
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def applied_migrations(conn: sqlite3.Connection) -> set[int]:
    """The migration versions recorded in the database (none when it has no schema_migrations table)."""
    try:
        return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    except sqlite3.OperationalError:
        return set()


def photo_paths(conn: sqlite3.Connection) -> list[str]:
    """The relative paths of every photo the database records (none when it has no photos table)."""
    try:
        return [row[0] for row in conn.execute("SELECT path FROM photos")]
    except sqlite3.OperationalError:
        return []


def stuck_sending(conn: sqlite3.Connection, claimed_before: datetime) -> int:
    """How many deliveries are still 'sending' since before the given time."""
    return conn.execute("SELECT COUNT(*) FROM deliveries WHERE status = ? AND claimed_at <= ?",
                        (SENDING, iso(claimed_before))).fetchone()[0]


def failures_since(conn: sqlite3.Connection, since: datetime) -> list[tuple[str, int]]:
    """The reasons deliveries failed since the given time, with their counts, most frequent first."""
    return conn.execute("SELECT last_error, COUNT(*) FROM deliveries WHERE status = ? AND claimed_at >= ? "
                        "GROUP BY last_error ORDER BY COUNT(*) DESC", (FAILED, iso(since))).fetchall()
