"""Sending a notice, the library behind "通知 TEXT" in chat and `campaign-bot notify`: a draft that says how many it
will reach, then confirmed (receipts written; the dispatcher's planning sends it) or cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.db import transaction
from bot.errors import UserError
from bot.store.cadres import office_admin_ids
from bot.store.notices import count_recipients
from bot.store.scopes import Scope, narrowed, scope_of
from bot.store.supervision import MAX_NOTICE_CHARS, create_notice


@dataclass(frozen=True)
class Draft:
    """A notice written but not sent: whom it would reach."""

    notice_id: int
    recipients: int
    bound: int  # of them, with a chat the bot can write to


def draft_notice(db: sqlite_utils.Database, scope: Scope, text: str, urgent: bool, now: datetime) -> Draft:
    """Writes a draft notice of the scope's administrator; raises UserError (in Chinese) for an empty or oversized
    text or a scope with nobody to reach, before anything is written."""
    text = text.strip()
    if not text:
        raise UserError("通知内容是空的。请在“通知”后面写上内容，例如：通知 周五前上报走访情况。")
    if len(text) > MAX_NOTICE_CHARS:
        raise UserError(f"通知太长（{len(text)} 字），最多 {MAX_NOTICE_CHARS} 字。请删减后重新发送。")
    recipients, bound = count_recipients(db, scope)
    if recipients == 0:
        raise UserError("您管理的单位里没有其他干部，通知发不出去。")
    with transaction(db):
        notice_id = create_notice(db, scope, text, urgent, now)
    return Draft(notice_id, recipients, bound)


def sender_scope(db: sqlite_utils.Database, unit_id: str | None, sender_id: str | None) -> Scope:
    """The scope of a notice sent from the command line: the unit and everything below it (everything when None), in
    the name of sender_id (by default the first 活动办管理员), who must oversee that unit."""
    if sender_id is None:
        offices = office_admin_ids(db)
        if not offices:
            raise UserError("花名册里没有活动办管理员：请用 --from 指定一名管理员的干部编号。", exit_code=2)
        sender_id = offices[0]
    scope = scope_of(db, sender_id)
    if scope is None:
        raise UserError(f"“{sender_id}”不是单位管理员或活动办管理员，不能发通知。", exit_code=2)
    if unit_id is None:
        if not scope.everything:
            raise UserError("发给全州的通知要以活动办管理员的名义发送；单位管理员请用 --unit 指定本单位。", exit_code=2)
        return scope
    narrow = narrowed(db, scope, unit_id)
    if narrow is None:
        raise UserError(f"找不到单位编号“{unit_id}”，或它不在 {sender_id} 管理的范围内。", exit_code=2)
    return narrow
