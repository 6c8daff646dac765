"""Keeping to each channel's sending limits: evenly spaced slots per channel and per chat."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

from bot import metrics
from bot.messages import UNLIMITED, SendingLimits as Limits


def channel_limits(senders: dict) -> dict[str, Limits]:
    """The limits each sender declares (its `limits`); a sender that declares none is not held back."""
    return {name: getattr(sender, "limits", UNLIMITED) for name, sender in senders.items()}


class Spacer:
    """Hands out slots at least `interval` seconds apart; a slot is a promise, so bursts never form."""

    def __init__(self, interval: float):
        self.interval = interval
        self.next_free = 0.0

    def reserve(self, earliest: float) -> float:
        """The first free slot at or after earliest, now taken."""
        slot = max(earliest, self.next_free)
        self.next_free = slot + self.interval
        return slot

    def hold_until(self, moment: float) -> None:
        """No slot before moment (the platform asked us to wait)."""
        self.next_free = max(self.next_free, moment)


class RateLimiter:
    """Per channel and per chat spacing; one instance lives as long as the dispatcher, across runs.

    `acquire` waits for a slot (slots are handed out evenly, ahead of time, so many sends can be in flight);
    `admit`, right before the send, makes sure the actual gap to the previous send is kept as well.
    """

    PRUNE_EVERY = 10_000
    CATCH_UP_GAP = 0.7  # share of the spacing two sends keep at the least, when catching up after a stall

    def __init__(self, limits: dict[str, Limits], monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.limits = limits
        self.monotonic = monotonic
        self.sleep = sleep
        self.channels: dict[str, Spacer] = {}
        self.chats: dict[tuple[str, str], Spacer] = {}
        self.paused: dict[str | tuple[str, str], float] = {}
        self.last_sent: dict[str | tuple[str, str], float] = {}  # when the last send went, per channel and chat
        self.recent: dict[str, deque[float]] = {}  # the channel's sends of the last second
        self._reserved = 0

    def _channel(self, channel: str) -> Spacer:
        if channel not in self.channels:
            limits = self.limits.get(channel, Limits(None))
            self.channels[channel] = Spacer(1.0 / limits.per_second if limits.per_second else 0.0)
        return self.channels[channel]

    def reserve(self, channel: str, chat_id: str) -> float:
        """Takes the next slot for a message to chat_id; returns the seconds to wait for it."""
        now = self.monotonic()
        chat = self.chats.setdefault((channel, chat_id), Spacer(self.limits.get(channel, Limits(None)).per_chat_interval))
        slot = self._channel(channel).reserve(max(now, chat.next_free))
        chat.next_free = slot + chat.interval
        self._reserved += 1
        if self._reserved % self.PRUNE_EVERY == 0:
            self.chats = {key: spacer for key, spacer in self.chats.items() if spacer.next_free > now}
            self.last_sent = {key: at for key, at in self.last_sent.items() if at > now - 60 or isinstance(key, str)}
        return slot - now

    async def acquire(self, channel: str, chat_id: str) -> None:
        """Waits for the next slot for a message to chat_id, and past any pause the platform asked for meanwhile."""
        while True:
            delay = self.reserve(channel, chat_id)
            if delay > 0:
                metrics.rate_limit_waited(channel, delay)
                await self.sleep(delay)
            paused = max(self.paused.get(channel, 0.0), self.paused.get((channel, chat_id), 0.0)) - self.monotonic()
            if paused <= 0:
                return
            metrics.rate_limit_waited(channel, paused)
            await self.sleep(paused)  # the slot was promised before the pause: take a new one after it

    async def admit(self, channel: str, chat_id: str) -> None:
        """Waits, right before the send, until it keeps the channel's rate over the last second and the chat's gap.

        Slots are promised ahead; sends held back by a stall (a slow query, a garbage collection) would otherwise
        go out in a bunch. Here they may catch up, but never faster than one per CATCH_UP_GAP of the spacing and
        never beyond per_second sends in any second, so the platform's window holds even with some jitter.
        """
        limits = self.limits.get(channel, Limits(None))
        if limits.per_second:
            recent = self.recent.setdefault(channel, deque())
            # Checked again after every sleep: others woken at the same moment may have gone first.
            while (wait := self._wait(channel, chat_id, limits, recent)) > 0:
                await self.sleep(wait)
            recent.append(self.monotonic())
        elif (wait := self.last_sent.get((channel, chat_id), float("-inf")) + limits.per_chat_interval
              - self.monotonic()) > 0:
            await self.sleep(wait)
        self.last_sent[channel] = self.last_sent[(channel, chat_id)] = self.monotonic()

    def _wait(self, channel: str, chat_id: str, limits: Limits, recent: deque) -> float:
        now = self.monotonic()
        while recent and recent[0] <= now - 1.0:
            recent.popleft()
        window = recent[0] + 1.0 - now if len(recent) >= int(limits.per_second) else 0.0
        gap = self.last_sent.get(channel, float("-inf")) + self.CATCH_UP_GAP / limits.per_second - now
        chat = self.last_sent.get((channel, chat_id), float("-inf")) + limits.per_chat_interval - now
        return max(window, gap, chat)

    def pause(self, channel: str, seconds: float, chat_id: str | None = None) -> None:
        """Holds a channel (or one chat of it) for the seconds the platform asked for."""
        until = self.monotonic() + seconds
        key = channel if chat_id is None else (channel, chat_id)
        self.paused[key] = max(self.paused.get(key, 0.0), until)
        spacer = self._channel(channel) if chat_id is None else self.chats.get((channel, chat_id))
        if spacer is not None:
            spacer.hold_until(until)
