"""操作记录: every change made in the console (who, when, what, on what), written with the change itself."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlite_utils

from bot.console.auth import Admin
from bot.store.console import insert_audit

logger = logging.getLogger(__name__)

# Actions as the 操作记录 page shows them; a new console feature adds its own here.
LOGIN = "登录后台"
LOGOUT = "退出后台"
ROSTER_IMPORT = "导入花名册"
REPORT_EXPORT = "导出报表"
VISIT_REVIEW = "审核走访"
NOTICE_SEND = "发送通知"


def record_action(db: sqlite_utils.Database, admin: Admin, action: str, target: str, now: datetime,
                  detail: str = "") -> None:
    """Records one console change; call it inside the change's own transaction so neither is kept without the other."""
    insert_audit(db, now, admin.cadre_id, admin.name, action, target, detail)
    logger.info("console: cadre %s %s %s", admin.cadre_id, action, target)

