"""Questions about the campaign, answered by the answer engine from the campaign file."""

from bot.app import Context
from bot.store.chat_memory import last_question, remember_question
from bot.messages import Incoming, Outgoing


async def answer_question(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers a free-text question about the campaign."""
    return [_answer(msg.text, ctx, None)]


async def current_phase(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Says which phase the campaign is in today."""
    return [_answer("现在是哪个阶段", ctx, "current_phase")]


async def upcoming_deadlines(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the deadlines ahead for the user's unit."""
    return [_answer("下一个截止日期", ctx, "deadlines")]


def _answer(text: str, ctx: Context, intent: str | None) -> Outgoing:
    cadre = ctx.cadre
    previous = last_question(ctx.db, ctx.channel, ctx.chat_id, ctx.now) if intent is None else None
    reply = ctx.app.answerer.answer(
        text, ctx.now, unit_kind=cadre.unit_kind if cadre else None, role=cadre.role if cadre else None,
        intent=intent, previous=previous
    )
    remember_question(ctx.db, ctx.channel, ctx.chat_id, reply.asked, ctx.now)
    return Outgoing(reply.text)
