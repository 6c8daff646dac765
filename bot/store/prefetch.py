"""A long query run ahead of its reading: on a connection of its own, in a thread.

SQLite runs a statement's step without holding Python's interpreter lock, and the first step of a sorted query reads
and sorts all its rows: so a province's visits are read and sorted on the second core while the caller writes the
sheets before them, and the caller then reads the sorted rows, one step each. The count and the sample come first (the
caller names and sizes its sheets by them), in the same read transaction as the rows, so all three agree. A database
only in memory has no second connection: there the query runs on the caller's, at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator

import sqlite_utils

from bot.db import READ_MAP_BYTES, open_migrated
from bot.store.report_rows import Query


class Prefetched:
    """A Query run ahead (start it early, read it late); close() always, which stops it if it still runs."""

    def __init__(self, db: sqlite_utils.Database, query: Query, after: Prefetched | None = None):
        """Starts the query; its long first step waits until `after` has taken its own (one at a time: the caller's
        work has the other core)."""
        self._query, self._after = query, after
        self._error: BaseException | None = None
        self._uncounted = False
        self._cursor: sqlite3.Cursor | None = None
        self._counted, self._done, self._stopped = threading.Event(), threading.Event(), threading.Event()
        self.count = 0
        self.sample: list[tuple] = []
        path = database_file(db)
        self._own = path is not None
        self._conn = open_migrated(path).conn if self._own else db.conn
        if self._own:
            self._conn.execute(f"PRAGMA mmap_size = {READ_MAP_BYTES}")
            self._conn.execute("BEGIN")  # the count, the sample and the rows read one state of the database
            self._thread = threading.Thread(target=self._run, name="report-prefetch", daemon=True)
            self._thread.start()
        else:
            self._run()

    def _run(self) -> None:
        query, conn = self._query, self._conn
        try:
            self.count = conn.execute(query.count, query.params).fetchone()[0]
            self.sample = conn.execute(query.sample, query.params).fetchall()
            self._counted.set()
            if self._after is not None:
                self._after._done.wait()
            if not self._stopped.is_set():
                self._cursor = conn.execute(query.rows, query.params)
        except BaseException as exc:  # handed to the reader, in its thread
            self._error, self._uncounted = exc, not self._counted.is_set()
        finally:
            self._counted.set()
            self._done.set()

    def counted(self) -> Prefetched:
        """Waits for the count and the sample (a moment); raises what counting raised."""
        self._counted.wait()
        if self._uncounted:
            raise self._error
        return self

    def rows(self) -> Iterator[tuple]:
        """All the rows in the query's order, once its first step is done."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        if self._cursor is not None:
            yield from self._cursor

    def close(self) -> None:
        """Stops the query if it still runs and lets its rows go."""
        self._stopped.set()
        if self._own and not self._done.is_set():
            self._conn.interrupt()
        if self._own:
            self._thread.join()
            self._conn.close()
        elif self._cursor is not None:
            self._cursor.close()


def database_file(db: sqlite_utils.Database) -> str | None:
    """The file of the database's main schema; None for a database only in memory."""
    try:
        row = next(r for r in db.conn.execute("PRAGMA database_list") if r[1] == "main")
    except (StopIteration, sqlite3.Error):
        return None
    return row[2] or None
