"""A sender that records what it is given and answers from a script: the boundary of the reminders dispatcher."""

from __future__ import annotations

import asyncio

from bot.messages import DeliveryOutcome, DeliveryResult, Outgoing

DELIVERED = DeliveryResult(DeliveryOutcome.SENT)


class RecordingSender:
    """Implements the Sender protocol; `script[chat_id]` lists the results to give that chat, then SENT."""

    def __init__(self, script: dict[str, list[DeliveryResult]] | None = None):
        self.script = {chat: list(results) for chat, results in (script or {}).items()}
        self.calls: list[tuple[str, str]] = []  # every attempt: (chat_id, text)

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Records the attempt and answers the next scripted result."""
        self.calls.append((chat_id, message.text))
        results = self.script.get(chat_id)
        return results.pop(0) if results else DELIVERED

    def texts_to(self, chat_id: str) -> list[str]:
        """The texts of every attempt to one chat."""
        return [text for chat, text in self.calls if chat == chat_id]


class HangingSender(RecordingSender):
    """Sends the first `good` messages, then never answers: the process dies (is cancelled) while sending."""

    def __init__(self, good: int):
        super().__init__()
        self.good = good
        self.hanging = asyncio.Event()

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Answers SENT `good` times, then hangs until cancelled."""
        if len(self.calls) >= self.good:
            self.calls.append((chat_id, message.text))
            self.hanging.set()
            await asyncio.Event().wait()
        return await super().send(chat_id, message)
