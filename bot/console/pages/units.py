"""单位: the unit tree of the scope, a unit's sub-units and cadres, a cadre's households (head, village, visits)."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse, Response

from bot.console.errors import not_found
from bot.console.queries import (cadre_in_scope, cadres_of_unit, households_of, path_in_scope, unit_in_scope,
                                 top_units, unit_tree)
from bot.console.serving import PageRequest


def units_index(req: PageRequest) -> Response:
    """Opens the scope's root unit (the office may have several roots: then it lists them)."""
    roots = [req.admin.scope_root] if req.admin.scope_root else top_units(req.db)
    if len(roots) == 1:
        return RedirectResponse(f"{req.console.base}/units/{quote(roots[0])}", status_code=303)
    tree = unit_tree(req.db, req.admin, req.clockwork())
    return req.render("unit.html", unit=None, path=[], tree=tree, children=roots, cadres=[],
                      interval=req.app.settings.reminders.visit_interval_days)


def unit_page(req: PageRequest) -> Response:
    """A unit in scope: the way down to it, its sub-units with their totals, its own cadres."""
    unit_id = req.request.path_params["unit_id"]
    if unit_in_scope(req.db, req.admin, unit_id) is None:
        raise not_found(f"unit {unit_id!r} outside the scope of {req.admin.cadre_id} or unknown")
    clock = req.clockwork()
    tree = unit_tree(req.db, req.admin, clock, root=unit_id)
    return req.render("unit.html", unit=tree.units[unit_id], path=path_in_scope(req.db, req.admin, unit_id),
                      tree=tree,
                      children=tree.children.get(unit_id, []), cadres=cadres_of_unit(req.db, unit_id, clock),
                      interval=clock.interval_days)


def cadre_page(req: PageRequest) -> Response:
    """A cadre in scope and their paired households with visit dates (never the households' phones or notes)."""
    cadre_id = req.request.path_params["cadre_id"]
    cadre = cadre_in_scope(req.db, req.admin, cadre_id)
    if cadre is None:
        raise not_found(f"cadre {cadre_id!r} outside the scope of {req.admin.cadre_id} or unknown")
    clock = req.clockwork()
    return req.render("cadre.html", cadre=cadre, path=path_in_scope(req.db, req.admin, cadre.unit_id),
                      households=households_of(req.db, cadre_id, clock), interval=clock.interval_days)
