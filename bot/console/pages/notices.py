"""通知: compose a notice to the scope (how many it will reach shown before it is sent), send it (a notice and its
receipts, in the shape the chat's dispatcher plans from), and the receipts of every notice by unit and by cadre."""

from __future__ import annotations

import logging

from starlette.responses import RedirectResponse, Response

from bot.console import audit
from bot.console.errors import no_such_page, not_found
from bot.console.pagination import PAGE_SIZE, decode_cursor, keyset_page
from bot.console.serving import PageRequest
from bot.db import transaction
from bot.store.notice_board import (RECEIPT_STATUSES, draft_of, notice_for, notices_for, receipts, receipts_by_unit,
                                    recipients_count)
from bot.store.supervision import MAX_NOTICE_CHARS, confirm_notice, create_notice

logger = logging.getLogger(__name__)

NOTICES_SHOWN = 20
STATUS_NAMES = {"pending": "待发送", "delivered": "未读", "read": "已读", "undeliverable": "无法送达"}


def notices(req: PageRequest) -> Response:
    """The compose form and the notices that concern the scope, newest first."""
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("id",))
    rows = notices_for(req.db, req.admin.scope, after["after_id"], NOTICES_SHOWN + 1)
    page = keyset_page(rows, NOTICES_SHOWN, lambda r: (r.notice_id,), cursor)
    return req.render("notices.html", page=page, stage="compose", max_chars=MAX_NOTICE_CHARS,
                      status_names=STATUS_NAMES, text="", urgent=False)


def notice_preview(req: PageRequest) -> Response:
    """Keeps the text as a draft and says how many it will reach; nothing is sent until 确认发送."""
    text, urgent = req.form.get("text", ""), req.form.get("urgent") == "1"
    try:
        notice_id = create_notice(req.db, req.admin.scope, text if isinstance(text, str) else "", urgent, req.now)
    except ValueError as exc:
        logger.warning("console notice refused (admin %s): %s", req.admin.cadre_id, exc)
        return req.render("notices.html", 422, page=None, stage="compose", max_chars=MAX_NOTICE_CHARS,
                          status_names=STATUS_NAMES, error=f"{exc}，没有发送。", text=text, urgent=urgent)
    return req.render("notices.html", page=None, stage="confirm", notice_id=notice_id, text=text.strip(),
                      urgent=urgent, reach=recipients_count(req.db, req.admin.scope), max_chars=MAX_NOTICE_CHARS,
                      status_names=STATUS_NAMES)


def notice_send(req: PageRequest) -> Response:
    """Confirms this administrator's draft: its receipts are written once (a second click adds nobody)."""
    notice_id = _notice_id(req)
    draft = draft_of(req.db, req.admin.cadre_id, notice_id)
    if draft is None:
        raise not_found(f"notice {notice_id} is not a draft of {req.admin.cadre_id}")
    if draft[2] == "draft":
        with transaction(req.db):
            reached = confirm_notice(req.db, notice_id, req.now)
            audit.record_action(req.db, req.admin, audit.NOTICE_SEND, draft[0][:40], req.now,
                                f"发给 {reached} 人{'（紧急）' if draft[1] else ''}")
    return RedirectResponse(f"{req.console.base}/notices/{notice_id}", status_code=303)


def notice_page(req: PageRequest) -> Response:
    """One notice: its text, its receipts within the scope by unit, and cadre by cadre (50 a page, by status)."""
    notice_id = _notice_id(req)
    notice = notice_for(req.db, req.admin.scope, notice_id)
    if notice is None or notice.status == "draft" and notice.sender_id != req.admin.cadre_id:
        raise not_found(f"notice {notice_id} outside the scope of {req.admin.cadre_id} or unknown")
    status = req.request.query_params.get("status") or None
    if status is not None and status not in RECEIPT_STATUSES:
        raise no_such_page(f"unknown receipt status {status!r}")
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("cadre",))
    rows = receipts(req.db, req.admin.scope, notice_id, status, after["after_cadre"], PAGE_SIZE + 1)
    page = keyset_page(rows, PAGE_SIZE, lambda r: (r.cadre_id,), cursor)
    return req.render("notice.html", notice=notice, by_unit=receipts_by_unit(req.db, req.admin.scope, notice_id),
                      page=page, chosen=status, status_names=STATUS_NAMES, statuses=RECEIPT_STATUSES)


def _notice_id(req: PageRequest) -> int:
    text = req.request.path_params["notice_id"]
    if not text.isdigit() or len(text) > 18:
        raise not_found(f"notice {text!r} is no notice id")
    return int(text)
