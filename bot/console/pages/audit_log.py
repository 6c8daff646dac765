"""操作记录 (office only): every change made in the console, newest first, page by page."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from bot.console.pagination import PAGE_SIZE, decode_cursor, keyset_page
from bot.console.serving import PageRequest
from bot.store.console import audit_page


def audit_log(req: PageRequest) -> Response:
    """Who did what, when, on what."""
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("at", "id"))
    rows = audit_page(req.db, after["after_at"], after["after_id"], PAGE_SIZE + 1)
    page = keyset_page(rows, PAGE_SIZE, lambda r: (r.at, r.id), cursor)
    entries = [(datetime.fromisoformat(r.at), r.cadre_id, r.cadre_name, r.action, r.target, r.detail)
               for r in page.rows]
    return req.render("audit.html", page=page, entries=entries)
