"""提醒: the scope's reminders by status (planned, sent, failed, undeliverable…) with the reasons, page by page."""

from __future__ import annotations

from starlette.responses import Response

from bot.console.errors import no_such_page
from bot.console.pagination import PAGE_SIZE, decode_cursor, keyset_page
from bot.console.serving import PageRequest
from bot.store.console_views import deliveries, delivery_counts
from bot.store.deliveries import STATUSES


def reminders(req: PageRequest) -> Response:
    """Counts by status, then the reminders themselves, newest due first, filtered by ?status=."""
    query = req.request.query_params
    status = query.get("status") or None
    if status is not None and status not in STATUSES:
        raise no_such_page(f"unknown reminder status {status!r}")
    cursor = query.get("after")
    after = decode_cursor(cursor, ("due", "id"))
    rows = deliveries(req.db, req.admin.scope, status, after, PAGE_SIZE + 1)
    page = keyset_page(rows, PAGE_SIZE, lambda r: (r.due_key, r.delivery_id), cursor)
    return req.render("reminders.html", counts=delivery_counts(req.db, req.admin.scope), chosen=status, page=page)
