"""The import_runs table: each import's writing phase, marked in progress until its last row is committed.

An import writes in short transactions so the bot can write between them. An import cut off midway (kill -9, a
full disk) therefore leaves some rows written; its run stays 'writing' (or 'failed'), which `campaign-bot import`
reports, and importing the same file again writes the rest (every write is an upsert keyed by 编号)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlite_utils

WRITING, DONE, FAILED, COMPLETED_LATER = "writing", "done", "failed", "completed"
ALIVE_WITHIN = timedelta(seconds=60)  # a run committing chunks updates its row every fraction of a second


@dataclass(frozen=True)
class ImportRun:
    """One import's writing phase as recorded."""

    id: int
    source: str
    started_at: datetime
    updated_at: datetime
    status: str
    rows_written: int
    rows_total: int
    host: str | None = None
    pid: int | None = None

    def may_be_running(self) -> bool:
        """Whether the process that writes this run may still be at it: alive on this machine, or, from another
        machine, heard from lately."""
        if self.status != WRITING or _utc_now() - self.updated_at > ALIVE_WITHIN:
            return False
        if self.host != socket.gethostname() or self.pid is None:
            return True
        if self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False  # killed or crashed: the run is cut off, not running
        except PermissionError:
            pass
        return True

    def describe(self) -> str:
        """A Chinese line for the clerk: which file, when, how far it got."""
        started = self.started_at.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
        return f"{self.source}（{started} 开始，写入了 {self.rows_written:,}/{self.rows_total:,} 行）"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def begin_run(db: sqlite_utils.Database, source: str, rows_total: int) -> int:
    """Records that writing starts (committed at once); returns the run's id."""
    now = _utc_now().isoformat()
    return db.execute("INSERT INTO import_runs (source, started_at, updated_at, status, rows_written, rows_total, host, "
                      "pid) VALUES (?, ?, ?, ?, 0, ?, ?, ?)",
                      (source, now, now, WRITING, rows_total, socket.gethostname(), os.getpid())).lastrowid


def advance_run(db: sqlite_utils.Database, run_id: int, rows_written: int) -> None:
    """Records progress; called inside each chunk's transaction, so the count is exactly what is committed."""
    db.execute("UPDATE import_runs SET rows_written = ?, updated_at = ? WHERE id = ?",
               (rows_written, _utc_now().isoformat(), run_id))


def end_run(db: sqlite_utils.Database, run_id: int, status: str, error: str | None = None) -> None:
    """Marks the run done or failed; a run done completes the earlier unfinished runs of the same source."""
    now = _utc_now().isoformat()
    db.execute("UPDATE import_runs SET status = ?, updated_at = ?, finished_at = ?, error = ? WHERE id = ?",
               (status, now, now, error, run_id))
    if status == DONE:
        db.execute("UPDATE import_runs SET status = ?, completed_by = ? WHERE status IN (?, ?) AND source = "
                   "(SELECT source FROM import_runs WHERE id = ?) AND id < ?",
                   (COMPLETED_LATER, run_id, WRITING, FAILED, run_id, run_id))


def unfinished_runs(db: sqlite_utils.Database) -> list[ImportRun]:
    """Runs that began writing and never finished: cut off (still 'writing') or failed midway."""
    rows = db.execute("SELECT id, source, started_at, updated_at, status, rows_written, rows_total, host, pid "
                      "FROM import_runs WHERE status IN (?, ?) AND rows_written > 0 ORDER BY id",
                      (WRITING, FAILED)).fetchall()
    return [ImportRun(r[0], r[1], datetime.fromisoformat(r[2]), datetime.fromisoformat(r[3]), *r[4:]) for r in rows]


def running_elsewhere(db: sqlite_utils.Database) -> ImportRun | None:
    """A run still committing chunks (another import at work now), if any."""
    return next((run for run in unfinished_runs(db) if run.may_be_running()), None)


def unfinished_notice(db: sqlite_utils.Database) -> str | None:
    """What `campaign-bot import` says before importing when an earlier import was cut off; None when none was."""
    runs = [run for run in unfinished_runs(db) if not run.may_be_running()]
    if not runs:
        return None
    listed = "；".join(run.describe() for run in runs)
    return (f"注意：上次的导入没有写完：{listed}。数据库里只有其中一部分，这不是一次完成的导入。"
            "重新导入同一文件即可补全（已写入的行不会重复）。")
