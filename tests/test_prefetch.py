"""Queries run ahead (bot/store/prefetch.py) on a real SQLite file: count, sample and rows agree, the rows come in
the query's order, an error reaches the reader, and close() stops a query still running; in memory they run at once."""

from __future__ import annotations

import sqlite3
import time

import pytest

from bot.db import open_db
from bot.store.prefetch import Prefetched, database_file
from bot.store.report_rows import Query

NUMBERS = Query(count="SELECT COUNT(*) FROM numbers WHERE n % 2 = 0",
                sample="SELECT n, label FROM numbers WHERE n % 2 = 0 LIMIT 3",
                rows="WITH x AS MATERIALIZED (SELECT n, label FROM numbers WHERE n % 2 = 0) "
                     "SELECT n, label FROM x ORDER BY label DESC, n", params={})


def numbered(db, count=200):
    db.execute("CREATE TABLE numbers (n INTEGER PRIMARY KEY, label TEXT)")
    db.conn.executemany("INSERT INTO numbers VALUES (?, ?)", [(n, f"L{n % 7}") for n in range(count)])
    return db


@pytest.fixture
def db(tmp_path):
    db = numbered(open_db(tmp_path / "bot.db"))
    yield db
    db.close()


def expected(db) -> list[tuple]:
    return db.execute(NUMBERS.rows).fetchall()


def test_rows_come_sorted_on_a_connection_of_their_own_and_agree_with_the_count(db):
    ahead = Prefetched(db, NUMBERS)
    try:
        assert ahead.counted().count == 100 and len(ahead.sample) == 3
        assert set(ahead.sample) <= set(expected(db))
        rows = list(ahead.rows())
        assert rows == expected(db) and rows[0] == (6, "L6") and len(rows) == ahead.count
    finally:
        ahead.close()
    assert ahead._own and ahead._conn is not db.conn


def test_what_the_query_reads_is_the_database_as_it_was_when_it_started(db):
    ahead = Prefetched(db, NUMBERS).counted()
    db.execute("DELETE FROM numbers WHERE n < 100")  # another writer, after the count
    try:
        assert len(list(ahead.rows())) == ahead.count == 100
    finally:
        ahead.close()


def test_a_query_waits_for_the_one_before_and_an_error_reaches_the_reader(db):
    first = Prefetched(db, NUMBERS)
    broken = Prefetched(db, Query(NUMBERS.count, NUMBERS.sample, "SELECT nothing FROM numbers", {}), after=first)
    try:
        broken.counted()  # the count and the sample were fine
        assert list(first.rows()) == expected(db)
        with pytest.raises(sqlite3.OperationalError, match="nothing"):
            list(broken.rows())
    finally:
        first.close()
        broken.close()
    uncountable = Prefetched(db, Query("SELECT COUNT(*) FROM no_such_table", NUMBERS.sample, NUMBERS.rows, {}))
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        uncountable.counted()
    uncountable.close()


def test_close_stops_a_query_still_running(tmp_path):
    db = open_db(tmp_path / "slow.db")
    endless = "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT i FROM r ORDER BY i DESC"
    ahead = Prefetched(db, Query("SELECT 1", "SELECT 1", endless, {}))
    ahead.counted()
    time.sleep(0.2)
    started = time.perf_counter()
    ahead.close()
    assert time.perf_counter() - started < 5 and not ahead._thread.is_alive()
    db.close()


def test_in_memory_the_query_runs_at_once_on_the_callers_connection():
    db = numbered(open_db(":memory:"))
    assert database_file(db) is None
    ahead = Prefetched(db, NUMBERS)
    assert not ahead._own and ahead.count == 100
    assert list(ahead.rows()) == expected(db)
    ahead.close()
