"""The one HTTP server's ASGI app: /healthz, /metrics and /readyz, the routes each enabled channel contributes
(webhooks, callbacks), and the web console under [console] path."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.app import BotApp
from bot.channels.base import Channel
from bot.db import answers
from bot.monitoring import monitoring_routes
from bot.store import database_file

logger = logging.getLogger(__name__)


async def database_answers(app: BotApp) -> None:
    """Asks the database one cheap question off the event loop, on a connection of its own."""
    path = app.settings.database.path
    if str(path) == ":memory:":  # nothing else can open an in-memory database: ask through the worker
        await app.worker.run(answers, app.db)
    else:
        await asyncio.to_thread(_answers_on_own_connection, path)


def _answers_on_own_connection(path: str) -> None:
    # read-only and of its own: never queued behind the bot's database work, and WAL readers wait on no writer
    with database_file.read_only(path, timeout=2) as conn:
        answers(conn)


def build_web_app(app: BotApp, channels: Sequence[Channel]) -> Starlette:
    """The Starlette app serving /healthz, every channel's routes and (when enabled) the web console."""

    async def healthz(request: Request) -> JSONResponse:
        """Says whether the database answers, and which channels run."""
        try:
            await database_answers(app)
            database = "ok"
        except sqlite3.Error as exc:
            logger.error("health check: database error %s", exc)
            database = "error"
        body = {"ok": database == "ok", "db": database, "channels": [c.name for c in channels]}
        return JSONResponse(body, status_code=200 if database == "ok" else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    routes.extend(monitoring_routes(app, channels))
    for channel in channels:
        routes.extend(channel.routes())
    if app.settings.console.enabled and app.settings.database.path != ":memory:":
        from bot.console.routes import console_mount

        routes.append(console_mount(app))
    return Starlette(routes=routes)
