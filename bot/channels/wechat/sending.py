"""Sending through WeChat's API: WeCom application messages; on the Official Account a customer-service message inside
the 48-hour window, else the template message; WeChat's error codes become delivery outcomes with their meaning.

The template (`[wechat] template_id`) must show the text as {{content.DATA}}.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from pathlib import Path

from bot.app import BotApp
from bot.channels.wechat.api import WeChatApi, WeChatApiError, is_transient, seconds_until_tomorrow
from bot.channels.wechat.texts import IMAGE_SUFFIXES, sendable, wechat_texts
from bot.messages import DeliveryOutcome, DeliveryResult, Outgoing
from bot.store.bindings import BLOCKED_REASON, deactivate_chat, last_seen

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
CUSTOMER_SERVICE_WINDOW = timedelta(hours=48)
WINDOW_CLOSED_CODES = {45015, 45047}  # the customer-service message is refused; a template may still go
UNDELIVERABLE_CODES = {40003, 40037, 45015, 45047, 81013}
BLOCKED_CODES = {43004, 43019}
NO_TEMPLATE = "该用户 48 小时内没有发过消息，客服消息发不出；又没有配置模板消息（[wechat] template_id）。"


class NotDeliverable(Exception):
    """Neither a customer-service nor a template message can reach the user; the message says why."""


class WeChatSender:
    """Sends text to a WeChat user the way the account's kind allows."""

    def __init__(self, app: BotApp, api: WeChatApi):
        self.app = app
        self.api = api
        self.settings = app.settings.wechat

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Sends a message the bot starts and says what became of it; a blocked user's binding goes inactive."""
        kind = self.settings.kind
        texts = wechat_texts([message], kind)
        try:
            if kind == "work":
                ids, file_may_go = [await self.work_message(chat_id, text) for text in texts], True
            else:
                ids, file_may_go = await self._official(chat_id, texts)
            if message.file is not None and file_may_go and sendable(kind, message.file):
                ids.append(await self.send_file(chat_id, message.file))
        except NotDeliverable as exc:
            return DeliveryResult(DeliveryOutcome.UNDELIVERABLE, reason=str(exc))
        except WeChatApiError as exc:
            return await self._failure(chat_id, exc)
        return DeliveryResult(DeliveryOutcome.SENT, message_ids=tuple(i for i in ids if i))

    async def reply(self, chat_id: str, text: str) -> str:
        """Sends a late answer to a user who has just written (so inside the window); raises WeChatApiError."""
        if self.settings.kind == "work":
            return await self.work_message(chat_id, text)
        return await self.customer_service_message(chat_id, text)

    async def _official(self, chat_id: str, texts: list[str]) -> tuple[list[str], bool]:
        """The ids sent, and whether they went as customer-service messages (so a file may follow)."""
        sent: list[str] = []
        if await self._inside_window(chat_id):
            try:
                for text in texts:
                    sent.append(await self.customer_service_message(chat_id, text))
                return sent, True
            except WeChatApiError as exc:
                if sent or exc.code not in WINDOW_CLOSED_CODES or not self.settings.template_id:
                    raise
                logger.info("customer-service message refused (%s); sending the template", exc.meaning)
        if not self.settings.template_id:
            raise NotDeliverable(NO_TEMPLATE)
        return [await self.template_message(chat_id, "\n".join(texts))], False

    async def _inside_window(self, chat_id: str) -> bool:
        seen = await self.app.worker.run(last_seen, self.app.db, CHANNEL, chat_id)
        return seen is not None and self.app.clock.now() - seen < CUSTOMER_SERVICE_WINDOW

    async def customer_service_message(self, chat_id: str, text: str) -> str:
        """An Official Account customer-service text message (message/custom/send)."""
        payload = {"touser": chat_id, "msgtype": "text", "text": {"content": text}}
        return str((await self.api.post("message/custom/send", payload)).get("msgid", ""))

    async def template_message(self, chat_id: str, text: str) -> str:
        """The configured template message with the text as its `content` (message/template/send)."""
        payload = {"touser": chat_id, "template_id": self.settings.template_id, "data": {"content": {"value": text}}}
        return str((await self.api.post("message/template/send", payload)).get("msgid", ""))

    async def work_message(self, chat_id: str, text: str) -> str:
        """A WeCom application text message (message/send); a user outside the application counts as 81013."""
        return await self._work_post({"touser": chat_id, "msgtype": "text", "text": {"content": text}})

    async def _work_post(self, payload: dict) -> str:
        result = await self.api.post("message/send", {**payload, "agentid": int(self.settings.agent_id)})
        if result.get("invaliduser"):
            raise WeChatApiError(81013, "invaliduser")
        return str(result.get("msgid", ""))

    async def send_file(self, chat_id: str, path: Path) -> str:
        """An image (either kind) or, on WeCom, any file: uploaded as temporary media, then sent as its own message
        (WeCom message/send; the Official Account's customer-service message, so only inside the 48 hours)."""
        media_type = "image" if path.suffix.lower() in IMAGE_SUFFIXES else "file"
        media_id = await self.api.upload_media(media_type, path.name, await asyncio.to_thread(path.read_bytes))
        payload = {"touser": chat_id, "msgtype": media_type, media_type: {"media_id": media_id}}
        if self.settings.kind != "work":
            return str((await self.api.post("message/custom/send", payload)).get("msgid", ""))
        return await self._work_post(payload)

    async def _failure(self, chat_id: str, exc: WeChatApiError) -> DeliveryResult:
        logger.warning("WeChat message not sent: %s", exc.meaning)
        if is_transient(exc):
            return DeliveryResult(DeliveryOutcome.RETRY, reason=exc.meaning, retry_after=60)
        if exc.code == 45009:
            wait = seconds_until_tomorrow(datetime.now(timezone.utc))
            return DeliveryResult(DeliveryOutcome.RETRY, reason=exc.meaning, retry_after=wait)
        if exc.code in BLOCKED_CODES:
            await self.app.worker.until_done(deactivate_chat, self.app.db, CHANNEL, chat_id, BLOCKED_REASON,
                                             what="a blocked WeChat chat")
            return DeliveryResult(DeliveryOutcome.BLOCKED, reason=exc.meaning)
        if exc.code in UNDELIVERABLE_CODES:
            return DeliveryResult(DeliveryOutcome.UNDELIVERABLE, reason=exc.meaning)
        return DeliveryResult(DeliveryOutcome.FAILED, reason=exc.meaning)
