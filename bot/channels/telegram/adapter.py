"""The Telegram channel: python-telegram-bot for transport; every update goes through the neutral router."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import warnings
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from bot.app import BotApp
from bot.channels.base import ChannelConfigError
from bot.channels.splitting import numbered_choices, split_text, utf16_len
from bot.channels.telegram.limits import CONNECTIONS, SENDING_LIMITS
from bot.messages import (Contact, DeliveryOutcome, DeliveryResult, Event, Incoming, IncomingDocument, IncomingPhoto,
                          Location, MediaRefusal, Outgoing)
from bot.handling import answer_kept, answer_once, finish_answer
from bot.redaction import add_secrets, redact_loggers
from bot.store.bindings import BLOCKED_REASON, deactivate_chat
from bot.store.seen import KEEP_SEEN, forget_seen

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
COMMANDS = (
    ("phase", "现在是哪个阶段"),
    ("deadlines", "近期截止日期"),
    ("pairing", "我的结对"),
    ("households", "我的联系户"),
    ("visits", "我的走访记录"),
    ("help", "能做什么、怎么用"),
)
SHARE_PHONE_BUTTON = "📱 分享我的手机号"
TIMEOUT_REASON = "发送超时，无法确认是否送达；为避免重复，不再重发"
GROUP_REPLY = "为保护个人信息，请在与我的私聊中使用本助手。"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
REPLY_ATTEMPTS = 3
MAX_REPLY_WAIT = 60.0  # seconds: longer flood waits are logged, not slept through while answering a user
TEXT_MAX = 4096  # Bot API limits, in UTF-16 code units / bytes
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64
UNSUPPORTED_KINDS = (  # attributes of Message the bot cannot take (checked before `document`: a GIF is both)
    "animation", "sticker", "audio", "video", "video_note", "poll", "dice", "game", "story", "paid_media",
    "checklist",
)
# ExtBot (what Application builds) logs its Bot API URLs, token included, at DEBUG under its own name.
TOKEN_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Updater", "telegram.ext.Application")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff", ".bmp")


@dataclass(frozen=True)
class _Part:
    """One Bot API call rendering (part of) an Outgoing."""

    text: str
    markup: object | None = None
    document: Path | None = None


class TelegramChannel:
    """Serves the bot on Telegram, by long polling or through the shared HTTP server's webhook route."""

    name = CHANNEL
    limits = SENDING_LIMITS

    def __init__(self, app: BotApp, *, poll_timeout: float = 10.0, poll_interval: float = 0.0):
        settings = app.settings.telegram
        if not settings.token:
            raise ChannelConfigError("[telegram] token 未设置")
        if settings.mode not in ("polling", "webhook"):
            raise ChannelConfigError(f"[telegram] mode 应为 polling 或 webhook，而不是 {settings.mode!r}")
        if settings.mode == "webhook" and not (settings.webhook_url and settings.secret_token):
            raise ChannelConfigError("[telegram] webhook 模式需要 webhook_url 和 secret_token")
        add_secrets([settings.token, settings.secret_token])  # Bot API URLs carry the token
        redact_loggers(TOKEN_LOGGERS)
        self.app = app
        self.settings = settings
        self.poll_timeout = poll_timeout
        self.poll_interval = poll_interval
        self.application = build_application(settings.token, settings.base_url, settings.base_file_url,
                                              polling=settings.mode == "polling")
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._kept: asyncio.Task | None = None

    @property
    def webhook_path(self) -> str:
        """The path of the webhook route: the path of webhook_url, or /telegram."""
        return urlsplit(self.settings.webhook_url).path or "/telegram"

    def routes(self) -> list[BaseRoute]:
        """The webhook route in webhook mode; none when polling."""
        if self.settings.mode != "webhook":
            return []
        return [Route(self.webhook_path, self._webhook, methods=["POST"])]

    async def open_for_sending(self) -> None:
        """Connects to the Bot API without polling or a webhook; stop() closes it."""
        await self.application.initialize()

    async def start(self) -> None:
        """Connects, registers the commands, then polls or sets the webhook."""
        await self.app.worker.until_done(forget_seen, self.app.db, CHANNEL, self.app.clock.now() - KEEP_SEEN,
                                         what="forgetting old Telegram update keys")  # redelivered within a day
        try:
            await self.application.initialize()
        except InvalidToken:
            raise ChannelConfigError("[telegram] token 无效：Telegram 不认这个 token，请向 @BotFather 核对。") from None
        except NetworkError as exc:
            raise ChannelConfigError(f"[telegram] 连不上 Bot API（{exc.message}）：请检查网络或 base_url。") from None
        await self.application.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
        await self.application.start()  # before updates can arrive: a webhook answers 503 until then
        self._kept = asyncio.create_task(answer_kept(self.app, CHANNEL, self.send))  # what the last run could not store
        if self.settings.mode == "webhook":
            await self.application.bot.set_webhook(self.settings.webhook_url, secret_token=self.settings.secret_token,
                                                   allowed_updates=ALLOWED_UPDATES)
        else:
            await self.application.updater.start_polling(
                poll_interval=self.poll_interval, timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES, error_callback=self._on_polling_error)
        logger.info("telegram channel started (%s)", self.settings.mode)

    async def stop(self) -> None:
        """Stops polling and processing, and closes the connections."""
        if self._kept is not None and not (await asyncio.wait([self._kept], timeout=10))[0]:
            self._kept.cancel()  # still waiting for the database: the messages stay on disk for the next start
        if self.application.updater and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        logger.info("telegram channel stopped")

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Sends one message once; the caller (the reminders dispatcher) paces and retries by the outcome."""
        return await self._attempt(chat_id, render(message))

    # ---- receiving ----

    async def _webhook(self, request: Request) -> Response:
        supplied = request.headers.get(SECRET_HEADER, "")
        if not secrets.compare_digest(supplied.encode(), self.settings.secret_token.encode()):
            logger.warning("telegram webhook request without the right secret token from %s",
                           request.client.host if request.client else "?")
            return JSONResponse({"ok": False}, status_code=403)
        if not self.application.running:
            return JSONResponse({"ok": False}, status_code=503)
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError):
            return JSONResponse({"ok": False, "error": "not an update"}, status_code=400)
        await self.application.update_queue.put(update)
        return JSONResponse({"ok": True})

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await self._on_callback(update)
        elif update.message is not None:
            await self._on_message(update.message)
        elif update.my_chat_member is not None:
            await self._on_member_status(update)
        else:
            logger.debug("ignored telegram update %s of another kind", update.update_id)

    async def _on_message(self, message: Message) -> None:
        if message.from_user is None or message.from_user.is_bot:
            return
        chat_id = str(message.chat.id)
        if message.chat.type != "private":
            if self._addressed_command(message.text or ""):
                await self._deliver(chat_id, [_Part(GROUP_REPLY)])
            return
        incoming = await self._incoming(message)
        if incoming is None:
            logger.debug("ignored a telegram service message in chat %s", chat_id)
            return
        await self._answer(incoming, f"{chat_id}:{message.message_id}", after_contact=incoming.contact is not None)

    async def _answer(self, incoming: Incoming, key: str, after_contact: bool = False) -> None:
        """Claims and answers the update on the database worker (waiting, not failing, while the database is
        locked), delivers the replies, then marks it finished: PTB takes the next update only after this one."""
        replies = await answer_once(self.app, incoming, self.app.routes, key=key, finish=False)
        if replies is None:  # a redelivered update that was handled before
            return
        await self._deliver(incoming.chat_id, [part for reply in replies
                                               for part in render(reply, after_contact=after_contact)])
        await finish_answer(self.app, CHANNEL, key)

    async def _on_callback(self, update: Update) -> None:
        query = update.callback_query
        try:
            await query.answer()
        except TelegramError as exc:
            logger.info("could not answer a callback query: %s", exc)
        chat = query.message.chat if query.message else None
        if (chat is not None and chat.type != "private") or not query.data:
            return
        chat_id = str(chat.id if chat else query.from_user.id)
        incoming = Incoming(channel=CHANNEL, chat_id=chat_id, user_id=str(query.from_user.id),
                            sent_at=self.app.clock.now(), choice=query.data, message_id=f"cb:{query.id}")
        await self._answer(incoming, f"cb:{query.id}")

    def _addressed_command(self, text: str) -> bool:
        """Whether a group message is a /command for this bot (not '/help@SomeOtherBot')."""
        if not text.startswith("/"):
            return False
        target = text.split(maxsplit=1)[0].partition("@")[2]
        return not target or target.lower() == (self.application.bot.username or "").lower()

    async def _on_member_status(self, update: Update) -> None:
        """Blocking the bot is the neutral UNSUBSCRIBE, unblocking it SUBSCRIBE: the handlers answer them."""
        change = update.my_chat_member
        event = {"kicked": Event.UNSUBSCRIBE, "member": Event.SUBSCRIBE}.get(change.new_chat_member.status)
        if change.chat.type != "private" or event is None:
            return
        chat_id, key = str(change.chat.id), f"member:{update.update_id}"
        incoming = Incoming(channel=CHANNEL, chat_id=chat_id, user_id=str(change.from_user.id), sent_at=change.date,
                            event=event, message_id=key)
        # The replies are not sent: a blocked chat cannot be written to, and a user who starts or unblocks the bot
        # sends /start as well, which is answered.
        await answer_once(self.app, incoming, self.app.routes, key=key)

    async def _incoming(self, message: Message) -> Incoming | None:
        """The neutral form of a private message; None for service messages the bot ignores."""
        base = dict(channel=CHANNEL, chat_id=str(message.chat.id), user_id=str(message.from_user.id),
                    sent_at=message.date, text=message.text or message.caption or "",
                    message_id=f"{message.chat.id}:{message.message_id}", album_id=message.media_group_id)
        if message.contact is not None:
            c = message.contact
            contact = Contact(phone=c.phone_number, user_id=str(c.user_id) if c.user_id else None,
                              name=" ".join(filter(None, (c.first_name, c.last_name))))
            return Incoming(**base, contact=contact)
        if message.location is not None:
            label = message.venue.title if message.venue else ""
            return Incoming(**base, location=Location(message.location.latitude, message.location.longitude, label))
        if message.photo:
            largest = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            return await self._with_photo(base, largest, filename=None, as_file=False)
        if message.voice is not None:  # Telegram gives no transcript: the handlers ask for the question typed
            return Incoming(**{**base, "text": ""}, voice=True)
        refusal = unsupported_refusal(message)
        if refusal is not None and refusal[0] is MediaRefusal.NOT_AN_IMAGE:  # still a unit task's evidence maybe
            return await self._with_document(base, message.document, refusal[1])
        if refusal is not None:
            return Incoming(**base, refused_media=refusal[0], refused_what=refusal[1])
        if message.document is not None:
            return await self._with_photo(base, message.document, message.document.file_name, as_file=True)
        if message.text:
            started = message.text.strip().split("@")[0] == "/start"  # /start with a code is a binding, not START
            return Incoming(**base, event=Event.START if started else None)
        return None

    @property
    def _download_limit(self) -> int:
        # Nothing larger than the photo check accepts is worth downloading.
        return min(self.settings.max_file_bytes, self.app.settings.photos.max_bytes)

    async def _download(self, media) -> bytes | None:
        """The file's bytes; None when it is over the limit, b"" when Telegram would not hand it over."""
        if media.file_size and media.file_size > self._download_limit:
            return None
        try:
            data = bytes(await (await self.application.bot.get_file(media.file_id)).download_as_bytearray())
        except TelegramError as exc:
            logger.warning("could not download a telegram file: %s", exc)
            return b""
        return data if len(data) <= self._download_limit else None

    async def _with_photo(self, base: dict, media, filename: str | None, as_file: bool) -> Incoming:
        data = await self._download(media)
        if data is None:
            return Incoming(**base, refused_media=MediaRefusal.TOO_LARGE, refused_limit=self._download_limit,
                            refused_what=(filename or "document") if as_file else "")
        if not data:
            return Incoming(**base, refused_media=MediaRefusal.NOT_RECEIVED)
        photo = IncomingPhoto(data=data, source_id=media.file_unique_id or media.file_id, filename=filename,
                              sent_as_file=as_file, compressed=not as_file)
        return Incoming(**base, photos=(photo,))

    async def _with_document(self, base: dict, document, name: str) -> Incoming:
        """A file that is not an image: refused as a photo, but fetched (within the size limit) for handlers that
        take documents (a unit's plan)."""
        refused = Incoming(**base, refused_media=MediaRefusal.NOT_AN_IMAGE, refused_what=name)
        data = await self._download(document)
        if not data:
            return refused
        doc = IncomingDocument(data, name, document.mime_type or "", document.file_unique_id or document.file_id)
        return dataclasses.replace(refused, documents=(doc,))

    # ---- sending ----

    async def _deliver(self, chat_id: str, parts: list[_Part]) -> None:
        """Sends a reply, waiting out flood limits and network trouble a few times before giving up loudly."""
        for attempt in range(1, REPLY_ATTEMPTS + 1):
            result = await self._attempt(chat_id, parts)
            if result.outcome is not DeliveryOutcome.RETRY or attempt == REPLY_ATTEMPTS:
                break
            wait = result.retry_after if result.retry_after is not None else 0.5 * 2 ** attempt
            if wait > MAX_REPLY_WAIT:
                break
            parts = parts[len(result.message_ids):]  # what went out already is not sent twice
            await asyncio.sleep(wait)
        if result.outcome is not DeliveryOutcome.SENT:
            logger.error("reply to telegram chat %s not delivered: %s %s", chat_id, result.outcome.value, result.reason)

    async def _attempt(self, chat_id: str, parts: list[_Part]) -> DeliveryResult:
        """Makes the Bot API calls for the parts and maps Telegram's errors to a delivery outcome."""
        sent: list[str] = []
        if not chat_id.lstrip("-").isdigit():
            return DeliveryResult(DeliveryOutcome.FAILED, f"not a Telegram chat id: {chat_id[:20]!r}")
        try:
            for part in parts:
                sent.append(str((await self._call(int(chat_id), part)).message_id))
        except TelegramError as exc:
            result = failure_result(exc, tuple(sent))
            if result.outcome is DeliveryOutcome.BLOCKED:
                await self.app.worker.until_done(deactivate_chat, self.app.db, CHANNEL, chat_id, BLOCKED_REASON,
                                                 what="a blocked Telegram chat")
            return result
        return DeliveryResult(DeliveryOutcome.SENT, message_ids=tuple(sent))

    async def _call(self, chat_id: int, part: _Part) -> Message:
        bot = self.application.bot
        if part.document is None:
            return await bot.send_message(chat_id, part.text, reply_markup=part.markup)
        content = await asyncio.to_thread(part.document.read_bytes)  # the loop never waits on the file
        return await bot.send_document(chat_id, content, caption=part.text or None, filename=part.document.name,
                                       reply_markup=part.markup)

    # ---- errors ----

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)

    def _on_polling_error(self, error: TelegramError) -> None:
        logger.warning("telegram polling: %s", error)


def build_application(token: str, base_url: str, base_file_url: str, polling: bool) -> Application:
    """A PTB Application talking to base_url/base_file_url when set, with timeouts for a slow network."""
    builder = (
        Application.builder()
        .token(token)
        .request(HTTPXRequest(connect_timeout=10.0, read_timeout=20.0, write_timeout=20.0,
                              media_write_timeout=60.0, pool_timeout=5.0, connection_pool_size=CONNECTIONS))
        .get_updates_request(HTTPXRequest(connect_timeout=10.0, read_timeout=10.0, pool_timeout=5.0,
                                          connection_pool_size=2))
    )
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    if not polling:
        builder = builder.updater(None)
    return builder.build()


def render(message: Outgoing, after_contact: bool = False) -> list[_Part]:
    """The Bot API calls for an Outgoing: text split at 4096, choices as inline buttons, files as documents."""
    text, markup = message.text, None
    if message.choices and all(len(c.value.encode()) <= CALLBACK_DATA_MAX_BYTES for c in message.choices):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(c.label, callback_data=c.value)]
                                       for c in message.choices])
    elif message.choices:
        logger.warning("a choice value is longer than Telegram's 64 bytes; offering numbered choices instead")
        text = text + "\n" + numbered_choices(message.choices)
    elif message.ask_contact:
        markup = ReplyKeyboardMarkup([[KeyboardButton(SHARE_PHONE_BUTTON, request_contact=True)]],
                                     resize_keyboard=True, one_time_keyboard=True)
    elif after_contact:
        markup = ReplyKeyboardRemove()
    if message.file is not None and utf16_len(text) <= CAPTION_MAX:
        return [_Part(text, markup, message.file)]
    chunks = split_text(text, TEXT_MAX) if text.strip() else []
    parts = [_Part(chunk) for chunk in chunks]
    if parts and message.file is None:
        parts[-1] = _Part(parts[-1].text, markup)
    if message.file is not None:
        parts.append(_Part("", markup, message.file))
    return parts


def failure_result(exc: TelegramError, sent: tuple[str, ...] = ()) -> DeliveryResult:
    """Maps a Bot API error to a delivery outcome; only errors where nothing can have arrived are retried."""
    if isinstance(exc, RetryAfter):
        return DeliveryResult(DeliveryOutcome.RETRY, "rate limited", retry_seconds(exc), sent)
    if isinstance(exc, Forbidden):
        return DeliveryResult(DeliveryOutcome.BLOCKED, exc.message, message_ids=sent)
    if isinstance(exc, TimedOut):
        # The request may have reached Telegram and been delivered: retrying could send it twice.
        return DeliveryResult(DeliveryOutcome.FAILED, TIMEOUT_REASON, message_ids=sent)
    if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):  # BadRequest: permanent
        return DeliveryResult(DeliveryOutcome.RETRY, exc.message, message_ids=sent)
    return DeliveryResult(DeliveryOutcome.FAILED, exc.message, message_ids=sent)


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram said to wait, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB warns that retry_after will become a timedelta
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def unsupported_refusal(message: Message) -> tuple[MediaRefusal, str] | None:
    """Why an attachment that is not a photo, a location or a contact is refused, and what it is; None if it is not."""
    for attribute in UNSUPPORTED_KINDS:
        if getattr(message, attribute, None):
            return MediaRefusal.UNSUPPORTED, attribute
    document = message.document
    if document is not None and not is_image(document.mime_type, document.file_name):
        return MediaRefusal.NOT_AN_IMAGE, document.file_name or ""
    return None


def is_image(mime_type: str | None, file_name: str | None) -> bool:
    """Whether a document is an image, by its MIME type or, when that says nothing, its name."""
    if mime_type and mime_type != "application/octet-stream":
        return mime_type.startswith("image/")
    return (file_name or "").lower().endswith(IMAGE_SUFFIXES)

