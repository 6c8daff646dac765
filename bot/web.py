"""The one HTTP server's ASGI app: /healthz, /metrics and /readyz plus the routes each enabled channel contributes (webhooks, callbacks)."""

from __future__ import annotations

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

logger = logging.getLogger(__name__)


def build_web_app(app: BotApp, channels: Sequence[Channel]) -> Starlette:
    """The Starlette app serving /healthz and every channel's routes."""

    async def healthz(request: Request) -> JSONResponse:
        """Says whether the database answers, and which channels run."""
        try:
            answers(app.db)
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
    return Starlette(routes=routes)
