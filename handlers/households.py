"""The cadre's households and pairings. (Being written.)"""

from bot.app import Context
from bot.messages import Incoming, Outgoing


async def my_households(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the households paired with the cadre."""
    return [Outgoing("建设中")]


async def my_pairings(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the cadre's pairings of every kind."""
    return [Outgoing("建设中")]
