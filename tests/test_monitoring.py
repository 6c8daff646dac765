"""/metrics, /readyz and the event log: the metrics parse as Prometheus text and move when messages, reminders and
WeChat callbacks flow through the running bot; readiness follows the database and the channels; both obey the
allow-list; log lines carry the channel and a message key, never the text, the chat or a secret."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.channels.console import ConsoleSender
from bot.channels.telegram.adapter import TelegramChannel
from bot.config import ConfigError, LoggingSettings, ReminderSettings, ServerSettings, TelegramSettings
from bot.logging_setup import configure_logging
from bot.messages import Incoming
from bot.router import answer as dispatch
from bot.rules import Route, always
from bot.runner import BotRunner
from bot.web import build_web_app
from schedules.dispatch import dispatch as dispatch_reminders
from schedules.plan import plan
from schedules.ratelimit import Limits, RateLimiter
from tests.conftest import Chat
from tests.fakes.telegram_api import private_message
from tests.fakes.wechat_api import WeChatServer, configure


def samples(text: str) -> dict[tuple, float]:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(scrape: dict, name: str, **labels) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
async def running(roster, fake_bot_api, fake_wechat_api):
    """The whole bot on a free port: Telegram polling the fake Bot API, the WeChat Official Account in safe mode."""
    configure(roster, "official", fake_wechat_api.url)
    roster.settings = dataclasses.replace(
        roster.settings, server=ServerSettings(port=0), reminders=ReminderSettings(enabled=False),
        telegram=TelegramSettings(enabled=True, token=fake_bot_api.token, base_url=fake_bot_api.base_url,
                                  base_file_url=fake_bot_api.base_file_url))
    runner = BotRunner(roster, port=0)
    await runner.start()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
        yield client
    await runner.stop()


async def test_metrics_parse_and_move_with_traffic(running, fake_bot_api):
    before = samples((await running.get("/metrics")).text)
    fake_bot_api.push_update(private_message(5001, text="现在是哪个阶段"))
    await fake_bot_api.wait_for("sendMessage", chat_id=5001)
    wechat = WeChatServer("official", "safe")
    query, body = wechat.post(wechat.message("text", Content="现在是哪个阶段", MsgId=91001))
    answered = await running.post(f"/wechat?{query}", content=body)
    forged = await running.post(f"/wechat?{query.replace('signature=', 'signature=0')}", content=body)
    assert (answered.status_code, forged.status_code) == (200, 403)
    scrape = await running.get("/metrics")
    assert scrape.headers["content-type"].startswith("text/plain")
    after = samples(scrape.text)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    for channel in ("telegram", "wechat"):
        assert moved("campaign_bot_messages_received_total", channel=channel, kind="text") == 1
        assert moved("campaign_bot_replies_total", channel=channel, kind="text") >= 1
        assert moved("campaign_bot_answer_seconds_count", channel=channel) == 1
    assert moved("campaign_bot_wechat_callbacks_total", status="200") == 1
    assert moved("campaign_bot_wechat_callbacks_total", status="403") == 1
    assert value(after, "campaign_bot_database_bytes") > 0


async def test_reminders_and_handler_errors_are_counted(roster):
    roster.senders["console"] = ConsoleSender(io.StringIO())
    before = samples(metrics.render_metrics(roster.settings.database.path).decode())
    report = plan(roster, roster.clock.now(), kinds=("deadline",))
    await dispatch_reminders(roster, roster.clock.now())

    async def broken(msg, ctx):
        raise RuntimeError("boom")

    msg = Incoming(channel="console", chat_id="C1", user_id="C1", sent_at=roster.clock.now(), text="x")
    await dispatch(roster, msg, [Route("broken", always, broken)])
    after = samples(metrics.render_metrics(roster.settings.database.path).decode())
    planned = sum(report.rows.values())
    assert planned > 0
    assert value(after, "campaign_bot_reminders_planned_total", kind="deadline") - \
        value(before, "campaign_bot_reminders_planned_total", kind="deadline") == planned
    assert value(after, "campaign_bot_reminder_sends_total", channel="console", status="sent") - \
        value(before, "campaign_bot_reminder_sends_total", channel="console", status="sent") == planned
    assert value(after, "campaign_bot_handler_errors_total", channel="console", route="broken") - \
        value(before, "campaign_bot_handler_errors_total", channel="console", route="broken") == 1


async def test_rate_limit_waits_and_queue_depth_are_measured():
    slept = []

    async def sleep(seconds):
        slept.append(seconds)

    limiter = RateLimiter({"wechat": Limits(None, 2.0)}, monotonic=lambda: 100.0, sleep=sleep)
    before = metrics.RATE_LIMIT_SECONDS.labels("wechat")._value.get()
    await limiter.acquire("wechat", "chat-1")
    await limiter.acquire("wechat", "chat-1")  # the same chat again: waits its 2 seconds
    assert slept == [2.0]
    assert metrics.RATE_LIMIT_SECONDS.labels("wechat")._value.get() - before == 2.0
    queue = asyncio.Queue()
    for n in range(3):
        queue.put_nowait(n)
    metrics.watch_dispatch_queue(queue)
    assert value(samples(metrics.render_metrics(":memory:").decode()), "campaign_bot_dispatch_queue_depth") == 3


async def get(app, channels, path):
    transport = httpx.ASGITransport(app=build_web_app(app, channels))  # the client is 127.0.0.1
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        return await client.get(path)


async def test_readyz_follows_the_database_and_the_channels(running, roster, fake_bot_api):
    ready = await running.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"ok": True, "db": "ok",
                                                       "channels": {"telegram": "ok", "wechat": "ok"}})
    stopped = TelegramChannel(roster)  # built, never started
    not_ready = await get(roster, [stopped], "/readyz")
    assert (not_ready.status_code, not_ready.json()["channels"]) == (503, {"telegram": "not running"})
    roster.db.execute("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)")
    behind = await running.get("/readyz")
    assert behind.status_code == 503 and behind.json()["db"].startswith("schema")


@pytest.mark.parametrize("allow, status", [((), 200), (("127.0.0.1",), 200), (("10.0.0.0/8",), 403),
                                           (("::1", "127.0.0.0/8"), 200)],
                         ids=["no list", "listed address", "outside the network", "inside a listed network"])
async def test_metrics_and_readyz_obey_the_allow_list(app, allow, status):
    app.settings = dataclasses.replace(app.settings, server=ServerSettings(monitoring_allow=allow))
    assert (await get(app, [], "/metrics")).status_code == status
    assert (await get(app, [], "/readyz")).status_code == status
    assert (await get(app, [], "/healthz")).status_code == 200  # /healthz stays open, as it was


def test_a_bad_allow_list_entry_is_a_config_error(app):
    app.settings = dataclasses.replace(app.settings, server=ServerSettings(monitoring_allow=("10.0.0.300/8",)))
    with pytest.raises(ConfigError, match="monitoring_allow"):
        build_web_app(app, [])


@pytest.fixture
def log_to():
    """Sets up logging as `run` does, into a buffer; restores the root logger afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    listeners = []

    def setup(settings):
        """Configures logging into a new buffer; the returned function stops the writer thread and gives the text."""
        buffer = io.StringIO()
        listeners.append(configure_logging(settings, buffer))
        return lambda: (listeners[-1].stop(), buffer.getvalue())[1]

    yield setup
    for listener in listeners:
        listener.stop()
    root.handlers[:], _ = saved[0], root.setLevel(saved[1])


async def test_json_log_has_one_line_per_message_without_text_chat_or_secrets(roster, log_to):
    roster.settings = dataclasses.replace(
        roster.settings, logging=LoggingSettings(format="json"),
        telegram=TelegramSettings(token="123456:SECRET-token-value"))
    written = log_to(roster.settings)
    await Chat(roster, "C1").send("我的联系户", message_id="C1:777")
    logging.getLogger("httpx").warning("GET https://api.telegram.org/bot123456:SECRET-token-value/getMe")
    text = written()
    lines = [json.loads(line) for line in text.splitlines()]
    [event] = [line for line in lines if line.get("event") == "message"]
    assert event["channel"] == "console" and event["kind"] == "text" and event["replies"] >= 1
    assert event["message_key"] == metrics.message_ref(roster.log_key, "C1:777") and event["level"] == "INFO"
    assert "我的联系户" not in text and "C1:777" not in text and "示例户" not in text
    assert "SECRET-token-value" not in text and "bot***/getMe" in text


async def test_plain_log_and_level(roster, log_to):
    written = log_to(dataclasses.replace(roster.settings, logging=LoggingSettings(level="WARNING")))
    await Chat(roster, "C1").send("现在是哪个阶段")
    logging.getLogger("bot.events").warning("a warning gets through")
    quiet = written()
    assert "a warning gets through" in quiet and "channel=console" not in quiet  # INFO lines are below WARNING
    written = log_to(roster.settings)
    await Chat(roster, "C1").send("现在是哪个阶段")
    [line] = [line for line in written().splitlines() if "bot.events" in line]
    assert " INFO bot.events: message channel=console key=- kind=text replies=1 " in line


@pytest.mark.parametrize("bad", [LoggingSettings(level="LOUD"), LoggingSettings(format="xml")], ids=["level", "format"])
def test_bad_logging_settings_are_refused(app, bad):
    with pytest.raises(ConfigError, match=r"\[logging\]"):
        configure_logging(dataclasses.replace(app.settings, logging=bad), io.StringIO())


async def test_a_token_in_any_logger_is_blanked_by_the_one_redaction(roster, log_to):
    written = log_to(roster.settings)
    logging.getLogger("bot.channels.wechat.sender").error(
        "send failed: POST https://api.weixin.qq.com/cgi-bin/message/custom/send?access_token=ACCESS-TOKEN-VALUE")
    logging.getLogger("httpx").info("GET https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=x&corpsecret=CORP-SECRET")
    logging.getLogger("bot.console.serving").info("GET /console/login?t=LOGIN-LINK-TOKEN&next=/ 200")  # a URL logged whole
    text = written()
    assert "ACCESS-TOKEN-VALUE" not in text and "CORP-SECRET" not in text and "LOGIN-LINK-TOKEN" not in text
    assert "access_token=***" in text and "corpsecret=***" in text and "?t=***&next=/" in text


def test_message_references_are_keyed_per_installation(roster, settings, tmp_path):
    import hashlib

    from bot.app import BotApp
    from bot.config import DatabaseSettings

    other = BotApp.create(dataclasses.replace(settings, database=DatabaseSettings(str(tmp_path / "other.db"))))
    reopened = BotApp.create(settings)
    try:
        ours = metrics.message_ref(roster.log_key, "C1:777")
        assert ours != hashlib.sha256(b"C1:777").hexdigest()[:12]  # not recomputable from the id alone
        assert metrics.message_ref(other.log_key, "C1:777") != ours  # another installation, another reference
        assert metrics.message_ref(reopened.log_key, "C1:777") == ours  # stable across restarts
    finally:
        other.db.close()
        reopened.db.close()
