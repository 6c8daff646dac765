"""Reminders through the real Telegram adapter (python-telegram-bot) to the fake Bot API on 127.0.0.1:
a chat answering 429 is resent after retry_after, exactly once; a chat that blocked the bot is recorded."""

from __future__ import annotations

import dataclasses

import pytest

from bot.store.bindings import bind_chat
from bot.channels.telegram.adapter import TelegramChannel
from bot.config import TelegramSettings
from schedules.dispatch import dispatch
from schedules.plan import plan
from tests.conftest import local

CHATS = {"C1": "101", "C2": "102", "C3": "103"}


@pytest.fixture
async def telegram(roster, fake_bot_api):
    """The roster bound on Telegram only, with the channel started against a fake Bot API."""
    fake = fake_bot_api
    roster.db.execute("DELETE FROM bindings")
    for cadre, chat in CHATS.items():
        bind_chat(roster.db, "telegram", chat, chat, cadre, roster.clock.now())
    roster.settings = dataclasses.replace(roster.settings, telegram=TelegramSettings(
        enabled=True, token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url))
    channel = TelegramChannel(roster, poll_timeout=0.2)
    await channel.start()
    roster.senders["telegram"] = channel
    try:
        yield fake
    finally:
        await channel.stop()


def deadline_rows(app) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in app.db.execute(
        "SELECT chat_id, status, attempts, last_error FROM deliveries "
        "WHERE reminder_key = 'deadline:grassroots-plan-meeting:3d'")}


async def test_429_is_resent_after_retry_after_and_blocked_is_recorded(roster, telegram):
    telegram.flood_chat(101, retry_after=5)
    telegram.block_chat(102)
    roster.clock.set(local("2010-05-12T09:00"))
    plan(roster, roster.clock.now(), kinds=("deadline",))
    await dispatch(roster, roster.clock.now())
    rows = deadline_rows(roster)
    assert rows["101"][:2] == ("pending", 1) and rows["103"][:2] == ("sent", 1)
    assert rows["102"][0] == "failed" and "blocked" in rows["102"][2]
    assert roster.db.execute("SELECT active FROM bindings WHERE chat_id = '102'").fetchone()[0] == 0

    del telegram.chat_errors["101"]  # the flood is over
    roster.clock.set(local("2010-05-12T09:00:04"))
    await dispatch(roster, roster.clock.now())
    assert deadline_rows(roster)["101"][0] == "pending"  # retry_after not over yet
    roster.clock.set(local("2010-05-12T09:00:05"))
    await dispatch(roster, roster.clock.now())
    await dispatch(roster, roster.clock.now())
    assert deadline_rows(roster)["101"][:2] == ("sent", 2)

    texts = [(c.chat_id, c.params["text"]) for c in telegram.calls_to("sendMessage")]
    grassroots = [chat for chat, text in texts if "召开动员会议" in text]
    assert sorted(grassroots) == ["101", "101", "102", "103"]  # 101: refused once, delivered once
    assert all("还有3天" in text for _, text in texts if "召开动员会议" in text)
