"""Binding a chat to a cadre and unbinding it. (Placeholder: the Telegram issue builds codes and contacts.)"""

from bot.app import Context
from bot.messages import Incoming, Outgoing

NOT_YET = "绑定功能正在建设中，请联系本单位管理员。"


async def bind_by_contact(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Binds the chat to the cadre whose phone number the user shared."""
    return [Outgoing(NOT_YET)]


async def bind_by_code(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Binds the chat to a cadre with a one-time code."""
    return [Outgoing(NOT_YET)]


async def unbind(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Unbinds the chat from its cadre."""
    return [Outgoing(NOT_YET)]
