"""Reminders through the real Telegram adapter to a Bot API that takes a second to answer: the dispatcher claims
no more rows than are really on the wire, and the connections are enough to keep Telegram's rate."""

from __future__ import annotations

import asyncio
import dataclasses

from bot.channels.telegram.adapter import TelegramChannel
from bot.config import TelegramSettings
from bot.db import transaction
from schedules.dispatch import dispatch
from schedules.plan import plan
from tests.fakes.limited_bot_api import LimitedBotApi

CADRES = 90
LATENCY = 1.0


def bind_branch(app, cadres: int) -> None:
    """One county with one village branch of `cadres` cadres, each bound to a Telegram chat of its own."""
    with transaction(app.db):
        app.db.conn.executemany("INSERT INTO units (id, name, parent_id, kind) VALUES (?, ?, ?, ?)",
                                [("U0", "活动办", None, "活动办"), ("U1", "县委", "U0", "县市委"),
                                 ("B1", "村党支部", "U1", "基层党组织")])
        app.db.conn.executemany("INSERT INTO cadres (id, name, unit_id, role) VALUES (?, ?, 'B1', '干部')",
                                [(f"G{i:03d}", f"干部{i}") for i in range(cadres)])
        app.db.conn.executemany("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, bound_at) "
                                "VALUES ('telegram', ?, ?, ?, '2010-05-01T00:00:00+00:00')",
                                [(str(5000 + i), str(5000 + i), f"G{i:03d}") for i in range(cadres)])


async def test_claims_never_outnumber_the_sends_on_the_wire(app):
    fake = LimitedBotApi(latency=(LATENCY, LATENCY))
    await fake.start()
    bind_branch(app, CADRES)
    app.settings = dataclasses.replace(app.settings, telegram=TelegramSettings(
        enabled=True, token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url))
    channel = TelegramChannel(app)
    await channel.application.initialize()
    app.senders["telegram"] = channel
    planned = plan(app, app.clock.now(), kinds=("deadline",)).total
    claimed_at_once = []

    async def watch() -> None:
        while True:
            claimed_at_once.append(app.db.execute(
                "SELECT count(*) FROM deliveries WHERE status = 'sending'").fetchone()[0])
            await asyncio.sleep(0.02)

    watcher = asyncio.create_task(watch())
    try:
        await dispatch(app, app.clock.now())
    finally:
        watcher.cancel()
        await channel.application.shutdown()
        await fake.stop()
    statuses = dict(app.db.execute("SELECT status, count(*) FROM deliveries GROUP BY status").fetchall())
    assert planned == CADRES and set(fake.delivered.values()) == {1}
    # in one process with the client, the fake's clock jitters: a send it refused (429) waits for its retry
    assert statuses == {"sent": len(fake.delivered), "pending": fake.refused} or statuses == {"sent": CADRES}
    print(f"on the wire at most {fake.most_in_progress}, claimed at most {max(claimed_at_once)}")
    # 29 a second through a 1 s API: some 29 on the wire, which the connections must allow (16 did not)
    assert fake.most_in_progress >= 24
    # and no row claimed beyond those: a crash would leave only what really was on its way
    assert max(claimed_at_once) <= min(fake.most_in_progress + 4, TelegramChannel.limits.max_in_flight)
