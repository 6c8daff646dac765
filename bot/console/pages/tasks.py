"""任务: the campaign file's deadlines that bind units, as units × tasks: which units of the scope reported each done,
when, by whom, with what evidence; the totals per task; the units still missing one."""

from __future__ import annotations

from starlette.responses import Response

from bot.console.errors import no_such_page
from bot.console.pagination import PAGE_SIZE, decode_cursor, keyset_page
from bot.console.serving import PageRequest
from bot.store.task_board import task_totals, task_units

def tasks(req: PageRequest) -> Response:
    """Totals per task, then the scope's units of the bound kinds (50 a page), optionally only those missing one."""
    deadlines = req.app.campaign.unit_tasks()
    missing = req.request.query_params.get("missing") or None
    if missing is not None and missing not in {d.id for d in deadlines}:
        raise no_such_page(f"unknown task {missing!r}")
    kinds = tuple(sorted({kind for d in deadlines for kind in d.reporters}))
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("path",))
    rows = task_units(req.db, req.admin.scope, kinds, after["after_path"], PAGE_SIZE + 1, missing)
    page = keyset_page(rows, PAGE_SIZE, lambda r: (r.path,), cursor)
    today = req.app.local(req.now).date()
    totals = {d.id: task_totals(req.db, req.admin.scope, d.id, d.reporters) for d in deadlines}
    return req.render("tasks.html", deadlines=deadlines, totals=totals, page=page, missing=missing,
                      overdue={d.id: d.due is not None and d.due < today for d in deadlines})
