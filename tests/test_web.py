"""The one HTTP server: /healthz, Telegram's webhook route (secret token checked), and `campaign-bot run` as a
whole process that answers Telegram and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import socket
import sys

import httpx
import pytest

from bot.config import ReminderSettings, TelegramSettings
from bot.channels.base import ChannelConfigError
from bot.runner import BotRunner, ServerStartError
from bot.web import build_web_app
from tests.fakes.telegram_api import FakeBotApi, private_message

SECRET = "s3cret-Token_1"
CHAT = 5001


@pytest.fixture
def fake(fake_bot_api):
    return fake_bot_api


def with_telegram(app, fake: FakeBotApi, **settings) -> None:
    """Points the app's Telegram settings at the fake Bot API."""
    app.settings = dataclasses.replace(
        app.settings, reminders=ReminderSettings(enabled=False),
        telegram=TelegramSettings(enabled=True, token=fake.token, base_url=fake.base_url,
                                  base_file_url=fake.base_file_url, **settings))


@pytest.fixture
async def webhook_bot(roster, fake):
    """The whole bot (HTTP server, Telegram in webhook mode) on a free port of 127.0.0.1."""
    with_telegram(roster, fake, mode="webhook", webhook_url="https://bot.example.org/hooks/telegram",
                  secret_token=SECRET)
    runner = BotRunner(roster, port=0)
    await runner.start()
    yield runner
    await runner.stop()


async def test_healthz_reports_the_database(app):
    transport = httpx.ASGITransport(app=build_web_app(app, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
        ok = await client.get("/healthz")
        app.db.conn.close()
        broken = await client.get("/healthz")
    assert (ok.status_code, ok.json()) == (200, {"ok": True, "db": "ok", "channels": []})
    assert (broken.status_code, broken.json()["db"]) == (503, "error")


async def test_webhook_is_registered_with_its_secret(webhook_bot, fake):
    [call] = fake.calls_to("setWebhook")
    assert call.params["url"] == "https://bot.example.org/hooks/telegram"
    assert call.params["secret_token"] == SECRET
    assert fake.calls_to("deleteWebhook") == []  # no polling in webhook mode


@pytest.mark.parametrize("headers, body, status", [
    pytest.param({}, private_message(CHAT, text="/help"), 403, id="no secret token"),
    pytest.param({"X-Telegram-Bot-Api-Secret-Token": "guess"}, private_message(CHAT, text="/help"), 403,
                 id="wrong secret token"),
    pytest.param({"X-Telegram-Bot-Api-Secret-Token": SECRET}, "not json", 400, id="not an update"),
])
async def test_webhook_refuses_bad_requests(webhook_bot, fake, headers, body, status):
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{webhook_bot.port}") as client:
        kwargs = {"content": body} if isinstance(body, str) else {"json": dict(body, update_id=1)}
        response = await client.post("/hooks/telegram", headers=headers, **kwargs)
    assert response.status_code == status
    await asyncio.sleep(0.1)  # time enough for a wrongly accepted update to be answered
    assert fake.calls_to("sendMessage") == []


async def test_webhook_update_is_answered(webhook_bot, fake):
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{webhook_bot.port}") as client:
        response = await client.post("/hooks/telegram", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                                     json=dict(private_message(CHAT, text="/households"), update_id=42))
        health = await client.get("/healthz")
    assert response.status_code == 200
    [reply] = await fake.wait_for("sendMessage", chat_id=CHAT)
    assert "绑定" in reply.params["text"]  # an unbound chat is asked to bind, not shown anyone's households
    assert health.json() == {"ok": True, "db": "ok", "channels": ["telegram"]}


async def test_runner_starts_the_scheduler_and_stops_everything(roster, fake):
    with_telegram(roster, fake)
    roster.settings = dataclasses.replace(roster.settings, reminders=ReminderSettings(enabled=True))
    runner = BotRunner(roster, port=0)
    await runner.start()
    assert runner.scheduler.running and roster.senders["telegram"] is runner.channels[0]
    scheduler, port = runner.scheduler, runner.port
    await runner.stop()
    assert not scheduler.running and runner.scheduler is None
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(f"http://127.0.0.1:{port}/healthz")


@pytest.mark.parametrize("token, message", [("999:wrong", "token 无效"), ("", "token 未设置")],
                         ids=["refused token", "no token"])
async def test_start_up_stops_with_a_clear_message(roster, fake, token, message):
    with_telegram(roster, fake)
    roster.settings = dataclasses.replace(roster.settings, telegram=dataclasses.replace(roster.settings.telegram,
                                                                                         token=token))
    with pytest.raises(ChannelConfigError, match=message):
        runner = BotRunner(roster, port=0)
        await runner.start()


async def test_a_busy_port_stops_start_up_with_a_clear_message(roster):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        runner = BotRunner(roster, port=taken.getsockname()[1])
        with pytest.raises(ServerStartError, match="端口是否已被占用"):
            await runner.start()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_campaign_bot_run_serves_telegram_until_sigterm(roster, fake, tmp_path):
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(f"""
[database]
path = "{roster.settings.database.path}"
[photos]
dir = "{tmp_path / 'photos'}"
[server]
port = {port}
[reminders]
enabled = false
[telegram]
enabled = true
token = "{fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
""", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "-v", "run", "--config", str(config),
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        await fake.wait_for("setMyCommands", timeout=20)
        fake.push_update(private_message(CHAT, text="/start"))
        [reply] = await fake.wait_for("sendMessage", chat_id=CHAT, timeout=20)
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert "您好" in reply.params["text"] and health.status_code == 200
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr and b"bot running" in stderr  # -v: INFO logs on stderr...
    assert fake.token.encode() not in stderr and b"/bot***/getMe" in stderr  # ...which never show the token
