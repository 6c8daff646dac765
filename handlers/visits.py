"""Reporting a home visit by photo, and listing one's visits. (Being written.)"""

from bot.app import Context
from bot.messages import Incoming, Outgoing

CHOICE_PREFIX = "visit:"
CANCEL_CHOICE = "visit-cancel"
CHOOSING_HOUSEHOLD = "CHOOSING_HOUSEHOLD"


async def refuse_media(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Explains why an attachment was refused."""
    return [Outgoing(msg.rejected_media or "")]


async def receive_photo(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records a visit from a photo."""
    return [Outgoing("建设中")]


async def receive_location(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Attaches a location to the latest visit."""
    return [Outgoing("建设中")]


async def choose_household(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records the pending visit for the chosen household."""
    return [Outgoing("建设中")]


async def cancel_pending(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Drops the pending photo."""
    return [Outgoing("建设中")]


async def my_visits(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the cadre's recent visits."""
    return [Outgoing("建设中")]
