"""A roster import shares the database with the bot: the file is read and checked without the write lock, rows are
written in short transactions another writer gets between, and an import killed midway is named as unfinished and
completed by importing the same file again."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.db import open_db
from bot.roster import import_roster, unfinished_notice
from bot.roster.runs import unfinished_runs
from tests.test_roster_import import BASE, TABLES, dump, roster, write_folder
from tests.test_roster_import import db  # noqa: F401  (the fixture: a fresh SQLite file)

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS = [[f"H{i:04d}", f"户主{i}", "", "", "测试村", "", "", ""] for i in range(100, 1300)]


def impatient_writer(path: Path) -> sqlite3.Connection:
    """Another connection to the database that never waits for the write lock (busy timeout 0)."""
    conn = sqlite3.connect(path, timeout=0, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS bot_notes (at TEXT)")
    return conn


def test_the_file_is_read_and_checked_without_the_write_lock(db, tmp_path):
    other = impatient_writer(tmp_path / "roster.db")
    writes = []

    def during_check(done, total):
        if done <= total // 2 and not writes:  # the first half of the progress is the check
            other.execute("INSERT INTO bot_notes VALUES ('during the check')")  # raises if the lock is held
            writes.append(done)

    import_roster(db, write_folder(tmp_path / "r", roster(农户=HOUSEHOLDS)), progress=during_check)
    assert writes and other.execute("SELECT count(*) FROM bot_notes").fetchone()[0] == 1


def test_another_writer_gets_the_lock_between_chunks(db, tmp_path, monkeypatch):
    monkeypatch.setattr("bot.roster.writing.BATCH", 100)
    monkeypatch.setattr("bot.roster.writing.HOLD_SECONDS", 0.0)
    monkeypatch.setattr("bot.roster.writing.PAUSE_SECONDS", 0.0)
    other = impatient_writer(tmp_path / "roster.db")
    got_in = []

    def before_each_statement(sql):
        if sql == "BEGIN IMMEDIATE":  # the import is between two chunks: nothing of it holds the lock now
            other.execute("INSERT INTO bot_notes VALUES ('between chunks')")
            got_in.append(sql)

    db.conn.set_trace_callback(before_each_statement)
    report = import_roster(db, write_folder(tmp_path / "r", roster(农户=HOUSEHOLDS)))
    db.conn.set_trace_callback(None)
    assert report.chunks >= 12 and len(got_in) == report.chunks
    assert other.execute("SELECT count(*) FROM bot_notes").fetchone()[0] == len(got_in)
    assert db.execute("SELECT count(*) FROM households").fetchone()[0] == 2 + len(HOUSEHOLDS)
    assert db.execute("SELECT status, rows_written FROM import_runs").fetchall() == [("done", report.rows)]


KILLED_IMPORT = """
import sys
import bot.roster.writing as writing
from bot.db import open_db
from bot.roster import import_roster

writing.BATCH, writing.HOLD_SECONDS, writing.PAUSE_SECONDS = 50, 0.0, 0.05
db = open_db(sys.argv[1])

def report(done, total):
    print("PROGRESS", done, total, flush=True)

import_roster(db, sys.argv[2], progress=report)
print("FINISHED", flush=True)
"""


def test_an_import_killed_midway_is_named_unfinished_and_completed_by_running_it_again(tmp_path):
    folder = write_folder(tmp_path / "r", roster(农户=HOUSEHOLDS))
    db_path = tmp_path / "bot.db"
    open_db(db_path).close()
    child = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(db_path), str(folder)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    total_rows = sum(len(rows) - 1 for rows in roster(农户=HOUSEHOLDS).values())
    for line in child.stdout:
        _, done, total = line.split()
        if int(done) >= int(total) - total_rows + 600:  # some 600 rows of the writing phase gone through
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)

    db = open_db(db_path)
    [run] = unfinished_runs(db)
    assert run.status == "writing" and 0 < run.rows_written < total_rows
    assert 0 < db.execute("SELECT count(*) FROM households").fetchone()[0] < 2 + len(HOUSEHOLDS)
    assert "上次的导入没有写完" in unfinished_notice(db) and "这不是一次完成的导入" in unfinished_notice(db)

    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{db_path.as_posix()}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(folder), "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "上次的导入没有写完" in result.output and "导入完成" in result.output
    assert unfinished_runs(db) == [] and unfinished_notice(db) is None
    assert [r[0] for r in db.execute("SELECT status FROM import_runs ORDER BY id")] == ["completed", "done"]
    clean = open_db(tmp_path / "clean.db")
    import_roster(clean, folder)
    assert dump(db) == dump(clean)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_a_failure_after_some_chunks_says_how_far_it_got_and_the_run_stays_unfinished(db, tmp_path, monkeypatch):
    monkeypatch.setattr("bot.roster.writing.BATCH", 100)
    monkeypatch.setattr("bot.roster.writing.HOLD_SECONDS", 0.0)
    monkeypatch.setattr("bot.roster.writing.PAUSE_SECONDS", 0.0)
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON pairings BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    folder = write_folder(tmp_path / "r", roster(农户=HOUSEHOLDS))
    with pytest.raises(Exception, match="已写入 [0-9,]+ 行，还没有写完") as caught:
        import_roster(db, folder)
    assert "重新导入同一文件" in str(caught.value)
    [run] = unfinished_runs(db)
    assert run.status == "failed" and dump(db)["pairings"] == []
    db.execute("DROP TRIGGER refuse")
    import_roster(db, folder)
    assert unfinished_runs(db) == [] and len(dump(db)["pairings"]) == len(BASE["结对"]) - 1
    assert all(dump(db)[t] for t in TABLES)
