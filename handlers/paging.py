"""Long lists an administrator reads a page at a time: the place is kept in the chat's state, 下一页 goes on."""

from bot.app import Context
from bot.messages import Choice, Incoming, Outgoing

BROWSING = "BROWSING"
NEXT_PAGE = "page:next"
NEXT_CHOICE = Choice("下一页", NEXT_PAGE)


def paged(ctx: Context, listing: str, next_offset: int, text: str, more: bool, data: dict | None = None) -> Outgoing:
    """The reply with one page; when more rows follow, 下一页 is offered. The place (and the page's own data, such
    as the numbers of the visits shown) is kept in the chat's state."""
    if more or data:
        ctx.set_state(BROWSING, {"listing": listing, "offset": next_offset, "more": more, **(data or {})})
    elif ctx.state == BROWSING:
        ctx.clear_state()
    if not more:
        return Outgoing(text)
    return Outgoing(text + "\n发送“下一页”继续查看。", choices=(NEXT_CHOICE,))


def asks_next_page(msg: Incoming, ctx: Context) -> bool:
    """Rule: 下一页, pressed or typed (the router turns a typed one into the choice while a list is open)."""
    return msg.choice == NEXT_PAGE or (msg.choice is None and msg.text.strip() in ("下一页", "下页", "/next"))
