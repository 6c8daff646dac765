"""概览: coverage, overdue households and cadres, by unit, with charts of weekly visits and of coverage by unit."""

from __future__ import annotations

from starlette.responses import Response

from bot.console.charts import coverage_rows, weekly_columns
from bot.console.queries import cadres_behind, unit_tree, weekly_visits
from bot.console.serving import PageRequest

SHOWN_BEHIND = 10


def overview(req: PageRequest) -> Response:
    """The scope's totals, its units one level down, the cadres most behind, and two charts."""
    clock = req.clockwork()
    tree = unit_tree(req.db, req.admin, clock)
    total = tree.scope_total()
    units = breakdown_units(tree)
    weeks = weekly_visits(req.db, req.admin, clock, req.app.tz)
    return req.render(
        "overview.html", total=total, tree=tree, units=units, interval=clock.interval_days,
        behind=cadres_behind(req.db, req.admin, clock, SHOWN_BEHIND),
        weekly=weekly_columns(weeks, "每周走访次数"),
        coverage=coverage_rows([(tree.units[u].name, tree.total[u].coverage) for u in units],
                               f"各单位按期走访覆盖率（{clock.interval_days} 天内走访过的联系户 / 联系户）"),
        as_of=req.app.local_text(req.now))


def breakdown_units(tree) -> list[str]:
    """The units the overview breaks the scope into: those one level below its root, and the root itself when
    cadres of its own have households (the office's staff, a county committee's own cadres)."""
    units = []
    for root in tree.roots():
        if root in tree.direct:
            units.append(root)
        units.extend(tree.children.get(root, []))
    return units
