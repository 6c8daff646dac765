"""Writing a checked roster in short transactions: upserts keyed by the 编号 columns that leave equal rows untouched."""

from __future__ import annotations

import contextlib
import itertools
import logging
import time
from datetime import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar

import sqlite_utils

from bot.clock import iso
from bot.db import transaction
from bot.migrations import (drop_clock_day_index, ensure_clock_day_index, mark_progress_fresh, mark_progress_stale,
                            progress_stale, rebuild_progress_counts)
from bot.roster.checking import CheckedRoster, Progress
from bot.roster.layout import CADRES, HOUSEHOLDS, PAIRINGS, UNITS
from bot.roster.runs import advance_run

logger = logging.getLogger(__name__)

BATCH = 1_000  # rows per executemany (about 10 ms); progress is reported after each
# A writer waiting on SQLite's busy handler retries after 1, 2, 5, 10, 15, 20, 25, 25, 25 ms (128 ms in all), then
# every 50-100 ms. A pause longer than 25 ms after a chunk held under 100 ms is therefore always seen by a writer
# that began waiting during that chunk: it gets the lock at the first pause.
HOLD_SECONDS = 0.06  # a chunk commits once it has held the write lock this long (one batch more at most)
PAUSE_SECONDS = 0.03
CHECKPOINT_EVERY = 10  # chunks: the WAL stays within some tens of MB
IMPORT_CACHE_KIB = 256 * 1024  # a bigger page cache while the import writes
# An import bringing at least this many pairings, and at least as many as are stored, writes them without the index
# by clock day and builds it once at its end (bot/migrations.py, CLOCK_DAY_INDEX)
LARGE_PAIRINGS = 20_000
T = TypeVar("T")


def _upsert_sql(table: str, columns: Sequence[str], key: str, keep_if_empty: Sequence[str] = (),
                insert_only: Sequence[str] = ()) -> str:
    """INSERT … ON CONFLICT DO UPDATE, skipping the update when nothing differs (so an equal row is not counted).

    Columns in keep_if_empty keep their stored value when the file leaves them empty (optional columns a later
    file may lack); columns in insert_only are written when the row is new and never changed after."""
    rest = [c for c in columns if c != key and c not in insert_only]
    new = [f"COALESCE(excluded.{c}, {table}.{c})" if c in keep_if_empty else f"excluded.{c}" for c in rest]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(f'{c} = {value}' for c, value in zip(rest, new))} "
        f"WHERE ({', '.join(f'{table}.{c}' for c in rest)}) IS NOT ({', '.join(new)})"
    )


UNITS_SQL = _upsert_sql("units", ("id", "name", "parent_id", "kind"), "id")
CADRES_SQL = _upsert_sql("cadres", ("id", "name", "phone", "unit_id", "title", "role"), "id")
HOUSEHOLDS_SQL = _upsert_sql(
    "households", ("id", "head_name", "county", "township", "village", "members", "phone", "notes", "latitude",
                   "longitude"), "id", keep_if_empty=("latitude", "longitude"))
# first_imported_at: the import that first brought the pairing (its overdue clock, when 结对日期 is empty)
PAIRINGS_SQL = _upsert_sql(
    "pairings", ("pair_key", "kind", "cadre_id", "unit_id", "household_id", "target_id", "notes", "paired_on",
                 "first_imported_at"), "pair_key", keep_if_empty=("paired_on",), insert_only=("first_imported_at",))


class ChunkedWriter:
    """Runs statements over many rows in short IMMEDIATE transactions, pausing between them, so that another
    connection (the bot) waiting on SQLite's busy timeout gets the write lock within a fraction of a second.

    Each transaction also records how far the import got (import_runs), so the count there is what is committed."""

    def __init__(self, db: sqlite_utils.Database, run_id: int, progress: Progress):
        self.db, self.run_id, self.progress = db, run_id, progress
        self.hold, self.pause = HOLD_SECONDS, PAUSE_SECONDS
        self.written = 0  # rows committed or in the open transaction
        self.committed = 0
        self.chunks = 0
        self.longest_hold = 0.0
        self._began: float | None = None

    def execute(self, sql: str, rows: Iterable[tuple]) -> int:
        """Runs sql for every row, BATCH rows at a time; returns the rows changed."""
        started, changed = time.perf_counter(), 0
        rows = iter(rows)
        while batch := list(itertools.islice(rows, BATCH)):
            self._begin()
            changed += self.db.conn.executemany(sql, batch).rowcount
            self.written += len(batch)
            self.progress.advance(len(batch))
            self._commit(when_due=True)
        logger.info("%s: %d rows changed in %.1f s", sql.split(" (", 1)[0], changed, time.perf_counter() - started)
        return changed

    def run(self, write: Callable[[], T]) -> T:
        """Runs one small write (a few statements) inside the current chunk."""
        self._begin()
        try:
            return write()
        finally:
            self._commit(when_due=True)

    def finish(self) -> None:
        """Commits what is left."""
        self._commit(when_due=False)

    def abort(self) -> None:
        """Rolls back the open chunk, if any (the chunks before it stay committed)."""
        if self._began is not None:
            self.db.conn.execute("ROLLBACK")
            self._began = None

    def _begin(self) -> None:
        if self._began is not None:
            return
        if self.chunks:
            if self.chunks % CHECKPOINT_EVERY == 0:
                # Outside any transaction, so it blocks no writer; and the bot's own commits are not left to
                # checkpoint all the import wrote.
                self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            time.sleep(self.pause)  # a waiting writer's busy handler retries meanwhile and takes the lock
        self.db.conn.execute("BEGIN IMMEDIATE")
        self._began = time.perf_counter()

    def _commit(self, when_due: bool) -> None:
        if self._began is None or (when_due and time.perf_counter() - self._began < self.hold):
            return
        advance_run(self.db, self.run_id, self.written)
        self.db.conn.execute("COMMIT")
        self.longest_hold = max(self.longest_hold, time.perf_counter() - self._began)
        self._began = None
        self.committed = self.written
        self.chunks += 1


@contextlib.contextmanager
def import_connection(db: sqlite_utils.Database) -> Iterator[None]:
    """A bigger page cache and no per-row foreign-key lookups while the roster is written (they doubled the write
    time): the check has verified every reference against the file and the database, and rows are written parents
    first, so every committed chunk is consistent."""
    conn = db.conn
    saved = {name: conn.execute(f"PRAGMA {name}").fetchone()[0]
             for name in ("cache_size", "foreign_keys", "wal_autocheckpoint")}
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # not inside a COMMIT: ChunkedWriter checkpoints between chunks
    try:
        yield
    finally:
        for name, value in saved.items():
            conn.execute(f"PRAGMA {name} = {value}")


def write_roster(writer: ChunkedWriter, roster: CheckedRoster, now: datetime, prune_pairings: bool = False) -> None:
    """Writes every checked row through the writer, parents before children, and sets each sheet's count of updated
    rows; with prune_pairings, deletes the stored pairings of the file's parties that the file no longer lists.

    The progress counts are marked stale first, so the count triggers skip the import's rows one by one, and are
    recounted once in the import's last transaction (a reader meanwhile rebuilds them itself)."""
    counted = not writer.run(lambda: progress_stale(writer.db))
    writer.run(lambda: mark_progress_stale(writer.db))
    for sheet, sql, rows in ((UNITS, UNITS_SQL, roster.units), (CADRES, CADRES_SQL, roster.cadres),
                             (HOUSEHOLDS, HOUSEHOLDS_SQL, roster.households)):
        if sheet in roster.counts:
            _record(roster, sheet, writer.execute(sql, rows))
    if PAIRINGS in roster.counts:
        if _large_pairings(writer.db, roster):
            writer.run(lambda: drop_clock_day_index(writer.db))
        writer.run(lambda: _insert_targets(writer.db.conn, roster.pairings))
        _record(roster, PAIRINGS, writer.execute(PAIRINGS_SQL, _with_target_ids(writer.db.conn, roster.pairings,
                                                                                 iso(now))))
    if prune_pairings and roster.missing_pairings:
        writer.execute("DELETE FROM pairings WHERE pair_key = ?", [(key,) for key in roster.missing_pairings])
    changed = any(c.added or c.updated or c.removed for c in roster.counts.values())
    writer.run(lambda: rebuild_progress_counts(writer.db) if changed or not counted else mark_progress_fresh(writer.db))
    writer.run(lambda: ensure_clock_day_index(writer.db))  # also after an import that was cut off while without it
    writer.finish()


def restore_indexes(db: sqlite_utils.Database) -> None:
    """Makes again what a large import dropped, when it stops short (after its open chunk was rolled back)."""
    with transaction(db):
        ensure_clock_day_index(db)


def _large_pairings(db: sqlite_utils.Database, roster: CheckedRoster) -> bool:
    """Whether the pairings are many enough that building their clock-day index once beats keeping it row by row."""
    new = roster.counts[PAIRINGS].added
    return new >= LARGE_PAIRINGS and new >= db.execute("SELECT COUNT(*) FROM pairings").fetchone()[0]


def _record(roster: CheckedRoster, sheet: str, changed: int) -> None:
    counts = roster.counts[sheet]
    counts.updated = changed - counts.added


def _insert_targets(conn, pairings: list[tuple]) -> None:
    """Stores the named targets (villages, schools, …) of the pairings that are not stored yet."""
    wanted = {(row[1], row[5]) for row in pairings if row[5] is not None}
    conn.executemany("INSERT INTO targets (kind, name) VALUES (?, ?) ON CONFLICT (kind, name) DO NOTHING", sorted(wanted))


def _with_target_ids(conn, pairings: list[tuple], imported_at: str) -> Iterator[tuple]:
    """The pairings with each named target replaced by its id (stored by _insert_targets) and the import's time,
    lazily, batch by batch."""
    ids = {(kind, name): tid for tid, kind, name in conn.execute("SELECT id, kind, name FROM targets")}
    return (row[:5] + (None if row[5] is None else ids[(row[1], row[5])], row[6], row[7], imported_at)
            for row in pairings)
