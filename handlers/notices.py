"""Notices (通知): an administrator sends one to the scope after confirming how many it reaches; cadres confirm
with 收到; 通知情况 adds up the receipts."""

from __future__ import annotations

import re
from datetime import datetime

from bot.app import Context
from bot.errors import UserError
from bot.messages import NO, YES, Choice, Incoming, Outgoing
from bot.notices import draft_notice
from bot.rules import said
from bot.store.notices import notices_in_scope
from bot.store.supervision import cancel_notice, confirm_notice, mark_read, notice_summary
from handlers.supervision_views import admin_scope, scope_words

CONFIRMING_NOTICE = "CONFIRMING_NOTICE"
NOTICE_PREFIX, READ_PREFIX = "notice:", "notice-read:"  # READ_PREFIX as schedules/notices.py puts on the button
SENDS_NOTICE = re.compile(r"^\s*(紧急)?通知(?:$|[\s:：]+)(.*)$", re.S)
STATUS_WORDS = ("通知情况", "/notices")
RECEIVED_WORDS = ("收到", "已收到", "收到了", "好的收到", "收到收到")


def sends_notice(msg: Incoming, ctx: Context) -> bool:
    """Rule: 通知 TEXT or 紧急通知 TEXT (a notice to send), not a question about notices."""
    return msg.choice is None and bool(SENDS_NOTICE.match(msg.text))


asks_status = said(*STATUS_WORDS)  # Rule: 通知情况 (/notices)


def says_received(msg: Incoming, ctx: Context) -> bool:
    """Rule: 收到 (a cadre confirming a notice)."""
    return msg.text.strip("。！!. ") in RECEIVED_WORDS


async def write_notice(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Drafts the notice and says how many it will reach; nothing is sent before 确认."""
    urgent, text = SENDS_NOTICE.match(msg.text).groups()
    scope = admin_scope(ctx)
    try:
        draft = draft_notice(ctx.db, scope, text, bool(urgent), ctx.now)
    except UserError as exc:
        return [Outgoing(str(exc))]
    ctx.set_state(CONFIRMING_NOTICE, {"notice": draft.notice_id})
    unbound = f"，其中 {draft.recipients - draft.bound} 人未绑定、暂时收不到" if draft.bound < draft.recipients else ""
    night = "紧急通知夜间也会发送。" if urgent else "夜间免打扰时段内不发送，早上再发。"
    return [Outgoing(f"这条通知将发给{scope_words(ctx, scope)}的 {draft.recipients} 名干部（不含您本人）{unbound}。"
                     f"{night}确认发送吗？",
                     choices=(Choice("确认发送", NOTICE_PREFIX + "yes", YES), Choice("取消", NOTICE_PREFIX + "no", NO)))]


async def confirm(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Sends the drafted notice once confirmed, or cancels it."""
    notice_id = ctx.state_data["notice"]
    ctx.clear_state()
    if msg.choice != NOTICE_PREFIX + "yes":
        cancel_notice(ctx.db, notice_id)
        return [Outgoing("已取消，通知没有发送。")]
    recipients = confirm_notice(ctx.db, notice_id, ctx.now)
    return [Outgoing(f"通知已确认，正在发给 {recipients} 名干部。稍后发送“通知情况”查看送达和已读情况。")]


async def stale_choice(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers a 确认发送 pressed when no notice waits for confirmation."""
    return [Outgoing("这个选项已经失效。如要发通知，请重新发送“通知 内容”。")]


async def read_by_button(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records that the cadre read the notice whose 收到 button they pressed."""
    notice_id = int(msg.choice[len(READ_PREFIX):]) if msg.choice[len(READ_PREFIX):].isdigit() else -1
    return [_read_reply(mark_read(ctx.db, ctx.cadre.id, ctx.now, notice_id))]


async def read_by_text(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records that the cadre read their latest unread notice."""
    return [_read_reply(mark_read(ctx.db, ctx.cadre.id, ctx.now))]


def _read_reply(notice_id: int | None) -> Outgoing:
    if notice_id is None:
        return Outgoing("您没有需要确认的通知。有问题可以直接打字问我。")
    return Outgoing("已确认收到，谢谢。")


async def show_status(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Adds up the receipts of the scope's latest notices: reached, read, unread, undeliverable with reasons."""
    scope = admin_scope(ctx)
    notices = notices_in_scope(ctx.db, scope)
    if not notices:
        return [Outgoing(f"{scope_words(ctx, scope)}还没有发过通知。发通知请发送“通知 内容”。")]
    lines = [f"{scope_words(ctx, scope)}最近的通知："]
    for notice in notices:
        s = notice_summary(ctx.db, notice.id)
        when = ctx.app.local_text(datetime.fromisoformat(notice.created_at))
        failed = "、".join(f"{reason} {n}" for reason, n in s.undeliverable.items()) or "无"
        lines.append(f"· {when} {notice.sender_name}：“{notice.text[:20]}”\n  共 {s.recipients} 人：已送达 "
                     f"{s.read + s.unread}（已读 {s.read}，未读 {s.unread}），待发送 {s.pending}，"
                     f"未送达 {sum(s.undeliverable.values())}（{failed}）")
    return [Outgoing("\n".join(lines))]
