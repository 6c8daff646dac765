"""The WeChat channel: an Official Account (公众号/服务号) or a WeCom (企业微信) application, through wechatpy.

The callback verifies every request (signature; msg_signature and AES in safe mode), answers within WeChat's
5 seconds (a passive reply when the answer is ready in time, else an empty answer and an API message later),
and recognises WeChat's retries by MsgId (events: FromUserName + CreateTime) kept in processed_messages.
Only this package imports wechatpy (here: its crypto, parser and replies); the API calls are in api.py (httpx),
sending in sending.py, the request checks in guard.py.
"""

from __future__ import annotations

import asyncio
import binascii
import dataclasses
import logging
import secrets
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.parsers.expat import ExpatError

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from wechatpy.crypto import WeChatCrypto as OfficialCrypto
from wechatpy.enterprise import parse_message as parse_work_message
from wechatpy.enterprise.crypto import WeChatCrypto as WorkCrypto
from wechatpy.enterprise.exceptions import InvalidCorpIdException
from wechatpy.enterprise.replies import TextReply as WorkTextReply
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.parser import parse_message as parse_official_message
from wechatpy.replies import TextReply as OfficialTextReply
from wechatpy.utils import check_signature

from bot import metrics
from bot.app import BotApp
from bot.channels.base import ChannelConfigError
from bot.channels.wechat.api import MediaTooLarge, WeChatApi, WeChatApiError, missing_settings
from bot.channels.wechat.guard import Refused, check_fresh, parse_envelope, read_body, retry_key, safe_xml_text
from bot.channels.wechat.limits import sending_limits
from bot.channels.wechat.menu import BUTTONS, create_menu, menu_summary
from bot.channels.wechat.sending import CHANNEL, WeChatSender
from bot.channels.wechat.texts import wechat_texts
from bot.errors import UserError
from bot.messages import DeliveryResult, Event, Incoming, IncomingPhoto, Location, MediaRefusal, Outgoing, SendingLimits
from bot.router import CRASH_REPLY, answer as answer_message
from bot.rules import Route as HandlerRoute
from bot.store.seen import KEEP_SEEN, finish_seen, first_time_seen, forget_seen

logger = logging.getLogger(__name__)

REPLY_BUDGET_SECONDS = 4.0  # WeChat gives up after 5 s; what is not ready by then goes through the API
_DECRYPT_ERRORS = (InvalidAppIdException, InvalidCorpIdException, ValueError, TypeError, IndexError, struct.error,
                   binascii.Error, UnicodeDecodeError)

Work = Callable[[], Awaitable[list[Outgoing]]]


@dataclass
class _Answer:
    """One message being answered: its work, and who delivers the result (a passive reply or the API)."""

    task: asyncio.Task
    chat_id: str
    replied: bool = False
    sent_later: bool = False


class WeChatChannel:
    """The WeChat callback on the shared HTTP app, and sending through WeChat's API."""

    name = CHANNEL

    @property
    def limits(self) -> SendingLimits:
        """How fast this account may send (WeCom and the Official Account differ)."""
        return sending_limits(self.app.settings.wechat.kind)

    def __init__(self, app: BotApp, *, reply_budget: float = REPLY_BUDGET_SECONDS, wall_clock=time.time,
                 routes: list[HandlerRoute] | None = None, media_retry_delays: tuple[float, ...] = (0.5, 2.0)):
        settings = app.settings.wechat
        if settings.kind not in ("official", "work"):
            raise ChannelConfigError('[wechat] kind 应为 "official"（公众号）或 "work"（企业微信）。')
        missing = missing_settings(settings)
        if missing:
            raise ChannelConfigError(f"[wechat] 缺少配置：{'、'.join(missing)}。")
        if settings.kind == "work" and not settings.agent_id.isdigit():
            raise ChannelConfigError("[wechat] agent_id 应为企业微信应用的 AgentId（一串数字）。")
        self.app = app
        self.settings = settings
        self.work = settings.kind == "work"
        self.reply_budget = reply_budget
        self.wall_clock = wall_clock  # WeChat's timestamps and token expiry are real time, whatever the bot clock
        self.handler_routes = routes if routes is not None else app.routes
        self.api = WeChatApi(settings, app.db, wall_clock=wall_clock, media_retry_delays=media_retry_delays)
        self.sender = WeChatSender(app, self.api)
        self.crypto = self._make_crypto()
        self._answers: dict[str, _Answer] = {}
        self._background: set[asyncio.Task] = set()

    def _make_crypto(self):
        if not self.settings.encoding_aes_key:
            return None
        try:
            if self.work:
                return WorkCrypto(self.settings.token, self.settings.encoding_aes_key, self.settings.corp_id)
            return OfficialCrypto(self.settings.token, self.settings.encoding_aes_key, self.settings.app_id)
        except (AssertionError, ValueError, binascii.Error):
            raise ChannelConfigError("[wechat] encoding_aes_key 不正确：应为微信后台给出的 43 个字符。") from None

    # ---- the Channel protocol ----

    def routes(self) -> list[BaseRoute]:
        """The callback route: GET for URL verification, POST for messages."""
        return [Route(self.settings.path, self.callback, methods=["GET", "POST"])]

    async def start(self) -> None:
        """Forgets retry keys older than a week (WeChat retries within seconds)."""
        forget_seen(self.app.db, CHANNEL, self.app.clock.now() - KEEP_SEEN)
        logger.info("WeChat (%s) callback at %s", self.settings.kind, self.settings.path)

    async def open_for_sending(self) -> None:
        """Nothing to open: the API client connects on the first send; stop() closes it."""

    async def stop(self) -> None:
        """Lets replies still being sent finish (a few seconds at most), then closes the API connections."""
        pending = [a.task for a in self._answers.values()] + list(self._background)
        if pending:
            _, late = await asyncio.wait(pending, timeout=10)
            for task in late:
                task.cancel()
        await self.api.close()

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Sends a message the bot starts: WeCom application message; Official Account customer service or template."""
        return await self.sender.send(chat_id, message)

    # ---- the callback ----

    @metrics.counted_callback
    async def callback(self, request: Request) -> Response:
        """WeChat's callback: answers URL verification (GET) and messages (POST); refuses what fails a check."""
        try:
            check_fresh(request.query_params.get("timestamp"), self.wall_clock())
            if request.method == "GET":
                return PlainTextResponse(self._verify_url(request.query_params))
            return await self._receive(request)
        except Refused as refused:
            logger.warning("WeChat callback refused with %d: %s", refused.status, refused.reason)
            return PlainTextResponse("", status_code=refused.status)

    def _verify_url(self, query: QueryParams) -> str:
        echo = query.get("echostr", "")
        if not self.work:
            self._check_signature(query)
            return echo
        try:
            return self.crypto.check_signature(query.get("msg_signature", ""), query.get("timestamp"),
                                               query.get("nonce", ""), echo)
        except InvalidSignatureException:
            raise Refused(403, "bad msg_signature on URL verification") from None
        except _DECRYPT_ERRORS:
            raise Refused(403, "echostr does not decrypt") from None

    def _check_signature(self, query: QueryParams) -> None:
        try:
            check_signature(self.settings.token, query.get("signature", ""), query.get("timestamp"),
                            query.get("nonce", ""))
        except InvalidSignatureException:
            raise Refused(403, "bad signature") from None

    async def _receive(self, request: Request) -> Response:
        query = request.query_params
        encrypted = self.work or query.get("encrypt_type", "raw").lower() == "aes"
        if not self.work:
            self._check_signature(query)  # the Official Account signs every request, encrypted or not
        if not encrypted and self.crypto is not None:
            # The signature covers neither the body nor encrypt_type: with a key set (compatible or safe mode),
            # a plaintext request is a replayed query with a forged body, never WeChat.
            raise Refused(403, "plaintext request while an encoding_aes_key is configured")
        text = safe_xml_text(await read_body(request))
        if encrypted:
            text = self._decrypt(text, query)
        fields = parse_envelope(text)
        try:
            message = parse_work_message(text) if self.work else parse_official_message(text)
            work = self._work_for(message, fields)
        except (KeyError, AttributeError, TypeError, ValueError, ExpatError):
            raise Refused(400, "not a WeChat message") from None
        if work is None:
            return self._empty()
        return await self._answer(retry_key(fields), message, work, encrypted)

    def _decrypt(self, text: str, query: QueryParams) -> str:
        if self.crypto is None:
            raise Refused(403, "encrypted message but no encoding_aes_key configured")
        envelope = parse_envelope(text)
        if not isinstance(envelope.get("Encrypt"), str):
            raise Refused(400, "encrypted message without <Encrypt>")
        try:
            plain = self.crypto.decrypt_message(envelope, query.get("msg_signature", ""), query.get("timestamp"),
                                                query.get("nonce", ""))
        except InvalidSignatureException:
            raise Refused(403, "bad msg_signature") from None
        except _DECRYPT_ERRORS:
            raise Refused(403, "message does not decrypt with our key") from None
        return safe_xml_text(plain)

    # ---- what a message asks for ----

    def _work_for(self, message, fields: dict) -> Work | None:
        """The work that answers the message, or None for what needs no answer (unknown events)."""
        if not message.source:
            raise ValueError("message without FromUserName")
        base = Incoming(channel=CHANNEL, chat_id=message.source, user_id=message.source,
                        sent_at=datetime.fromtimestamp(message.time, timezone.utc), message_id=retry_key(fields))
        if message.type == "text":
            return lambda: self._dispatch(dataclasses.replace(base, text=message.content or ""))
        if message.type == "image":
            return lambda: self._photo(base, message.media_id)
        if message.type == "location":
            location = Location(float(message.location_x), float(message.location_y), message.label or "")
            return lambda: self._dispatch(dataclasses.replace(base, location=location))
        if fields.get("MsgType") != "event":
            return lambda: self._dispatch(dataclasses.replace(base, refused_media=MediaRefusal.UNSUPPORTED))
        return self._event_work(message, base)

    def _event_work(self, message, base: Incoming) -> Work | None:
        event = message.event
        if event == "location":
            location = Location(float(message.latitude), float(message.longitude))
            return lambda: self._dispatch(dataclasses.replace(base, location=location, event=Event.LOCATION_REPORT))
        if event == "click":
            button = BUTTONS.get(message.key or "")
            if button is None:
                return None
            click = dataclasses.replace(base, event=Event.MENU_CLICK, menu_key=button.key, text=button.question or "")
            return lambda: self._dispatch(click)
        if event in ("subscribe", "subscribe_scan"):
            return lambda: self._dispatch(dataclasses.replace(base, event=Event.SUBSCRIBE))
        if event == "unsubscribe":
            return lambda: self._dispatch(dataclasses.replace(base, event=Event.UNSUBSCRIBE))
        return None

    async def _dispatch(self, msg: Incoming) -> list[Outgoing]:
        return await answer_message(self.app, msg, self.handler_routes)

    async def _photo(self, base: Incoming, media_id: str) -> list[Outgoing]:
        max_bytes = self.app.settings.photos.max_bytes
        try:
            data = await self.api.download_media(media_id, max_bytes)
            msg = dataclasses.replace(base, photos=(IncomingPhoto(data=data, source_id=media_id),))
        except MediaTooLarge:
            msg = dataclasses.replace(base, refused_media=MediaRefusal.TOO_LARGE, refused_limit=max_bytes)
        except WeChatApiError as exc:
            logger.warning("WeChat photo download failed for good: %s", exc.meaning)
            msg = dataclasses.replace(base, refused_media=MediaRefusal.NOT_RECEIVED)
        return await self._dispatch(msg)

    # ---- answering once, within 5 seconds ----

    async def _answer(self, key: str, message, work: Work, encrypted: bool) -> Response:
        answer = self._answers.get(key)
        if answer is None:
            if not self._first_time(key):
                logger.info("WeChat retry of an answered message ignored")
                return self._empty()
            answer = self._answers[key] = _Answer(asyncio.create_task(self._safely(work, key)), message.source)
            answer.task.add_done_callback(lambda _: self._answers.pop(key, None))
        try:
            replies = await asyncio.wait_for(asyncio.shield(answer.task), self.reply_budget)
        except asyncio.TimeoutError:
            self._send_later(answer)
            return self._empty()
        if answer.replied or answer.sent_later:
            return self._empty()
        texts = wechat_texts(replies)
        if len(texts) > 1:  # a passive reply carries one message
            self._send_later(answer)
            return self._empty()
        answer.replied = True
        return self._passive(message, texts[0], encrypted) if texts else self._empty()

    def _first_time(self, key: str) -> bool:
        # Claimed before the work runs and finished after it: a retry during the work joins it (self._answers),
        # a retry after it is ignored, and a retry after a crash in the middle is answered by the new process.
        return first_time_seen(self.app.db, CHANNEL, key, self.app.clock.now())

    async def _safely(self, work: Work, key: str) -> list[Outgoing]:
        try:
            replies = await work()
        except Exception:
            logger.exception("answering a WeChat message failed")
            replies = [Outgoing(CRASH_REPLY)]
        finish_seen(self.app.db, CHANNEL, key, self.app.clock.now())
        return replies

    def _send_later(self, answer: _Answer) -> None:
        if answer.replied or answer.sent_later:
            return
        answer.sent_later = True
        task = asyncio.create_task(self._deliver_later(answer))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _deliver_later(self, answer: _Answer) -> None:
        for text in wechat_texts(await answer.task):
            try:
                await self.sender.reply(answer.chat_id, text)
            except WeChatApiError as exc:
                logger.warning("a late WeChat reply was not delivered: %s", exc.meaning)
                return

    def _passive(self, message, text: str, encrypted: bool) -> Response:
        reply_class = WorkTextReply if self.work else OfficialTextReply
        # wechatpy puts the text in CDATA as it is: a "]]>" in it (a user's words echoed) would end the section early
        safe_text = text.replace("]]>", "]]]]><![CDATA[>")
        xml = reply_class(message=message, content=safe_text, time=int(self.wall_clock())).render()
        if encrypted:
            xml = self.crypto.encrypt_message(xml, secrets.token_hex(8), str(int(self.wall_clock())))
        return Response(xml, media_type="application/xml")

    def _empty(self) -> Response:
        # The Official Account takes "success"; WeCom wants an empty body.
        return PlainTextResponse("" if self.work else "success")


def set_up_menu(app: BotApp) -> str:
    """Creates the WeChat custom menu (campaign-bot wechat-menu); returns what to tell the clerk, in Chinese."""
    settings = app.settings.wechat
    missing = missing_settings(settings, callback=False)
    if missing:
        raise UserError(f"请先在配置文件的 [wechat] 中填写：{'、'.join(missing)}。")
    try:
        asyncio.run(create_menu(settings, app.db))
    except WeChatApiError as exc:
        raise UserError(f"创建微信菜单失败：{exc.meaning}") from None
    return f"微信菜单已创建：{menu_summary()}。干部点菜单即可提问；菜单在微信里生效可能需要几分钟。"
