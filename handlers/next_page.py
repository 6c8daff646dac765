"""下一页 of whichever list the administrator is reading."""

from bot.app import Context
from bot.messages import Incoming, Outgoing
from handlers.review import review_page
from handlers.supervision_views import overdue_page

PAGES = {"overdue": lambda ctx, offset: [overdue_page(ctx, offset)], "review": review_page}


async def next_page(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Shows the next page of the list being read."""
    page = PAGES.get(ctx.state_data.get("listing"))
    if page is not None and not ctx.state_data.get("more"):
        return [Outgoing("已经是最后一页了。")]
    if page is None:
        ctx.clear_state()
        return [Outgoing("这个列表已经失效，请重新发送“谁没走访”或“审核走访”。")]
    return page(ctx, int(ctx.state_data.get("offset", 0)))


async def stale_page(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers 下一页 pressed when no list is being read."""
    return [Outgoing("没有正在查看的列表。请发送“谁没走访”或“审核走访”。")]
