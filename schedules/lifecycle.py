"""The bookkeeping before a dispatch: interrupted sends, expired and superseded reminders, rows to re-address."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from bot.app import BotApp
from bot.db import transaction
from bot.store.delivery_upkeep import (INTERRUPTED, expire_overdue, expire_superseded, readdress,
                                       recover_interrupted)
from schedules.deadlines import refresh_stale_texts

logger = logging.getLogger(__name__)


def prepare_dispatch(app: BotApp, now: datetime) -> Counter:
    """Does all the bookkeeping in one transaction; returns how many rows each step touched."""
    with transaction(app.db):
        counts = Counter(
            recovered=recover_interrupted(app.db, now),
            expired=expire_overdue(app.db, now),
            superseded=expire_superseded(app.db, now),
            readdressed=readdress(app.db, now),
            refreshed=refresh_stale_texts(app, now),
        )
    for step, count in counts.items():
        if count:
            logger.info("reminders: %s %d deliveries", step, count)
    if counts["recovered"]:
        logger.warning("reminders: %d sends were interrupted and are recorded failed (%s)", counts["recovered"],
                       INTERRUPTED)
    return +counts
