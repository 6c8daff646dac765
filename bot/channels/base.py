"""The protocol every chat channel implements: its web routes, its lifecycle, and sending on its own initiative."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from starlette.routing import BaseRoute

from bot.errors import UserError
from bot.messages import DeliveryResult, Outgoing

class ChannelConfigError(UserError):
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

    async def open_for_sending(self) -> None:
        """Connects what send() needs, without receiving anything (reminders sent from the command line)."""
        ...

    async def stop(self) -> None:
        """Stops receiving and releases the channel's connections."""
        ...

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Sends one message the bot starts (a reminder, a deferred reply) and says what became of it."""
        ...
