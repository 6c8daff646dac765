"""操作记录: every change made in the console (who, when, what, on what), written with the change itself."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlite_utils

from bot.console.auth import Admin

logger = logging.getLogger(__name__)

# Actions as the 操作记录 page shows them; a new console feature adds its own here.
LOGIN = "登录后台"
LOGOUT = "退出后台"
ROSTER_IMPORT = "导入花名册"
REPORT_EXPORT = "导出报表"


def record_action(db: sqlite_utils.Database, admin: Admin, action: str, target: str, now: datetime,
                  detail: str = "") -> None:
    """Records one console change; call it inside the change's own transaction so neither is kept without the other."""
    db.execute("INSERT INTO console_audit (at, cadre_id, cadre_name, action, target, detail) VALUES (?, ?, ?, ?, ?, ?)",
               (now.isoformat(), admin.cadre_id, admin.name, action, target, detail))
    logger.info("console: cadre %s %s %s", admin.cadre_id, action, target)


AUDIT_PAGE_SQL = """
SELECT id, at, cadre_id, cadre_name, action, target, detail FROM console_audit
WHERE (:after_at IS NULL OR (at, id) < (:after_at, :after_id))
ORDER BY at DESC, id DESC LIMIT :limit
"""
