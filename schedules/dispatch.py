"""Sending due deliveries through app.senders: claimed and committed before each send, so none goes out twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable
from functools import partial
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import metrics
from bot.app import BotApp
from bot.clock import iso
from bot.db import transaction
from bot.store.bindings import BLOCKED_REASON, deactivate_chat
from bot.messages import DeliveryOutcome, DeliveryResult
from schedules.lifecycle import prepare_dispatch
from schedules.notices import delivery_message, record_receipt
from schedules.quiet_hours import QuietHours
from schedules.ratelimit import RateLimiter, channel_limits
from bot.store.deliveries import FAILED, PENDING, SENDING, SENT, UNDELIVERABLE

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 500
HELD = "held for quiet hours"
NOT_CLAIMED = "not claimed"
CONCURRENCY = 64  # enough sends in flight to hold 30 a second against a server that takes up to 2 s to answer
# A channel may say how many sends it can really have on the wire at once (its connections): never more rows are
# claimed than that, so a crash leaves at most those unconfirmed. A channel whose limits name none gets CONCURRENCY.


@dataclass(frozen=True)
class Due:
    """A delivery row ready to go."""

    id: int
    channel: str
    chat_id: str
    text: str
    attempts: int
    reminder_key: str = ""
    cadre_id: str = ""
    urgent: bool = False  # an urgent notice: sent in quiet hours too


@dataclass
class DispatchReport:
    """What one dispatch run did: bookkeeping counts, outcomes of sends, rows left for want of a sender."""

    housekeeping: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    no_sender: Counter = field(default_factory=Counter)
    quiet: bool = False


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    """How long to wait before the next attempt: what the platform asked, else doubling from 30 seconds."""
    if retry_after:
        return timedelta(seconds=retry_after)
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _due_rows(app: BotApp, now: datetime, after_id: int, urgent_only: bool = False) -> list[Due]:
    rows = app.db.execute(
        "SELECT id, channel, chat_id, text, attempts, reminder_key, cadre_id, urgent FROM deliveries "
        "WHERE status = ? AND chat_id IS NOT NULL AND due_at <= ? "
        "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) AND id > ? AND (? = 0 OR urgent = 1) "
        "ORDER BY id LIMIT ?",
        (PENDING, iso(now), iso(now), after_id, int(urgent_only), BATCH),
    ).fetchall()
    return [Due(*row) for row in rows]


def claim(app: BotApp, due: Due) -> bool:
    """Takes the row for this process and commits that before anything is sent.

    False if another run took it, or the chat is no longer the cadre's (the next run re-addresses the row).
    """
    return app.db.execute(
        "UPDATE deliveries SET status = ?, attempts = attempts + 1, claimed_at = ? WHERE id = ? AND status = ? "
        "AND EXISTS (SELECT 1 FROM bindings b WHERE b.channel = deliveries.channel AND b.chat_id = deliveries.chat_id"
        "            AND b.cadre_id = deliveries.cadre_id AND b.active = 1)",
        (SENDING, iso(app.clock.now()), due.id, PENDING),
    ).rowcount == 1


def record(app: BotApp, due: Due, result: DeliveryResult) -> str:
    """Writes what became of a send (and of a notice's receipt), together; returns the row's new status."""
    with transaction(app.db):  # one piece: tried again whole when the database is locked
        status = _record_row(app, due, result)
        record_receipt(app, due.reminder_key, due.cadre_id, status, result.reason, app.clock.now())
    return status


def _record_row(app: BotApp, due: Due, result: DeliveryResult) -> str:
    now = app.clock.now()
    outcome, reason = result.outcome, result.reason
    if outcome is DeliveryOutcome.SENT:
        app.db.execute("UPDATE deliveries SET status = ?, sent_at = ?, last_error = NULL WHERE id = ?",
                       (SENT, iso(now), due.id))
        return SENT
    if outcome is DeliveryOutcome.RETRY and due.attempts + 1 < MAX_ATTEMPTS:
        app.db.execute("UPDATE deliveries SET status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                       (PENDING, iso(now + backoff(due.attempts + 1, result.retry_after)), reason or "稍后重试", due.id))
        return PENDING
    if outcome is DeliveryOutcome.BLOCKED:
        # the same reason the channels record, so the chat comes back by itself when the user unblocks the bot
        deactivate_chat(app.db, due.channel, due.chat_id, BLOCKED_REASON)
        status, reason = FAILED, f"用户已屏蔽或退订：{reason}" if reason else "用户已屏蔽或退订"
    elif outcome is DeliveryOutcome.UNDELIVERABLE:
        status = UNDELIVERABLE
    elif outcome is DeliveryOutcome.RETRY:
        status, reason = FAILED, f"重试{MAX_ATTEMPTS}次仍未送达：{reason}"
    else:
        status = FAILED
    app.db.execute("UPDATE deliveries SET status = ?, last_error = ? WHERE id = ?", (status, reason or outcome.value,
                                                                                     due.id))
    return status


async def send_one(app: BotApp, due: Due, limiter: RateLimiter, quiet: QuietHours,
                   in_flight: asyncio.Semaphore | None = None, stopping: asyncio.Event | None = None) -> str | None:
    """Waits for a place among the channel's sends in flight and for a slot, claims the row, sends it, records the
    outcome; None when the row could not be claimed; HELD (left pending) in quiet hours or once the bot stops."""
    async with in_flight or contextlib.nullcontext():
        return await _send_one(app, due, limiter, quiet, stopping or asyncio.Event())


async def _send_one(app: BotApp, due: Due, limiter: RateLimiter, quiet: QuietHours,
                    stopping: asyncio.Event) -> str | None:
    await limiter.acquire(due.channel, due.chat_id)
    if quiet.contains(app.clock.now()) and not due.urgent or stopping.is_set():  # a long run went on into the
        return HELD  # night, or the bot is stopping: the rest waits
    await limiter.admit(due.channel, due.chat_id)
    if stopping.is_set():
        return HELD
    # Claimed only now, right before the send: a crash leaves unconfirmed no row that was still waiting for its gap.
    # Every statement runs on the database worker: the loop goes on sending while one waits for the lock.
    if not await app.worker.until_done(claim, app, due, what="a reminder's claim"):
        return None
    try:
        result = await app.senders[due.channel].send(due.chat_id, delivery_message(due.reminder_key, due.text))
    except Exception as exc:  # it may have reached the chat: never retried, recorded with the error's name
        logger.warning("reminder %d: sender raised %s", due.id, exc.__class__.__name__)
        result = DeliveryResult(DeliveryOutcome.FAILED, f"发送出错，未确认是否送达（{exc.__class__.__name__}）")
    # A cancellation during the send (shutdown, crash) passes through: the row stays 'sending' and is closed as
    # interrupted. Once the send has answered, its outcome is written even if a shutdown comes meanwhile.
    status = await finish_writing(app.worker.until_done(record, app, due, result, what="a reminder's outcome"))
    if status == PENDING and result.retry_after:  # that chat waits; the channel's spacing keeps the overall rate
        limiter.pause(due.channel, result.retry_after, due.chat_id)
    return status


async def finish_writing(write: Awaitable[str]) -> str:
    """Awaits a database write to its end; a cancellation meanwhile is passed on only after it is written."""
    task = asyncio.ensure_future(write)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise


def _require_autocommit(app: BotApp) -> None:
    # Asked on the database thread: the event loop would see whatever transaction a message has open there.
    if app.db.conn.in_transaction:
        raise RuntimeError("dispatch needs autocommit: each claim must be committed before its send")


async def dispatch(app: BotApp, now: datetime | None = None, limiter: RateLimiter | None = None,
                   concurrency: int = CONCURRENCY, stopping: asyncio.Event | None = None) -> DispatchReport:
    """Sends every delivery due by now through app.senders, within each channel's limits; outside quiet hours only."""
    await app.worker.run(partial(_require_autocommit, app))
    now = now or app.clock.now()
    report = DispatchReport(housekeeping=await app.worker.until_done(prepare_dispatch, app, now,
                                                                     what="the dispatch bookkeeping"))
    quiet = QuietHours.from_settings(app.settings)
    report.quiet = quiet.contains(now)  # then only urgent notices go
    if report.quiet:
        logger.info("reminders: quiet hours, only urgent notices are sent")
    limiter = limiter or RateLimiter(channel_limits(app.senders))
    queue: asyncio.Queue[Due | None] = asyncio.Queue(maxsize=concurrency * 2)
    in_flight = {name: asyncio.Semaphore(min(concurrency, limits.max_in_flight or concurrency))
                 for name, limits in channel_limits(app.senders).items()}
    metrics.watch_dispatch_queue(queue)

    async def worker() -> None:
        """Sends queued rows one after another until it is handed None."""
        while (due := await queue.get()) is not None:
            try:
                status = await send_one(app, due, limiter, quiet, in_flight[due.channel], stopping)
            except Exception:  # e.g. the database is locked: the row stays 'sending' and is closed as interrupted
                logger.exception("reminder %d: recording the send failed", due.id)
                status = "error"
            report.outcomes[status or NOT_CLAIMED] += 1
            metrics.reminder_sent(due.channel, due.id, status or NOT_CLAIMED)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        after_id = 0
        while rows := await app.worker.run(partial(_due_rows, app, now, after_id, urgent_only=report.quiet)):
            after_id = rows[-1].id
            if stopping is not None and stopping.is_set():
                break  # the bot is stopping: the rows not queued wait for the next start
            for due in rows:
                if due.channel in app.senders:
                    await queue.put(due)
                else:
                    report.no_sender[due.channel] += 1
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    for channel, count in report.no_sender.items():
        logger.warning("reminders: %d deliveries wait for channel %s, which is not running", count, channel)
    return report
