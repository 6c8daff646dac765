"""Greeting, help, and the answer to a command the bot does not know."""

from bot.app import Context
from bot.messages import Event, Incoming, Outgoing
from bot.rules import parse_command
from bot.store.bindings import reactivate_blocked_chat
from bot.store.cadres import bound_cadre

HELP_CADRE = (
    "我可以帮您：\n"
    "· 问活动：直接打字问，如“现在是哪个阶段”“下一个截止日期”“四联一带是什么”\n"
    "· 我的联系户：查看与您结对的农户和走访情况\n"
    "· 我的结对：查看您和本单位的全部结对\n"
    "· 上报走访：直接发一张走访照片，可附文字说明；记错了一小时内发“撤销”\n"
    "· 我的走访：查看最近的走访记录\n"
    "· 解绑：解除本聊天与您干部身份的绑定"
)
HELP_VISITOR = (
    "我是创先争优活动助手。您可以直接问活动的阶段、截止日期、四联一带等内容。\n"
    "干部请先绑定身份：发送“绑定 绑定码”（绑定码由本单位管理员提供），"
    "或在 Telegram 上发送 /start 后点“分享手机号”。绑定后可查看联系户、上报走访。"
)
GREETING = (
    "欢迎关注创先争优活动助手！干部请先绑定身份：发送“绑定 绑定码”（例如“绑定 ABCD2345”，"
    "绑定码由本单位管理员提供）。绑定后可以查联系户、拍照上报走访；也可以直接问活动的阶段和截止日期。"
)
WELCOME_BACK = "欢迎回来，{name}同志！您的绑定已恢复，可以继续查联系户、上报走访。发送“帮助”查看可以做什么。"
ALREADY_BOUND = "{name}同志，您好！您已绑定干部身份，可以查联系户、拍照上报走访。发送“帮助”查看可以做什么。"


def starts(msg: Incoming, ctx: Context) -> bool:
    """Rule: the start of a conversation (the START event, or /start typed)."""
    return msg.event is Event.START or ((parsed := parse_command(msg.text)) is not None and parsed[0] == "start")


async def welcome(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Welcomes a follower: restores a binding lost to blocking the bot, and says how to bind when there is none."""
    restored = reactivate_blocked_chat(ctx.db, msg.channel, msg.chat_id)
    cadre = bound_cadre(ctx.db, msg.channel, msg.chat_id) if restored else ctx.cadre
    if cadre is None:
        return [Outgoing(GREETING)]
    return [Outgoing((WELCOME_BACK if restored else ALREADY_BOUND).format(name=cadre.name))]


async def start(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Greets the user and says what the bot can do."""
    if ctx.cadre:
        greeting = f"{ctx.cadre.name}同志，您好！您已绑定为{ctx.cadre.unit_name}的干部。"
        return [Outgoing(greeting + "\n" + HELP_CADRE)]
    return [Outgoing("您好！" + HELP_VISITOR, ask_contact=True)]


async def show_help(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Says what the bot can do for this user."""
    return [Outgoing(HELP_CADRE if ctx.cadre else HELP_VISITOR)]


async def unknown_command(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers a /command the bot does not know."""
    return [Outgoing(f"没有“{msg.text.split()[0][:30]}”这个命令。发送“帮助”查看可以做什么。")]
