"""The scheduler's jobs: thin coroutines that call the planning and dispatch functions with the bot's clock."""

from __future__ import annotations

import asyncio
import logging
from functools import partial

from bot.app import BotApp
from schedules.dispatch import dispatch
from schedules.plan import plan
from schedules.ratelimit import RateLimiter, channel_limits

logger = logging.getLogger(__name__)
DRAIN_POLL = 0.05  # seconds between looks at a dispatch finishing during a stop


class ReminderJobs:
    """The jobs of one running bot; the rate limiter lives here so its spacing holds across dispatch runs."""

    def __init__(self, app: BotApp):
        self.app = app
        self.limiter = RateLimiter(channel_limits(app.senders))
        self._dispatching = False
        self.stopping = asyncio.Event()  # set by drain(): no new send is claimed

    async def drain(self, timeout: float) -> None:
        """Lets a running dispatch finish the sends already claimed (recording their outcome) and claim no more,
        waiting at most timeout seconds; the rows not claimed stay pending for the next start."""
        self.stopping.set()
        loop = asyncio.get_running_loop()
        ends = loop.time() + timeout
        while self._dispatching and loop.time() < ends:
            await asyncio.sleep(DRAIN_POLL)
        if self._dispatching:
            logger.warning("reminders: sends still in flight after %.0f s; they are closed as interrupted", timeout)

    # Coroutines that hand their database work to the app's database worker: the loop never waits on SQLite, and
    # the one connection is used by one thread at a time.
    async def plan_deadlines(self) -> None:
        """Plans deadline reminders due by now (also catches cadres bound since the last run)."""
        await self._plan("deadline")

    async def scan_visits(self) -> None:
        """Plans this week's visit reminders for cadres with overdue households."""
        await self._plan("visit")

    async def weekly_digest(self) -> None:
        """Plans this week's digest for administrators, once its day and time have come."""
        await self._plan("digest")

    async def remind_unread_notices(self) -> None:
        """Plans the one reminder of notices left unread for a day."""
        await self._plan("notice-unread")

    async def escalate_overdue_tasks(self) -> None:
        """Plans the one escalation of each task some units missed, to the administrators above them."""
        await self._plan("escalation")

    async def dispatch(self) -> None:
        """Plans deadline reminders that have just come due, then sends everything due (one run at a time)."""
        if self._dispatching:
            logger.debug("reminders: the previous dispatch is still sending")
            return
        self._dispatching = True
        try:
            await self._dispatch()
        finally:
            self._dispatching = False

    async def _dispatch(self) -> None:
        now = self.app.clock.now()
        # a notice just confirmed goes now
        (await self.app.worker.run(partial(plan, self.app, now, only_new=True, kinds=("deadline", "notice")))).log()
        try:
            report = await dispatch(self.app, now, self.limiter, stopping=self.stopping)
        except asyncio.CancelledError:
            # The scheduler's shutdown cancels a running job, and APScheduler would log that as a crash. Rows not
            # yet claimed stay pending for the next start; a send cut off midway is closed as interrupted then.
            logger.info("reminders: dispatch stopped by shutdown; the rest waits for the next start")
            return
        if report.outcomes:
            logger.info("reminders dispatched: %s", dict(report.outcomes))

    async def _plan(self, kind: str) -> None:
        # plan() logs and skips a kind that fails (a locked database too): the next run plans it, idempotently
        (await self.app.worker.run(partial(plan, self.app, self.app.clock.now(), kinds=(kind,)))).log()
