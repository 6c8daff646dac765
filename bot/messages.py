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
    compressed: bool = False  # the platform re-encoded it and dropped EXIF, though sending it as a file would not


@dataclass(frozen=True)
class IncomingDocument:
    """A file that is not an image (a plan as PDF or Word), already downloaded: evidence of a unit's task."""

    data: bytes
    filename: str
    mime_type: str = ""
    source_id: str = ""


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


class Event(enum.Enum):
    """Something a user did that is not a message, named the same on every channel."""

    START = "start"  # the first contact (Telegram /start without a code)
    SUBSCRIBE = "subscribe"  # followed the account, or unblocked the bot
    UNSUBSCRIBE = "unsubscribe"  # unfollowed the account, or blocked the bot
    MENU_CLICK = "menu_click"  # a menu button; its key is in `menu_key`
    LOCATION_REPORT = "location_report"  # the platform reported where the user is; the user sent nothing


class MediaRefusal(enum.Enum):
    """Why an adapter could not take an attachment; the handlers hold what to tell the user."""

    UNSUPPORTED = "unsupported"  # a kind the bot does not handle (voice, video, sticker…); `refused_what` names it
    NOT_AN_IMAGE = "not_an_image"  # a file that is not a picture; `refused_what` is its name
    TOO_LARGE = "too_large"  # over the size limit; `refused_limit` is the limit in bytes
    NOT_RECEIVED = "not_received"  # the platform would not hand the file over


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
    event: Event | None = None  # set for what is not a message (then text may be empty)
    menu_key: str | None = None  # with Event.MENU_CLICK: which button
    refused_media: MediaRefusal | None = None  # the adapter could not take an attachment
    refused_what: str = ""  # the kind of attachment, or the name of a file sent as a document
    refused_limit: int = 0  # with TOO_LARGE: the limit in bytes
    voice: bool = False  # the user spoke: `text` is what the platform's speech recognition heard ('' if it gave none)
    documents: tuple[IncomingDocument, ...] = ()  # with NOT_AN_IMAGE: the file itself, when the channel fetched it


YES, NO = "yes", "no"  # what an option means, so "是 / 确认 / 好" and "不 / 取消" pick it wherever it is offered


@dataclass(frozen=True)
class Choice:
    """An option offered to the user: a button on Telegram, a numbered line on WeChat and the console. `means` is
    YES or NO for the option that confirms or cancels (the router answers 是/好/不/取消 with it), else ''."""

    label: str
    value: str
    means: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One message the bot sends."""

    text: str
    choices: tuple[Choice, ...] = ()
    file: Path | None = None
    ask_contact: bool = False  # offer a "share my phone number" button where the channel has one


@dataclass(frozen=True)
class SendingLimits:
    """A channel's limits: messages a second over all chats (None: no limit) and seconds between two to one chat.
    Each channel declares its own; the dispatcher keeps to them."""

    per_second: float | None
    per_chat_interval: float = 0.0
    max_in_flight: int | None = None  # sends the channel can really have on the wire at once (None: no own limit)


UNLIMITED = SendingLimits(None)


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
