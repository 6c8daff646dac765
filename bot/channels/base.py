"""The protocol every chat channel implements: its web routes, its lifecycle, and sending on its own initiative."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

import sqlite_utils
from starlette.routing import BaseRoute

from bot.messages import DeliveryResult, Outgoing

KEEP_SEEN = timedelta(days=7)


def first_time_seen(db: sqlite_utils.Database, channel: str, key: str, now: datetime) -> bool:
    """Records a platform message key as handled; False when it was recorded before (a redelivery or retry)."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO processed_messages (channel, message_key, received_at) VALUES (?, ?, ?)",
        (channel, key, now.isoformat()),
    )
    return cursor.rowcount > 0


def forget_seen(db: sqlite_utils.Database, channel: str, before: datetime) -> int:
    """Drops the channel's message keys recorded before then (platforms redeliver within minutes, not weeks)."""
    return db.execute("DELETE FROM processed_messages WHERE channel = ? AND received_at < ?",
                      (channel, before.isoformat())).rowcount


class ChannelConfigError(Exception):
    """A channel's settings are missing, inconsistent or refused at start; the message (Chinese) says what to fix."""


@runtime_checkable
class Channel(Protocol):
    """One chat platform, as the runner and the reminders dispatcher see it."""

    name: str  # "telegram", "wechat"

    def routes(self) -> list[BaseRoute]:
        """The routes this channel mounts on the shared ASGI app ([] if none)."""
        ...

    async def start(self) -> None:
        """Initialises the channel: set commands, start polling or register the webhook."""
        ...

    async def stop(self) -> None:
        """Stops receiving and releases the channel's connections."""
        ...

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Sends one message the bot starts (a reminder, a deferred reply) and says what became of it."""
        ...
