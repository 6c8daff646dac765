"""The running bot's Prometheus metrics and its one log line per event; the rest of the code calls the hooks here.

Every hook is one call at the place the event happens (router, reminders dispatcher, rate limiter, WeChat callback),
so moving those places moves one line. Labels carry channels, kinds and statuses only: never a chat, a user or text.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import PlatformCollector, ProcessCollector

events = logging.getLogger("bot.events")

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

MESSAGES_IN = Counter("campaign_bot_messages_received", "Messages from users, by channel and kind.",
                      ["channel", "kind"], registry=REGISTRY)
REPLIES_OUT = Counter("campaign_bot_replies", "Replies the bot gave, by channel and kind (text, choices, file).",
                      ["channel", "kind"], registry=REGISTRY)
ANSWER_SECONDS = Histogram("campaign_bot_answer_seconds", "Time from a message reaching the router to its replies.",
                           ["channel"], registry=REGISTRY,
                           buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0))
HANDLER_ERRORS = Counter("campaign_bot_handler_errors", "Messages whose handler raised (the user got an apology).",
                         ["channel", "route"], registry=REGISTRY)
REMINDERS_PLANNED = Counter("campaign_bot_reminders_planned", "Delivery rows planned, by reminder kind.",
                            ["kind"], registry=REGISTRY)
REMINDER_SENDS = Counter("campaign_bot_reminder_sends",
                         "Reminder send attempts by outcome: sent, pending (retried later), failed, undeliverable.",
                         ["channel", "status"], registry=REGISTRY)
DISPATCH_QUEUE = Gauge("campaign_bot_dispatch_queue_depth", "Reminders queued for the dispatcher's senders.",
                       registry=REGISTRY)
RATE_LIMIT_WAITS = Counter("campaign_bot_rate_limit_waits", "Sends that waited for a platform's rate limit.",
                           ["channel"], registry=REGISTRY)
RATE_LIMIT_SECONDS = Counter("campaign_bot_rate_limit_wait_seconds", "Seconds sends waited for rate limits.",
                             ["channel"], registry=REGISTRY)
WECHAT_CALLBACKS = Counter("campaign_bot_wechat_callbacks", "WeChat callback requests by HTTP status.",
                           ["status"], registry=REGISTRY)
DATABASE_BYTES = Gauge("campaign_bot_database_bytes", "Size of the database file with its WAL.", registry=REGISTRY)


def message_kind(msg) -> str:
    """What a message carries, for the metrics label: event, photo, location, contact, choice, command or text."""
    if msg.event is not None:
        return "event"
    if msg.photos:
        return "photo"
    if msg.refused_media is not None:
        return "unsupported"
    if msg.location is not None:
        return "location"
    if msg.contact is not None:
        return "contact"
    if msg.choice is not None:
        return "choice"
    return "command" if msg.text.lstrip().startswith("/") else "text"


def reply_kind(reply) -> str:
    """What a reply carries: file, choices or text."""
    return "file" if reply.file is not None else "choices" if reply.choices else "text"


def message_ref(secret: bytes, key: str | None) -> str:
    """A short stable reference to a platform message key for the log: it finds one message's lines, and unlike the
    key (which holds the chat id on Telegram and the OpenID on WeChat) says nothing about who sent it. An HMAC under
    the installation's own key: the ids are guessable, so a bare hash of them could be reversed by trying them."""
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:12] if key else "-"


def observed(dispatch: Callable[..., Awaitable[list]]) -> Callable[..., Awaitable[list]]:
    """Wraps the router's dispatch: counts the message and its replies, times it, and logs one line for it."""

    @functools.wraps(dispatch)
    async def wrapper(app, msg, *args, **kwargs):
        started = time.perf_counter()
        kind = message_kind(msg)
        MESSAGES_IN.labels(msg.channel, kind).inc()
        replies = await dispatch(app, msg, *args, **kwargs)
        seconds = time.perf_counter() - started
        ANSWER_SECONDS.labels(msg.channel).observe(seconds)
        for reply in replies:
            REPLIES_OUT.labels(msg.channel, reply_kind(reply)).inc()
        ref = message_ref(app.log_key, msg.message_id)
        events.info("message channel=%s key=%s kind=%s replies=%d seconds=%.3f", msg.channel, ref, kind,
                    len(replies), seconds, extra={"event": "message", "channel": msg.channel, "message_key": ref,
                                                  "kind": kind, "replies": len(replies), "seconds": round(seconds, 4)})
        return replies

    return wrapper


def handler_failed(channel: str, route: str) -> None:
    """Counts a handler that raised."""
    HANDLER_ERRORS.labels(channel, route).inc()


def reminders_planned(rows) -> None:
    """Counts planned delivery rows from a plan report's rows ({(reminder key, status): count})."""
    for (key, _status), count in rows.items():
        REMINDERS_PLANNED.labels(key.split(":", 1)[0]).inc(count)


def reminder_sent(channel: str, delivery_id: int, status: str) -> None:
    """Counts one send attempt by its outcome and logs it (the delivery row's id is the message key)."""
    REMINDER_SENDS.labels(channel, status).inc()
    events.info("reminder channel=%s key=delivery:%d status=%s", channel, delivery_id, status,
                extra={"event": "reminder", "channel": channel, "message_key": f"delivery:{delivery_id}",
                       "status": status})


def watch_dispatch_queue(queue) -> None:
    """Makes the queue-depth gauge read this dispatcher queue's size."""
    DISPATCH_QUEUE.set_function(queue.qsize)


def rate_limit_waited(channel: str, seconds: float) -> None:
    """Counts a wait for a platform's rate limit."""
    RATE_LIMIT_WAITS.labels(channel).inc()
    RATE_LIMIT_SECONDS.labels(channel).inc(seconds)


def counted_callback(callback: Callable[..., Awaitable]) -> Callable[..., Awaitable]:
    """Wraps the WeChat callback method: counts its responses by status."""

    @functools.wraps(callback)
    async def wrapper(self, request):
        response = await callback(self, request)
        WECHAT_CALLBACKS.labels(str(response.status_code)).inc()
        return response

    return wrapper


def render_metrics(db_path: str | Path) -> bytes:
    """The text exposition of every metric, the database size read now (blocking: call it from a thread)."""
    if str(db_path) != ":memory:":
        DATABASE_BYTES.set(sum(_size(Path(f"{db_path}{suffix}")) for suffix in ("", "-wal")))
    return generate_latest(REGISTRY)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
