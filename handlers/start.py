"""Greeting, help, and the answer to a command the bot does not know."""

from bot.app import Context
from bot.messages import Incoming, Outgoing

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


async def start(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Greets the user and says what the bot can do."""
    if ctx.cadre:
        greeting = f"{ctx.cadre['name']}同志，您好！您已绑定为{ctx.cadre['unit_name']}的干部。"
        return [Outgoing(greeting + "\n" + HELP_CADRE)]
    return [Outgoing("您好！" + HELP_VISITOR, ask_contact=True)]


async def show_help(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Says what the bot can do for this user."""
    return [Outgoing(HELP_CADRE if ctx.cadre else HELP_VISITOR)]


async def unknown_command(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers a /command the bot does not know."""
    return [Outgoing(f"没有“{msg.text.split()[0][:30]}”这个命令。发送“帮助”查看可以做什么。")]
