"""The administrator's way into the web console: "后台" (or /console) sends a one-time login link."""

from bot.app import Context
from bot.console import LinkRefused, issue_login_link
from bot.messages import Incoming, Outgoing
from bot.rules import normalized_text, parse_command

CONSOLE_WORDS = ("后台", "管理后台", "网页后台")


def asks_console(msg: Incoming, ctx: Context) -> bool:
    """Rule: the user asks for the web console (/console, 后台, 管理后台)."""
    parsed = parse_command(msg.text)
    if parsed is not None:
        return parsed[0] == "console"
    return bool(msg.text.strip()) and normalized_text(msg, ctx).strip() in CONSOLE_WORDS


async def console_link(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Sends an administrator a login link for the web console, valid 10 minutes, usable once, bound to this chat."""
    try:
        link = issue_login_link(ctx.db, ctx.app.settings, ctx.cadre.id, ctx.now, ctx.channel, ctx.chat_id)
    except LinkRefused as exc:
        return [Outgoing(str(exc))]
    minutes = ctx.app.settings.console.link_ttl_minutes
    return [Outgoing(f"管理后台登录链接（{minutes} 分钟内有效，只能用一次，请勿转发）：\n{link.url}\n"
                     "用电脑或手机浏览器打开，点“进入后台”即可。")]
