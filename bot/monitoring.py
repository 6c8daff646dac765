"""/metrics (Prometheus text format) and /readyz on the bot's HTTP server, each limited to [server] monitoring_allow.

Both read files and the database, so their work runs in a thread: the event loop answering cadres never waits on it.
"""

from __future__ import annotations

import ipaddress
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.app import BotApp
from bot.config import ConfigError
from bot.metrics import render_metrics
from bot.migrations import MIGRATIONS
from bot.store import database_file

logger = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def monitoring_routes(app: BotApp, channels: Sequence) -> list[Route]:
    """The /metrics and /readyz routes, behind the allow-list of the settings."""
    allowed = allow_list(app.settings.server.monitoring_allow)
    db_path = app.settings.database.path

    async def metrics(request: Request) -> Response:
        """The metrics in Prometheus' text format."""
        return Response(await run_in_threadpool(render_metrics, db_path), media_type=CONTENT_TYPE_LATEST)

    async def readyz(request: Request) -> JSONResponse:
        """Whether the database answers at the latest schema and every enabled channel is running."""
        database = await run_in_threadpool(database_state, db_path)
        states = {channel.name: "ok" if channel_ready(channel) else "not running" for channel in channels}
        ok = database == "ok" and all(state == "ok" for state in states.values())
        return JSONResponse({"ok": ok, "db": database, "channels": states}, status_code=200 if ok else 503)

    return [Route("/metrics", guarded(metrics, allowed), methods=["GET"]),
            Route("/readyz", guarded(readyz, allowed), methods=["GET"])]


def allow_list(entries: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of [server] monitoring_allow (a single address is a /32 or /128); [] lets everyone in."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ConfigError(f"[server] monitoring_allow 里的“{entry}”不是 IP 地址或网段（例如 10.0.0.0/8）。") from None
    return networks


def guarded(endpoint: Endpoint, allowed: list) -> Endpoint:
    """The endpoint, answering 403 to clients outside the allow-list (when there is one)."""

    async def check(request: Request) -> Response:
        if allowed and not client_allowed(request.client.host if request.client else None, allowed):
            return PlainTextResponse("forbidden", status_code=403)
        return await endpoint(request)

    return check


def client_allowed(host: str | None, allowed: list) -> bool:
    """Whether the client's address is in one of the allowed networks."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in network for network in allowed)


def database_state(db_path: str | Path) -> str:
    """"ok", or what is wrong with the database: read on a connection of its own, read-only (blocking)."""
    if str(db_path) == ":memory:":
        return "ok"
    latest = max(version for version, _, _ in MIGRATIONS)
    try:
        with database_file.read_only(db_path, timeout=2) as conn:
            applied = database_file.applied_migrations(conn)
    except sqlite3.Error as exc:
        logger.error("readiness: database error %s", exc)
        return "error"
    version = max(applied, default=None)
    return "ok" if version == latest else f"schema {version}, expected {latest}"


def channel_ready(channel) -> bool:
    """Whether a channel is serving: its own ready() when it has one, else its SDK application's running flag
    (Telegram), else it is ready once built (WeChat's callback needs nothing started)."""
    ready = getattr(channel, "ready", None)
    if callable(ready):
        return bool(ready())
    application = getattr(channel, "application", None)
    return bool(application.running) if application is not None else True
