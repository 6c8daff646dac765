"""Binding a chat to a cadre (by shared phone number or one-time code) and unbinding it, on any channel."""

import re

from bot.app import Context
from bot.db import transaction
from bot.messages import NO, YES, Choice, Incoming, Outgoing
from bot.rules import parse_command
from bot.store.binding_codes import CodeProblem, redeem_code
from bot.store.bindings import BLOCKED_REASON, UNBOUND_REASON, bind_chat, deactivate_chat, normalise_phone
from bot.store.cadres import cadre_by_id, cadres_with_phone

ASK_ADMIN = "请向本单位管理员索取绑定码，然后发送“绑定 绑定码”。"
CODE_PROBLEMS = {
    CodeProblem.UNKNOWN: "绑定码“{code}”不存在，请核对后重发（绑定码为 8 位字母和数字）。",
    CodeProblem.USED: "绑定码“{code}”已经用过，每个绑定码只能用一次。" + ASK_ADMIN,
    CodeProblem.EXPIRED: "绑定码“{code}”已过期。请向本单位管理员索取新的绑定码。",
    CodeProblem.TOO_MANY: "绑定码输错次数太多，本聊天暂停绑定 1 小时。请 1 小时后核对绑定码再试；仍不行请联系本单位管理员。",
}


# "绑定 ABCD2345", "綁定碼：abcd-2345", or a bare "绑定"; not a question that starts with the word ("绑定码在哪要").
_BIND_MESSAGE = re.compile(r"^\s*[绑綁]定\s*[码碼]?\s*[:：]?[\s0-9A-Za-z０-９Ａ-Ｚａ-ｚ-]*$")


def sends_code(msg: Incoming, ctx: Context) -> bool:
    """Matches a message that hands over a binding code."""
    return bool(_BIND_MESSAGE.match(msg.text))


def start_with_code(msg: Incoming, ctx: Context) -> bool:
    """Matches a /start deep link that carries a code: '/start ABCD2345'."""
    parsed = parse_command(msg.text)
    return parsed is not None and parsed[0] == "start" and bool(parsed[1])


def bound_reply(name: str, unit_name: str) -> Outgoing:
    """The confirmation after a successful binding."""
    return Outgoing(f"绑定成功！{name}同志（{unit_name}），您好。\n"
                    "现在可以查看联系户、拍照上报走访、接收提醒了。发送“帮助”查看可以做什么。")


def masked(phone: str) -> str:
    """'13800001234' -> '138****1234', for messages."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else phone


async def bind_by_contact(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Binds the chat to the cadre whose phone number the user shared, if it is the user's own number."""
    contact = msg.contact
    if contact.user_id is None or contact.user_id != msg.user_id:
        return [Outgoing("只能用您本人的手机号绑定。请点下方“分享我的手机号”按钮，不要转发别人的名片。", ask_contact=True)]
    phone = normalise_phone(contact.phone)
    cadres = cadres_with_phone(ctx.db, phone)
    if len(cadres) != 1:
        problem = "不在花名册中" if not cadres else "在花名册中对应多名干部"
        return [Outgoing(f"手机号 {masked(phone)} {problem}，无法自动绑定。{ASK_ADMIN}"
                         "如手机号有误，请联系管理员更正花名册。")]
    with transaction(ctx.db):
        bind_chat(ctx.db, msg.channel, msg.chat_id, msg.user_id, cadres[0].id, ctx.now)
        ctx.clear_state()
    return [bound_reply(cadres[0].name, cadres[0].unit_name)]


async def bind_by_code(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Binds the chat to a cadre with a one-time code ('绑定 CODE' or '/start CODE')."""
    parsed = parse_command(msg.text)
    code = parsed[1] if parsed else msg.text.strip()[2:]
    code = code.lstrip("码碼").strip(" ：:")
    if not code:
        return [Outgoing("请在“绑定”后面加上绑定码，例如：绑定 ABCD2345。绑定码向本单位管理员索取。")]
    with transaction(ctx.db):
        result = redeem_code(ctx.db, code, msg.channel, msg.chat_id, ctx.now)
        if isinstance(result, CodeProblem):
            return [Outgoing(CODE_PROBLEMS[result].format(code=code[:20]))]
        bind_chat(ctx.db, msg.channel, msg.chat_id, msg.user_id, result, ctx.now)
        ctx.clear_state()
        cadre = cadre_by_id(ctx.db, result)
    return [bound_reply(cadre.name, cadre.unit_name)]


CONFIRMING_UNBIND = "CONFIRMING_UNBIND"
UNBIND_PREFIX = "unbind:"
UNBIND_CHOICES = (Choice("确定解绑", UNBIND_PREFIX + "yes", YES), Choice("取消", UNBIND_PREFIX + "no", NO))


async def unbind(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Asks the cadre to confirm before unbinding: binding again needs a new code from the administrator."""
    if not ctx.cadre:
        return [Outgoing("本聊天还没有绑定干部身份，不需要解绑。")]
    ctx.set_state(CONFIRMING_UNBIND)
    return [Outgoing("解绑后，本聊天将看不到联系户，也收不到提醒；重新绑定要向本单位管理员索取新的绑定码。确定要解绑吗？",
                     choices=UNBIND_CHOICES)]


async def confirm_unbind(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Unbinds the chat from its cadre once confirmed, or keeps the binding."""
    if msg.choice != UNBIND_PREFIX + "yes":
        ctx.clear_state()
        return [Outgoing("已取消，绑定保持不变。")]
    with transaction(ctx.db):
        deactivate_chat(ctx.db, msg.channel, msg.chat_id, UNBOUND_REASON)
        ctx.clear_state()
    return [Outgoing(f"已解除本聊天与{ctx.cadre.name}的绑定，不会再收到提醒。需要时可发送“绑定 绑定码”重新绑定。")]


async def stale_choice(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers an unbind button pressed when no unbinding is being confirmed."""
    return [Outgoing("这个选项已经失效。如要解绑，请重新发送“解绑”。")]


async def unsubscribed(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Marks the chat's binding inactive when the user unfollows or blocks the bot (following again restores it)."""
    deactivate_chat(ctx.db, msg.channel, msg.chat_id, BLOCKED_REASON)
    return []
