"""The channel-neutral message model: what every adapter turns its platform's traffic into, and back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class IncomingPhoto:
    """One image as the adapter received it, already downloaded."""

    data: bytes
    source_id: str = ""  # the platform's file id / MediaId, for the record
    filename: str | None = None
    sent_as_file: bool = False  # Telegram "document": the original bytes, EXIF intact


@dataclass(frozen=True)
class Location:
    """A point the user shared."""

    latitude: float
    longitude: float
    label: str = ""


@dataclass(frozen=True)
class Contact:
    """A phone contact the user shared; `user_id` is whose contact it is, when the platform says."""

    phone: str
    user_id: str | None = None
    name: str = ""


@dataclass(frozen=True)
class Incoming:
    """One message from a user, on any channel."""

    channel: str  # "console", "telegram", "wechat"
    chat_id: str
    user_id: str
    sent_at: datetime  # aware, UTC
    text: str = ""
    photos: tuple[IncomingPhoto, ...] = ()
    location: Location | None = None
    contact: Contact | None = None
    choice: str | None = None  # the value of a button / numbered option the user picked
    message_id: str | None = None  # the platform's id, used to recognise retries
    album_id: str | None = None  # Telegram media_group_id: several photos of one visit
    rejected_media: str | None = None  # adapter refused an attachment; a Chinese reason for the user


@dataclass(frozen=True)
class Choice:
    """An option offered to the user: a button on Telegram, a numbered line on WeChat and the console."""

    label: str
    value: str


@dataclass(frozen=True)
class Outgoing:
    """One message the bot sends."""

    text: str
    choices: tuple[Choice, ...] = ()
    file: Path | None = None
    ask_contact: bool = False  # offer a "share my phone number" button where the channel has one


class DeliveryOutcome(enum.Enum):
    """What became of one attempt to send a message."""

    SENT = "sent"
    RETRY = "retry"  # transient: rate limited or network; try again later (see retry_after)
    BLOCKED = "blocked"  # the user blocked the bot / unsubscribed: the binding goes inactive
    UNDELIVERABLE = "undeliverable"  # permanent for this message (e.g. outside WeChat's 48-hour window)
    FAILED = "failed"  # permanent error of another kind


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of a send, with the platform's reason when it was not SENT."""

    outcome: DeliveryOutcome
    reason: str = ""
    retry_after: float | None = None  # seconds, when the platform said how long to wait
    message_ids: tuple[str, ...] = field(default_factory=tuple)
