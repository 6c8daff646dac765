"""Writing a checked roster in one transaction: upserts keyed by the 编号 columns that leave equal rows untouched."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable, Iterator, Sequence

import sqlite_utils

from bot.db import transaction
from bot.roster.checking import CheckedRoster, Progress
from bot.roster.layout import CADRES, HOUSEHOLDS, PAIRINGS, UNITS

logger = logging.getLogger(__name__)

CHUNK = 50_000  # rows per executemany: progress is reported after each
IMPORT_CACHE_KIB = 256 * 1024  # a bigger page cache while the import's transaction is open


def _upsert_sql(table: str, columns: Sequence[str], key: str) -> str:
    """INSERT … ON CONFLICT DO UPDATE, skipping the update when nothing differs (so an equal row is not counted)."""
    rest = [c for c in columns if c != key]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in rest)} "
        f"WHERE ({', '.join(f'{table}.{c}' for c in rest)}) IS NOT ({', '.join(f'excluded.{c}' for c in rest)})"
    )


UNITS_SQL = _upsert_sql("units", ("id", "name", "parent_id", "kind"), "id")
CADRES_SQL = _upsert_sql("cadres", ("id", "name", "phone", "unit_id", "title", "role"), "id")
HOUSEHOLDS_SQL = _upsert_sql(
    "households", ("id", "head_name", "county", "township", "village", "members", "phone", "notes"), "id"
)
PAIRINGS_SQL = _upsert_sql(
    "pairings", ("pair_key", "kind", "cadre_id", "unit_id", "household_id", "target_id", "notes"), "pair_key"
)


@contextlib.contextmanager
def bulk_write(db: sqlite_utils.Database) -> Iterator[None]:
    """One IMMEDIATE transaction for checking and then writing a roster, with a bigger page cache and without
    SQLite's per-row foreign-key lookups (they doubled the write time): the check, run inside this same
    transaction, has verified every reference against the file and the database already."""
    conn = db.conn
    cache = conn.execute("PRAGMA cache_size").fetchone()[0]
    foreign_keys = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op if a caller's transaction is already open
    try:
        with transaction(db):
            yield
    finally:
        conn.execute(f"PRAGMA foreign_keys = {foreign_keys}")
        conn.execute(f"PRAGMA cache_size = {cache}")


def write_roster(db: sqlite_utils.Database, roster: CheckedRoster, progress: Progress,
                 prune_pairings: bool = False) -> None:
    """Writes every checked row, all or nothing, and sets each sheet's count of updated rows; with prune_pairings,
    deletes the stored pairings of the file's parties that the file no longer lists."""
    conn = db.conn
    with transaction(db):  # within bulk_write's, normally
        for sheet, sql, rows in ((UNITS, UNITS_SQL, roster.units), (CADRES, CADRES_SQL, roster.cadres),
                                 (HOUSEHOLDS, HOUSEHOLDS_SQL, roster.households)):
            if sheet in roster.counts:
                _record(roster, sheet, _execute(conn, sql, rows, progress))
        if PAIRINGS in roster.counts:
            _record(roster, PAIRINGS, _execute(conn, PAIRINGS_SQL, _with_target_ids(conn, roster.pairings), progress))
        if prune_pairings and roster.missing_pairings:
            conn.executemany("DELETE FROM pairings WHERE pair_key = ?", [(key,) for key in roster.missing_pairings])


def _record(roster: CheckedRoster, sheet: str, changed: int) -> None:
    counts = roster.counts[sheet]
    counts.updated = changed - counts.added


def _execute(conn, sql: str, rows: Iterable[tuple], progress: Progress) -> int:
    """Runs sql for every row in chunks (reporting progress after each); returns the rows changed."""
    started = time.perf_counter()
    changed, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            changed += conn.executemany(sql, chunk).rowcount
            progress.advance(len(chunk))
            chunk = []
    if chunk:
        changed += conn.executemany(sql, chunk).rowcount
        progress.advance(len(chunk))
    logger.info("%s: %d rows changed in %.1f s", sql.split(" (", 1)[0], changed, time.perf_counter() - started)
    return changed


def _with_target_ids(conn, pairings: list[tuple]) -> Iterable[tuple]:
    """The pairings with each named target (village, school, …) replaced by its id, creating targets not yet stored."""
    wanted = {(row[1], row[5]) for row in pairings if row[5] is not None}
    if not wanted:
        return pairings
    conn.executemany("INSERT INTO targets (kind, name) VALUES (?, ?) ON CONFLICT (kind, name) DO NOTHING", sorted(wanted))
    ids = {(kind, name): tid for tid, kind, name in conn.execute("SELECT id, kind, name FROM targets")}
    return (row[:5] + (None if row[5] is None else ids[(row[1], row[5])], row[6]) for row in pairings)
