"""The report workbook an administrator asks for in chat ("导出"), written by one function so that whatever
writes the workbook (bot/progress_report.py today) can change behind it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.db import open_db
from bot.progress_report import write_report


def export_path(settings: Settings, root_unit: str | None, now: datetime) -> Path:
    """Where the workbook of a scope goes: exports/ beside the database, named by scope and moment."""
    return Path(settings.database.path).parent / "exports" / f"走访进度-{root_unit or '全州'}-{now:%Y%m%d-%H%M%S}.xlsx"


def export_report(settings: Settings, root_unit: str | None, now: datetime, campaign_start: datetime) -> Path:
    """Writes the report workbook of root_unit's subtree (everything when None) on its own connection, so it can run
    in a worker thread while the bot answers others; returns the file."""
    path = export_path(settings, root_unit, now)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = open_db(settings.database.path)
    try:
        write_report(db, path, root_unit=root_unit, now=now, interval_days=settings.reminders.visit_interval_days,
                     tz=ZoneInfo(settings.timezone), since=campaign_start)
    finally:
        db.close()
    return path
