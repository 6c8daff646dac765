"""单位: the scope's units one level at a time, a unit's sub-units and cadres, a cadre's households and visits."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse, Response

from bot.console.errors import not_found
from bot.console.pagination import Page, decode_cursor, keyset_page
from bot.console.serving import PageRequest
from bot.store.console_views import (breakdown, cadre_in_scope, cadres_of_unit, households_of, path_in_scope,
                                     scope_root_unit, unit_in_scope)

UNITS_PAGE = 50


def units_index(req: PageRequest) -> Response:
    """Opens the scope's root unit (the office may have several top units: then it lists them)."""
    root = scope_root_unit(req.db, req.admin.scope)
    if root is not None:
        return RedirectResponse(f"{req.console.base}/units/{quote(root.unit_id)}", status_code=303)
    parts = breakdown(req.db, None, req.clockwork())
    return req.render("unit.html", unit=None, path=[], parts=parts, page=Page(parts.children, None, True), cadres=[],
                      interval=req.app.settings.reminders.visit_interval_days)


def unit_page(req: PageRequest) -> Response:
    """A unit in scope: the way down to it, its sub-units with their totals, its own cadres."""
    unit_id = req.request.path_params["unit_id"]
    unit = unit_in_scope(req.db, req.admin.scope, unit_id)
    if unit is None:
        raise not_found(f"unit {unit_id!r} outside the scope of {req.admin.cadre_id} or unknown")
    clock = req.clockwork()
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("unit",))["after_unit"]
    parts = breakdown(req.db, unit, clock, after=after, limit=UNITS_PAGE + 1)
    page = keyset_page(parts.children, UNITS_PAGE, lambda u: (u.unit_id,), cursor)
    return req.render("unit.html", unit=unit, path=path_in_scope(req.db, req.admin.scope, unit_id), parts=parts,
                      page=page, cadres=cadres_of_unit(req.db, unit_id, clock) if page.first else [],
                      interval=clock.interval_days)


def cadre_page(req: PageRequest) -> Response:
    """A cadre in scope and their paired households with visits (never the households' phones or notes)."""
    cadre_id = req.request.path_params["cadre_id"]
    cadre = cadre_in_scope(req.db, req.admin.scope, cadre_id)
    if cadre is None:
        raise not_found(f"cadre {cadre_id!r} outside the scope of {req.admin.cadre_id} or unknown")
    clock = req.clockwork()
    return req.render("cadre.html", cadre=cadre, path=path_in_scope(req.db, req.admin.scope, cadre.unit_id),
                      households=households_of(req.db, cadre_id, clock), interval=clock.interval_days)
