"""import_roster: read and check every row, then write in short transactions (or, on a dry run, only check)."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from datetime import datetime, timezone
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from bot.roster.checking import CheckedRoster, Progress, check_roster
from bot.roster.layout import PAIRINGS
from bot.roster.reading import RosterSource, open_source
from bot.roster.report import ImportReport, RosterError, rejection
from bot.roster.runs import DONE, FAILED, begin_run, end_run, running_elsewhere, unfinished_notice
from bot.roster.writing import ChunkedWriter, import_connection, restore_indexes, write_roster

logger = logging.getLogger(__name__)

MAX_SHOWN_MISSING = 5


def import_roster(
    db: sqlite_utils.Database,
    path: str | Path,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    prune_pairings: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Imports the roster at path (an .xlsx or a folder of CSVs); raises RosterError, writing nothing, on any bad row.

    The file is read and checked whole before anything is written, outside any transaction; then it is written in
    short transactions (writing.ChunkedWriter) so the bot keeps writing meanwhile. An import cut off while writing
    stays marked unfinished in import_runs until the same file is imported again, which completes it.
    With prune_pairings, a party's stored pairings that the file's 结对 no longer lists are deleted (a correction).
    `now` (default: the real time) is when new pairings were first imported: their overdue clock without 结对日期."""
    path = Path(path)
    if not path.exists():
        raise RosterError(f"找不到 {path}。请检查路径。")
    with open_source(path) as source:
        if source.errors:
            raise rejection(source.errors)
        phases = 1 if dry_run else 2  # every row is counted once when checked and once when written
        counter = Progress(progress, phases * sum(sheet.estimated_rows for sheet in source.sheets.values()))
        report = ImportReport(source.label, dry_run, warnings=list(source.warnings))
        checked = _check(db, source, counter, report)  # reads only: the bot writes freely meanwhile
    if not dry_run:
        _write(db, path, checked, counter, report, prune_pairings, now or datetime.now(timezone.utc))
    _missing_pairings(checked, report, prune_pairings)
    if not dry_run and (notice := unfinished_notice(db)):
        report.warnings.append(notice)
    counter.finish()
    logger.info("roster %s %s: %d rows in %.1f s", path, "checked" if dry_run else "imported", report.rows,
                report.check_seconds + report.write_seconds)
    return report


def _write(db: sqlite_utils.Database, path: Path, checked: CheckedRoster, counter: Progress, report: ImportReport,
           prune_pairings: bool, now: datetime) -> None:
    """Writes the checked roster in chunks, recording the run; fills the report's write figures."""
    if (other := running_elsewhere(db)) is not None:
        raise RosterError(f"另一个导入正在写入数据库：{other.describe()}。请等它完成后再导入。")
    total = sum(len(rows) for rows in (checked.units, checked.cadres, checked.households, checked.pairings))
    counter.total = counter.done + total
    started = time.perf_counter()
    writer = None
    with _database_errors(path, lambda: writer), import_connection(db):
        writer = ChunkedWriter(db, begin_run(db, str(path.resolve()), total), counter)
        try:
            write_roster(writer, checked, now, prune_pairings)
        except BaseException as exc:
            writer.abort()
            with contextlib.suppress(sqlite3.Error):
                restore_indexes(db)
            with contextlib.suppress(sqlite3.Error):
                end_run(db, writer.run_id, FAILED, repr(exc))
            raise
        end_run(db, writer.run_id, DONE)
    report.write_seconds = time.perf_counter() - started
    report.longest_lock_seconds, report.chunks = writer.longest_hold, writer.chunks


def _check(db: sqlite_utils.Database, source: RosterSource, counter: Progress, report: ImportReport) -> CheckedRoster:
    """Checks every row into the report's counts; raises RosterError listing every problem found."""
    started = time.perf_counter()
    checked = check_roster(db, source, counter)
    if checked.errors:
        logger.info("roster %s refused: %d problems", source.label, len(checked.errors))
        raise rejection(checked.errors)
    report.counts = checked.counts
    report.warnings += checked.warnings
    report.check_seconds = time.perf_counter() - started
    return checked


def _missing_pairings(checked: CheckedRoster, report: ImportReport, pruned: bool) -> None:
    """Counts the pairings pruned, or warns that they stay: a clerk who corrected a pairing must not think it gone."""
    missing = checked.missing_pairings
    if pruned and missing:
        report.counts[PAIRINGS].removed = len(missing)
    elif missing:
        shown = "；".join(key.replace("|", " ", 1).replace("|", " → ") for key in missing[:MAX_SHOWN_MISSING])
        more = f" 等 {len(missing)} 条" if len(missing) > MAX_SHOWN_MISSING else ""
        report.warnings.append(f"数据库中还有本文件联系方的结对不在“结对”表里，仍然保留：{shown}{more}。"
                               "如果它们已经取消或改给了别人，请加 --prune-pairings 重新导入，就会删除。")


@contextlib.contextmanager
def _database_errors(path: Path, writer: Callable[[], ChunkedWriter | None]) -> Iterator[None]:
    """Turns SQLite's errors while importing into a RosterError that says how much, if anything, was written."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        done = writer()
        busy = isinstance(exc, sqlite3.OperationalError)
        (logger.warning if busy else logger.error)("roster %s not written: %s", path, exc)
        if done is not None and done.committed:
            raise RosterError(f"写入数据库时中断（{exc}）：已写入 {done.committed:,} 行，还没有写完。"
                              "请排除问题后重新导入同一文件，会补全其余各行（已写入的不会重复）。") from None
        if busy:
            raise RosterError("数据库正忙或无法写入，没有导入任何数据。请稍后再试。") from None
        raise RosterError(f"写入数据库时出错，已全部撤销，没有导入任何数据：{exc}") from None
