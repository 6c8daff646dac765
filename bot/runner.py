"""`campaign-bot run`: the channels, the one HTTP server and the reminder scheduler, in one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket

import uvicorn

from bot.app import BotApp
from bot.errors import UserError
from bot.channels.base import Channel, ChannelConfigError
from bot.run_lock import hold_run_lock, release_run_lock
from bot.web import build_web_app

logger = logging.getLogger(__name__)
DRAIN_SECONDS = 10  # at a stop, how long the sends already on the wire may take to finish and be recorded


class ServerStartError(UserError):
    """The HTTP server cannot listen where the settings say; the message (Chinese) says what to check."""


def build_channels(app: BotApp) -> list[Channel]:
    """The channels the settings enable, each registered in app.senders under its name."""
    channels: list[Channel] = []
    if app.settings.telegram.enabled:
        from bot.channels.telegram.adapter import TelegramChannel

        channels.append(TelegramChannel(app))
    if app.settings.wechat.enabled:
        from bot.channels.wechat.adapter import WeChatChannel

        channels.append(WeChatChannel(app))
    for channel in channels:
        app.senders[channel.name] = channel
    return channels


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runner stops everything in order itself."""

    def capture_signals(self):
        return contextlib.nullcontext()


class BotRunner:
    """Starts and stops the HTTP server, the channels and the scheduler together."""

    def __init__(self, app: BotApp, channels: list[Channel] | None = None, port: int | None = None):
        self.app = app
        self.channels = build_channels(app) if channels is None else channels
        settings = app.settings.server
        config = uvicorn.Config(build_web_app(app, self.channels), host=settings.host,
                                port=settings.port if port is None else port, lifespan="off",
                                log_level="warning", access_log=False)
        self.server = _Server(config)
        self.scheduler = None
        self.jobs = None  # the scheduler's ReminderJobs, drained at a stop
        self._serving: asyncio.Task | None = None
        self._started: list[Channel] = []
        self._run_lock: int | None = None

    @property
    def port(self) -> int:
        """The port the HTTP server listens on (useful when it was given 0)."""
        return self.server.servers[0].sockets[0].getsockname()[1]

    async def start(self) -> None:
        """Opens the HTTP server first (webhooks must be reachable), then the channels, then the scheduler."""
        self._run_lock = hold_run_lock(self.app.settings.database.path)  # one bot per database; restore checks it
        try:  # whatever fails to start, the lock and what did start are let go
            config = self.server.config
            self._serving = asyncio.create_task(self.server.serve(sockets=[listen(config.host, config.port)]))
            while not self.server.started:
                if self._serving.done():
                    raise ServerStartError(f"HTTP 服务没能启动（{config.host}:{config.port}），详见日志。")
                await asyncio.sleep(0.01)
            for channel in self.channels:
                await channel.start()
                self._started.append(channel)
            self.scheduler, self.jobs = start_scheduler(self.app)
        except BaseException:
            await self.stop()
            raise
        logger.info("bot running: http port %d, channels %s", self.port, [c.name for c in self.channels])

    async def stop(self) -> None:
        """Stops the scheduler, the channels (in reverse order) and the HTTP server."""
        if self.scheduler is not None:
            if self.jobs is not None:  # a graceful stop lets the sends in flight finish and be recorded, starting none
                await self.jobs.drain(DRAIN_SECONDS)
            self.scheduler.shutdown(wait=False)
            self.scheduler, self.jobs = None, None
        while self._started:
            channel = self._started.pop()
            try:
                await channel.stop()
            except Exception:
                logger.exception("channel %s did not stop cleanly", channel.name)
        self.server.should_exit = True
        try:
            if self._serving is not None:
                with contextlib.suppress(SystemExit):
                    await self._serving
        finally:
            self._serving = None
            release_run_lock(self._run_lock)
            self._run_lock = None


def listen(host: str, port: int) -> socket.socket:
    """A listening socket for the HTTP server, or a ServerStartError that says what to check."""
    try:
        return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise ServerStartError(f"HTTP 服务无法监听 {host}:{port}（{reason}）。"
                               "请检查 [server] host/port，或端口是否已被占用。") from None


def start_scheduler(app: BotApp):
    """An AsyncIOScheduler in this loop and the reminder jobs it runs, when reminders are enabled; else None, None."""
    if not app.settings.reminders.enabled:
        return None, None
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    import schedules

    scheduler = AsyncIOScheduler(timezone=app.tz)
    jobs = schedules.register_jobs(scheduler, app)
    scheduler.start()
    return scheduler, jobs


async def serve_until(app: BotApp, stop: asyncio.Event) -> None:
    """Runs the bot until the event is set, then stops everything cleanly."""
    runner = BotRunner(app)
    await runner.start()
    try:
        await stop.wait()
    finally:
        await runner.stop()


async def _main(app: BotApp) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve_until(app, stop)


def run_bot(app: BotApp) -> None:
    """Runs the bot in the foreground until SIGINT or SIGTERM."""
    if not (app.settings.telegram.enabled or app.settings.wechat.enabled):
        logger.warning("no channel is enabled: serving only /healthz and the reminder scheduler")
    try:
        asyncio.run(_main(app))
    except (ChannelConfigError, ServerStartError) as exc:
        raise UserError(str(exc)) from None

