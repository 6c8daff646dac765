"""概览: coverage, overdue households and cadres, by unit, with charts of weekly visits and of coverage by unit."""

from __future__ import annotations

from starlette.responses import Response

from bot.console.charts import coverage_rows, weekly_columns
from bot.console.serving import PageRequest
from bot.store.console_views import breakdown, cadres_behind, scope_root_unit, weekly_visits

SHOWN_BEHIND = 10
SHOWN_UNITS = 20  # more units than this: the overview shows those with the lowest coverage, 单位 lists them all


def overview(req: PageRequest) -> Response:
    """The scope's totals, its units one level down, the cadres most behind, and two charts."""
    clock = req.clockwork()
    scope = req.admin.scope
    parts = breakdown(req.db, scope_root_unit(req.db, scope), clock)
    rows = [(u, parts.figures[u.unit_id]) for u in parts.children]
    if parts.root is not None and parts.own.households:  # the root's own cadres (the office's staff, a county's own)
        rows.insert(0, (parts.root, parts.own))
    hidden = max(0, len(rows) - SHOWN_UNITS)
    if hidden:
        rows = sorted(rows, key=lambda row: (row[1].coverage, row[0].unit_id))[:SHOWN_UNITS]
    weeks = weekly_visits(req.db, scope, clock, req.app.tz)
    return req.render(
        "overview.html", total=parts.total, rows=rows, hidden=hidden, root=parts.root, interval=clock.interval_days,
        behind=cadres_behind(req.db, scope, clock, SHOWN_BEHIND),
        weekly=weekly_columns(weeks, "每周走访次数"),
        coverage=coverage_rows([(unit.name, figures.coverage) for unit, figures in rows],
                               f"各单位按期走访覆盖率（{clock.interval_days} 天内走访过的联系户 / 联系户）"),
        as_of=req.app.local_text(req.now))
