"""The report workbook an administrator asks for in chat ("导出"): the office's workbook (bot/scope_report.py) for
the administrator's scope, written on a connection of its own so it can run in a worker thread."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.db import open_db
from bot.scope_report import write_scope_report
from bot.store.overdue import rule_of
from bot.store.report_rows import Period
from bot.store.scopes import Scope


def export_path(settings: Settings, root_unit: str | None, now: datetime) -> Path:
    """Where the workbook of a scope goes: exports/ beside the database, named by scope and moment."""
    return Path(settings.database.path).parent / "exports" / f"走访进度-{root_unit or '全州'}-{now:%Y%m%d-%H%M%S}.xlsx"


def export_report(app, scope: Scope, label: str, now: datetime) -> Path:
    """Writes the workbook of the scope up to now on its own connection (safe in a worker thread); returns the file."""
    path = export_path(app.settings, scope.root_unit, now)
    db = open_db(app.settings.database.path)
    try:
        write_scope_report(db, path, scope, now, Period(), rule=rule_of(app), campaign=app.campaign, label=label,
                           tz=app.tz)
    finally:
        db.close()
    return path
