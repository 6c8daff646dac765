"""操作记录 (office only): every change made in the console, newest first, page by page."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from bot.console.audit import AUDIT_PAGE_SQL
from bot.console.pagination import PAGE_SIZE, decode_cursor, keyset_page
from bot.console.serving import PageRequest


def audit_log(req: PageRequest) -> Response:
    """Who did what, when, on what."""
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("at", "id"))
    rows = req.db.execute(AUDIT_PAGE_SQL, {**after, "limit": PAGE_SIZE + 1}).fetchall()
    page = keyset_page(rows, PAGE_SIZE, lambda r: (r[1], r[0]), cursor)
    entries = [(datetime.fromisoformat(r[1]), *r[2:]) for r in page.rows]
    return req.render("audit.html", page=page, entries=entries)
