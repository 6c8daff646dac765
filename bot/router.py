"""Answers one Incoming: finds who sent it, restores their conversation, resolves an answer to the choices last
offered, runs the first route that matches and allows them, remembers the choices the reply offers, never crashes."""

from __future__ import annotations

import dataclasses
import logging
import re

from bot import metrics
from bot.app import BotApp, Context
from bot.db import database_busy, roll_back_open_transaction
from bot.messages import NO, YES, Event, Incoming, Outgoing
from bot.rules import BOUND, OFFICE, UNIT_ADMIN, Requires, Route
from bot.store.bindings import touch_binding
from bot.store.cadres import bound_cadre, cadre_by_id
from bot.store.state import load_state, save_choices

logger = logging.getLogger(__name__)

# Characters no cadre types: they cannot be stored in SQLite (lone surrogates) or an Excel report (C0 controls),
# and could only make a stored note break whoever reads it later.
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NUMBERED = re.compile(r"第?(\d{1,3})[户戶号號个個项項]?")  # 2, 第2户, 2号: what a cadre types for the second option
CRASH_REPLY = "抱歉，处理这条消息时出了错，这条消息没有保存。请稍后再发一次；如果一直不行，请联系本单位管理员。"
HEARD = "您说的是：{text}\n"
NOT_BOUND = "请先绑定干部身份：发送“绑定 绑定码”（绑定码向本单位管理员索取）；在 Telegram 上也可以发送 /start 后点“分享手机号”。"
PHOTO_NOT_SAVED = "您还没有绑定干部身份，照片没有保存。"
ADMINS_ONLY = ("仅限管理员使用：只有单位管理员和活动办能查看。您自己的走访情况请发送“我的联系户”；"
               "您负责的单位如需查看，请让活动办在花名册里把您设为单位管理员。")
ADMIN_NOT_BOUND = ("这是单位管理员和活动办的功能，需要先绑定管理员身份：请发送“绑定 绑定码”"
                   "（管理员的绑定码向州活动办索取）。")
# Words that confirm or cancel whatever the bot just offered (the option whose `means` is YES or NO).
ANSWER_WORDS = {YES: {"是", "是的", "确认", "确定", "好", "好的", "对", "可以", "发送"},
                NO: {"不", "不是", "否", "取消", "不要", "不用", "算了", "不发"}}
OFFICE_ONLY = "仅限活动办管理员使用。如有需要，请联系州活动办。发送“帮助”查看您可以做什么。"


@metrics.observed
async def answer(app: BotApp, msg: Incoming, routes: list[Route] | None = None) -> list[Outgoing]:
    """The replies to one message, from the first route in `routes` (the app's table by default) that matches it."""
    routes = app.routes if routes is None else routes
    route = None
    try:  # the rules and the context read the database and the answer engine too: a failure there is answered
        msg = without_control_characters(msg)
        ctx = load_context(app, msg)
        msg = resolve_choice(msg, ctx)
        route = next((r for r in routes if r.answers_in(ctx.state) and r.rule(msg, ctx)), None)
        if route is None:
            return []
        logger.debug("%s/%s -> %s", msg.channel, msg.chat_id, route.name)
        replies = await route.handler(msg, ctx) if route.allows(ctx) else [refusal(route.requires, msg, ctx)]
        remember_choices(ctx, replies)
        replies = with_what_was_heard(msg, replies)
        return [] if msg.event is Event.LOCATION_REPORT else replies  # the user sent nothing: nothing to answer
    except Exception as exc:
        if database_busy(exc):
            raise  # not a failure of the message: whoever runs it keeps it and tries again when the lock is free
        logger.exception("handler %s failed on a %s message", route.name if route else "(routing)", msg.channel)
        metrics.handler_failed(msg.channel, route.name if route else "(routing)")
        roll_back_open_transaction(app.db)
        return [Outgoing(CRASH_REPLY)]


def with_what_was_heard(msg: Incoming, replies: list[Outgoing]) -> list[Outgoing]:
    """For a voice message, the first reply begins with the words the platform heard, so a mishearing shows."""
    if not (msg.voice and msg.text.strip() and replies):
        return replies
    first = dataclasses.replace(replies[0], text=HEARD.format(text=msg.text.strip()) + replies[0].text)
    return [first, *replies[1:]]


def refusal(requires: Requires, msg: Incoming, ctx: Context) -> Outgoing:
    """The one answer to someone a route does not allow: a visitor is asked to bind first, whatever the route needs."""
    if ctx.cadre is None and requires in (UNIT_ADMIN, OFFICE):
        return Outgoing(ADMIN_NOT_BOUND)
    if requires is BOUND or ctx.cadre is None:
        return Outgoing((PHOTO_NOT_SAVED if msg.photos else "") + NOT_BOUND)
    if requires is UNIT_ADMIN:
        return Outgoing(ADMINS_ONLY)
    assert requires is OFFICE, requires
    return Outgoing(OFFICE_ONLY)


def without_control_characters(msg: Incoming) -> Incoming:
    """The message with control characters and lone surrogates dropped from its text (line breaks and tabs kept)."""
    text = _UNSAFE_CHARACTERS.sub("", msg.text.replace("\r\n", "\n").replace("\r", "\n"))
    return msg if text == msg.text else dataclasses.replace(msg, text=text)


def load_context(app: BotApp, msg: Incoming) -> Context:
    """Builds the handler context: the bound cadre (if any) and the chat's stored conversation state."""
    ctx = Context(app=app, now=app.clock.now(), channel=msg.channel, chat_id=msg.chat_id)
    ctx.cadre = bound_cadre(app.db, msg.channel, msg.chat_id)
    if ctx.cadre is not None:
        touch_binding(app.db, msg.channel, msg.chat_id, ctx.now)
    elif (acting := app.acting_as.get((msg.channel, msg.chat_id))) is not None:
        ctx.cadre = cadre_by_id(app.db, acting)
    stored = load_state(app.db, msg.channel, msg.chat_id)
    ctx.state, ctx.state_data, ctx.offered = stored.state, stored.data, stored.choices
    return ctx


def resolve_choice(msg: Incoming, ctx: Context) -> Incoming:
    """Turns '2', '第2户', an option's label, or a word of yes (是/确认/好) or no (不/取消) for the option that means
    it, into the value of the choice offered last (for channels without buttons, and cadres who type)."""
    text = msg.text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if msg.choice is not None or not ctx.offered or not text:
        return msg
    number = _NUMBERED.fullmatch(text)
    for index, offered in enumerate(ctx.offered, start=1):
        if text == offered.label or (number and int(number[1]) == index):
            return dataclasses.replace(msg, choice=offered.value)
    word = text.strip("。.!！ ")
    meant = next((means for means, words in ANSWER_WORDS.items() if word in words), None)
    matching = [offered for offered in ctx.offered if meant and offered.means == meant]
    return dataclasses.replace(msg, choice=matching[0].value) if len(matching) == 1 else msg


def remember_choices(ctx: Context, replies: list[Outgoing]) -> None:
    """Stores the choices the last reply that has any offers, with the chat's state, so an answer can be resolved."""
    offered = next((reply.choices for reply in reversed(replies) if reply.choices), None)
    if offered is not None and ctx.state is not None:
        save_choices(ctx.db, ctx.channel, ctx.chat_id, offered)
        ctx.offered = offered
