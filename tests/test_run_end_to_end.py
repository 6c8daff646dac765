"""The whole running bot, as `campaign-bot run` assembles it: BotRunner with Telegram (polling the fake Bot API) and
WeCom (signed, encrypted callbacks posted to our HTTP server; the fake WeChat API) at once, the demo roster, the
reminder scheduler on a fixed clock, cadres bound with codes on each channel, then a restart on the same database."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.app import BotApp
from handlers import ROUTES
from bot.store.binding_codes import issue_codes
from bot.clock import Clock, FixedClock, parse_moment
from bot.config import ReminderSettings, ServerSettings, TelegramSettings, WeChatSettings
from bot.roster import import_roster
from bot.runner import BotRunner
from schedules.texts import deadline_text
from tests.fakes.telegram_api import FakeBotApi, private_message
from tests.fakes.wechat_api import (
    AES_KEY, AGENT_ID, CALLBACK_TOKEN, CORP_ID, CORP_SECRET, FakeWeChatApi, WeChatServer,
)

DEMO_ROSTER = Path(__file__).resolve().parent.parent / "bot" / "data" / "demo"
ROSTER_LOADED = "2010-04-01T09:00"  # the roster came in at the campaign's start: pairings' overdue clocks run from it
NIGHT = "2010-05-08T22:30"  # Saturday night, in quiet hours: the reminders due today wait for the morning
MORNING = "2010-05-09T08:00"  # quiet hours end
SEND_TIME = "2010-05-09T09:00"  # the day's reminders are due
LATER = "2010-05-09T09:30"  # the restart
MORNING_DAY = date(2010, 5, 9)
# Where each cadre is bound: G003 on both channels (each reminder must reach them once, on one of them).
CHATS = {("telegram", "1001"): "G001", ("telegram", "1008"): "G008", ("telegram", "1003"): "G003",
         ("wechat", "wx-g003"): "G003", ("wechat", "wx-g005"): "G005", ("telegram", "1002"): "G002"}
DEADLINE, VISIT, DIGEST = "【截止提醒】", "【走访提醒】", "【每周汇总】"
MESSAGE_IDS = itertools.count(7001)


@pytest.fixture
def telegram_api(fake_bot_api):
    return fake_bot_api


@pytest.fixture
def wechat_api(fake_wechat_api):
    return fake_wechat_api


@pytest.fixture
def both_channels(settings, telegram_api, wechat_api):
    """Settings with Telegram and WeCom pointed at the fakes, and a dispatcher that looks every second."""
    return dataclasses.replace(
        settings, server=ServerSettings(host="127.0.0.1", port=0),
        reminders=ReminderSettings(dispatch_interval_seconds=1),
        telegram=TelegramSettings(enabled=True, token=telegram_api.token, base_url=telegram_api.base_url,
                                  base_file_url=telegram_api.base_file_url),
        wechat=WeChatSettings(enabled=True, kind="work", corp_id=CORP_ID, agent_id=AGENT_ID, secret=CORP_SECRET,
                              token=CALLBACK_TOKEN, encoding_aes_key=AES_KEY, api_base_url=wechat_api.url))


async def wait_until(condition, timeout: float = 60.0) -> None:
    """Polls condition() until it holds; fails the test after timeout seconds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.05)


class RunningBot:
    """One `campaign-bot run` in this loop: the runner, and the chats of both channels talking to it."""

    def __init__(self, app: BotApp, telegram_api: FakeBotApi, wechat_api: FakeWeChatApi):
        self.app, self.telegram_api, self.wechat_api = app, telegram_api, wechat_api
        self.runner = BotRunner(app, port=0)
        self.wechat = WeChatServer("work")
        self.dispatches = 0

    async def __aenter__(self) -> RunningBot:
        await self.runner.start()
        self.runner.scheduler.add_listener(self._count_dispatch)
        self.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.runner.port}")
        return self

    async def __aexit__(self, *exc) -> None:
        await self.http.aclose()
        await self.runner.stop()
        self.app.db.close()

    def _count_dispatch(self, event) -> None:
        if getattr(event, "job_id", None) == "reminders-dispatch":
            self.dispatches += 1

    async def next_dispatches(self, runs: int = 2) -> None:
        """Waits for `runs` more dispatch runs to finish (two: one has surely started after this moment)."""
        target = self.dispatches + runs
        await wait_until(lambda: self.dispatches >= target)

    def code(self, cadre_id: str) -> str:
        """A fresh binding code, as `campaign-bot invite` issues it."""
        [issued] = issue_codes(self.app.db, [cadre_id], self.app.clock.now(), 7)
        return issued.code

    async def telegram(self, user_id: int, text: str) -> str:
        """Sends text from a Telegram user; returns the bot's answer."""
        before = len(self.telegram_api.calls_to("sendMessage"))
        self.telegram_api.push_update(private_message(user_id, text=text))
        await wait_until(lambda: len(self.telegram_api.calls_to("sendMessage")) > before)
        return self.telegram_api.calls_to("sendMessage")[before].params["text"]

    async def wecom(self, user: str, text: str) -> str:
        """Posts text from a WeCom member as WeChat does (signed, encrypted); returns our passive reply."""
        query, body = self.wechat.post(self.wechat.message("text", sender=user, Content=text, MsgId=next(MESSAGE_IDS)))
        response = await self.http.post(f"/wechat?{query}", content=body)
        assert response.status_code == 200, response.text
        return self.wechat.read_reply(response.text)["Content"]


def reminders_received(telegram_api: FakeBotApi, wechat_api: FakeWeChatApi) -> list[tuple[str, str]]:
    """(cadre, text) of every reminder either fake received, in order per channel."""
    sent = [(("telegram", c.chat_id), c.params["text"]) for c in telegram_api.calls_to("sendMessage")]
    sent += [(("wechat", body["touser"]), body["text"]["content"]) for body in wechat_api.sent("message/send")]
    return [(CHATS[chat], text) for chat, text in sent if text.startswith("【")]


def kinds(received: list[tuple[str, str]]) -> Counter:
    """(cadre, text) of each reminder, counted; visit reminders and digests by their first line only."""
    return Counter((cadre, text if text.startswith(DEADLINE) else text.split("\n")[0]) for cadre, text in received)


def expected_deadline(app: BotApp, deadline_id: str, days_left: str) -> str:
    """The deadline reminder as read on the morning it goes out, after checking it says `days_left`."""
    text = deadline_text(app.campaign, app.campaign.deadline(deadline_id), MORNING_DAY)
    assert days_left in text
    return text


def unsent_chatless(app: BotApp, cadres: set[str]) -> int:
    """Pending rows of these cadres not yet addressed to a chat (a dispatch run addresses them)."""
    marks = ",".join("?" * len(cadres))
    return app.db.execute(f"SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND chat_id IS NULL "
                          f"AND cadre_id IN ({marks})", tuple(cadres)).fetchone()[0]


async def test_reminders_reach_both_channels_once_after_quiet_hours_and_a_restart_resends_nothing(
        both_channels, telegram_api, wechat_api, caplog):
    caplog.set_level(logging.INFO)  # what `campaign-bot -v run` logs
    clock = FixedClock(parse_moment(NIGHT))
    app = BotApp.create(both_channels, clock, routes=ROUTES)
    import_roster(app.db, DEMO_ROSTER, now=parse_moment(ROSTER_LOADED))
    async with RunningBot(app, telegram_api, wechat_api) as bot:
        health = await bot.http.get("/healthz")
        assert (health.status_code, health.json()) == (200, {"ok": True, "db": "ok",
                                                             "channels": ["telegram", "wechat"]})
        for user_id, cadre in ((1001, "G001"), (1008, "G008"), (1003, "G003")):
            assert "绑定成功" in await bot.telegram(user_id, f"绑定 {bot.code(cadre)}")
        for user, cadre in (("wx-g005", "G005"), ("wx-g003", "G003")):
            assert "绑定成功" in await bot.wecom(user, f"绑定 {bot.code(cadre)}")
        # a message during the run is answered on both channels, on the bot's clock
        assert "2010年5月8日）是第一阶段" in await bot.telegram(1001, "现在是哪个阶段")
        assert "2010年5月8日）是第一阶段" in await bot.wecom("wx-g005", "现在是哪个阶段")

        bound = {"G001", "G003", "G005", "G008"}
        # a dispatch run has addressed their reminders since they bound, then stopped short: quiet hours
        await wait_until(lambda: unsent_chatless(app, bound) == 0)
        assert reminders_received(telegram_api, wechat_api) == []

        clock.set(parse_moment(MORNING))
        grassroots = expected_deadline(app, "grassroots-plan-meeting", "还有6天")
        expected = Counter({(cadre, grassroots): 1 for cadre in bound} | {
            ("G001", f"{VISIT}您有4户联系户超过30天没有走访："): 1,
            ("G003", f"{VISIT}您有3户联系户超过30天没有走访："): 1,
            ("G005", f"{VISIT}您有1户联系户超过30天没有走访："): 1,
            ("G008", expected_deadline(app, "plan-report", "还有6天")): 1,
            ("G008", f"{DIGEST}中共示例县委员会及下属单位"): 1,
        })
        await wait_until(lambda: len(reminders_received(telegram_api, wechat_api)) >= expected.total())
        await bot.next_dispatches()
        first_run = reminders_received(telegram_api, wechat_api)
        assert kinds(first_run) == expected  # G002 and G004 are not bound: nothing for them
        # The missed 3-day reminder of county-plan-meeting is not sent at 08:00: the 1-day one follows at 09:00.
        clock.set(parse_moment(SEND_TIME))
        expected[("G008", expected_deadline(app, "county-plan-meeting", "明天截止"))] = 1
        await wait_until(lambda: len(reminders_received(telegram_api, wechat_api)) >= expected.total())
        await bot.next_dispatches()
        first_run = reminders_received(telegram_api, wechat_api)
        assert kinds(first_run) == expected

    app = BotApp.create(both_channels, FixedClock(parse_moment(LATER)), routes=ROUTES)  # the restart: same database
    async with RunningBot(app, telegram_api, wechat_api) as bot:
        assert "绑定成功" in await bot.telegram(1002, f"绑定 {bot.code('G002')}")
        newly_bound = Counter({("G002", grassroots): 1, ("G002", f"{VISIT}您有2户联系户超过30天没有走访："): 1,
                               ("G002", f"{DIGEST}示例州农牧局机关党支部及下属单位"): 1})
        await wait_until(lambda: len(reminders_received(telegram_api, wechat_api)) >= len(first_run) + 3)
        await bot.next_dispatches()
        after_restart = reminders_received(telegram_api, wechat_api)
        assert kinds(after_restart) == expected + newly_bound  # what waited for G002, and nothing again
    secrets = [telegram_api.token, CORP_SECRET, CALLBACK_TOKEN, AES_KEY, *wechat_api.valid_tokens]
    assert wechat_api.valid_tokens and [s for s in secrets if s in caplog.text] == []


async def test_the_rehearsal_clock_runs_on_past_quiet_hours_and_a_stop_mid_dispatch_leaves_the_rest_pending(
        both_channels, telegram_api, wechat_api, caplog):
    start = parse_moment("2010-05-09T07:59:58")  # `run --now`: two seconds before quiet hours end
    app = BotApp.create(both_channels, Clock(start), routes=ROUTES)
    import_roster(app.db, DEMO_ROSTER, now=parse_moment(ROSTER_LOADED))
    async with RunningBot(app, telegram_api, wechat_api) as bot:
        assert "绑定成功" in await bot.wecom("wx-g008", f"绑定 {bot.code('G008')}")
        # G008 has three reminders due; WeCom takes one every 2 seconds per member, so the stop comes mid-dispatch
        await wait_until(lambda: wechat_api.sent("message/send"))
        await bot.runner.stop()
        rows = app.db.execute("SELECT status, sent_at FROM deliveries WHERE cadre_id = 'G008'").fetchall()
    sent_at = [datetime.fromisoformat(at) for status, at in rows if status == "sent"]
    assert all(parse_moment(MORNING) <= at < start + timedelta(seconds=60) for at in sent_at)  # clock ran on from --now
    # The stop came after the first send and, WeCom spacing one member's messages 2 s apart, before the last one (a
    # loaded machine may let a second through): none failed, the rest wait for the next start.
    statuses = Counter(status for status, _ in rows)
    assert set(statuses) == {"sent", "pending"} and statuses["sent"] + statuses["pending"] == 3
    assert len(wechat_api.sent("message/send")) == statuses["sent"] == len(sent_at)
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


async def test_a_stop_while_a_send_is_on_the_wire_waits_for_it_and_records_it_sent(both_channels, telegram_api,
                                                                                  wechat_api):
    wechat_api.send_delay = 1.0  # the stop comes while WeCom has the message and has not answered yet
    app = BotApp.create(both_channels, Clock(parse_moment("2010-05-09T09:00")), routes=ROUTES)
    import_roster(app.db, DEMO_ROSTER, now=parse_moment(ROSTER_LOADED))
    async with RunningBot(app, telegram_api, wechat_api) as bot:
        assert "绑定成功" in await bot.wecom("wx-g008", f"绑定 {bot.code('G008')}")
        await wait_until(lambda: wechat_api.sent("message/send"))
        await bot.runner.stop()
        statuses = Counter(r[0] for r in app.db.execute("SELECT status FROM deliveries WHERE cadre_id = 'G008'"))
    assert statuses["sent"] == len(wechat_api.sent("message/send")) >= 1  # what reached WeCom is recorded sent
    assert set(statuses) == {"sent", "pending"}  # none left 'sending'; the rest, not claimed, waits for the next start
