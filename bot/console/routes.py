"""The console's routes on one Starlette app, mounted on the bot's HTTP server at [console] path.

To add a page: write `def my_page(req: PageRequest) -> Response` in pages/, add a Route here wrapped in `page(...)`
(office_only=True for the office's pages), and its entry in nav.NAV."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.app import BotApp
from bot.console.database import ConsoleDatabase
from bot.console.errors import Refused, not_found
from bot.console.pages import (audit_log, export, login, notices, overview, photos, reminders, reviews, roster, tasks,
                                units)
from bot.console.serving import Console, page, refusal_response

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"

ROUTES = [
    Route("/", page(overview.overview)),
    Route("/login", page(login.login_form, public=True)),
    Route("/login", page(login.login, public=True), methods=["POST"]),
    Route("/logout", page(login.logout), methods=["POST"]),
    Route("/units", page(units.units_index)),
    Route("/units/{unit_id}", page(units.unit_page)),
    Route("/cadres/{cadre_id}", page(units.cadre_page)),
    Route("/reviews", page(reviews.reviews)),
    Route("/reviews/{session_id}", page(reviews.review_page)),
    Route("/reviews/{session_id}", page(reviews.review_submit), methods=["POST"]),
    Route("/photos/{sha256}", page(photos.photo)),
    Route("/photos/{sha256}/thumb", page(photos.thumbnail)),
    Route("/tasks", page(tasks.tasks)),
    Route("/tasks/{unit_id}/{deadline_id}/evidence", page(photos.evidence)),
    Route("/notices", page(notices.notices)),
    Route("/notices/preview", page(notices.notice_preview), methods=["POST"]),
    Route("/notices/{notice_id}", page(notices.notice_page)),
    Route("/notices/{notice_id}/send", page(notices.notice_send), methods=["POST"]),
    Route("/reminders", page(reminders.reminders)),
    Route("/roster", page(roster.roster_form, office_only=True)),
    Route("/roster/check", page(roster.roster_check, office_only=True), methods=["POST"]),
    Route("/roster/import", page(roster.roster_import, office_only=True), methods=["POST"]),
    Route("/roster/template.xlsx", page(roster.roster_template, office_only=True)),
    Route("/export", page(export.export_page)),
    Route("/export/report.xlsx", page(export.export_download)),
    Route("/audit", page(audit_log.audit_log, office_only=True)),
    Mount("/static", StaticFiles(directory=STATIC), name="static"),
]


async def _http_error(request: Request, exc: HTTPException):
    """An unknown console address or method: the console's own Chinese page, not Starlette's English text."""
    console: Console = request.app.state.console
    refused = not_found(f"no console route for {request.method}") if exc.status_code in (404, 405) else \
        Refused(exc.status_code, "无法处理", "这个请求无法处理，请从导航栏重新进入。", f"HTTP {exc.status_code}")
    return refusal_response(console, request, refused, None)


def console_app(app: BotApp) -> Starlette:
    """The console as an ASGI app of its own (its pages get their Console from app.state)."""
    web = Starlette(routes=ROUTES, exception_handlers={HTTPException: _http_error})
    web.state.console = Console(app, ConsoleDatabase(app.settings.database.path), app.settings.console.path.rstrip("/"))
    return web


def console_mount(app: BotApp) -> Mount:
    """The console mounted at [console] path, for the bot's Starlette app."""
    return Mount(app.settings.console.path.rstrip("/") or "/", app=console_app(app))
