"""Sending through WeChat's API (the fake on 127.0.0.1): WeCom application messages, the Official Account's
48-hour window and template fallback, error codes given meaning, the access token cached in SQLite, the menu."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

import click
import pytest

from bot.store.bindings import BLOCKED_REASON
from bot.channels.wechat.adapter import WeChatChannel
from bot.cli import create_menu_command
from bot.channels.wechat.api import api_root
from bot.channels.wechat.menu import menu_payload
from bot.config import WeChatSettings
from bot.messages import Choice, DeliveryOutcome, Outgoing
from tests.conftest import insert_roster
from tests.fakes.wechat_api import AES_KEY, AGENT_ID, APP_SECRET, CALLBACK_TOKEN, CORP_SECRET, configure

TEMPLATE = "tmpl-reminder-1"


@pytest.fixture
def fake_api(fake_wechat_api):
    return fake_wechat_api


@pytest.fixture
async def channel_for(app, fake_api):
    """Opens a WeChatChannel of kind on the app (several may be opened: a restart is a new one on the same file)."""
    insert_roster(app.db)
    opened = []

    def open_channel(kind="official", **settings) -> WeChatChannel:
        configure(app, kind, fake_api.url, **settings)
        opened.append(WeChatChannel(app))
        return opened[-1]

    yield open_channel
    for channel in opened:
        await channel.stop()


def bind(app, last_seen: datetime | None, chat_id="user-1"):
    app.db.execute(
        "INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at, last_seen_at) "
        "VALUES ('wechat', ?, ?, 'C1', 1, '2010-05-01T00:00:00+00:00', ?)",
        (chat_id, chat_id, last_seen.isoformat() if last_seen else None))


REMINDER = Outgoing("提醒：基层党组织公开承诺的截止日期是 5 月 15 日，还有 3 天。")


# ---- WeCom ----

async def test_wecom_sends_an_application_message(channel_for, fake_api):
    result = await channel_for("work").send("zhangsan", REMINDER)
    assert result.outcome is DeliveryOutcome.SENT and result.message_ids
    assert fake_api.sent("message/send") == [
        {"touser": "zhangsan", "msgtype": "text", "agentid": int(AGENT_ID), "text": {"content": REMINDER.text}}]


async def test_wecom_user_outside_the_application_is_undeliverable(channel_for, fake_api):
    fake_api.fail("message/send", 81013)
    result = await channel_for("work").send("someone", REMINDER)
    assert result.outcome is DeliveryOutcome.UNDELIVERABLE and "81013" in result.reason


# ---- Official Account: the 48-hour window ----

async def test_inside_48_hours_a_customer_service_message_is_sent(channel_for, app, clock, fake_api):
    bind(app, clock.now() - timedelta(hours=47))
    result = await channel_for(template_id=TEMPLATE).send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.SENT
    assert fake_api.sent("message/custom/send") == [
        {"touser": "user-1", "msgtype": "text", "text": {"content": REMINDER.text}}]
    assert fake_api.sent("message/template/send") == []


async def test_outside_48_hours_the_template_message_is_sent(channel_for, app, clock, fake_api):
    bind(app, clock.now() - timedelta(hours=49))
    result = await channel_for(template_id=TEMPLATE).send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.SENT
    assert fake_api.sent("message/custom/send") == []
    assert fake_api.sent("message/template/send") == [
        {"touser": "user-1", "template_id": TEMPLATE, "data": {"content": {"value": REMINDER.text}}}]


@pytest.mark.parametrize("last_seen_hours", [49, None], ids=["silent for 49 hours", "never wrote"])
async def test_outside_48_hours_without_a_template_is_undeliverable(channel_for, app, clock, fake_api,
                                                                    last_seen_hours):
    bind(app, None if last_seen_hours is None else clock.now() - timedelta(hours=last_seen_hours))
    result = await channel_for().send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.UNDELIVERABLE
    assert "48 小时" in result.reason and "template_id" in result.reason
    assert fake_api.calls == []


async def test_a_45015_answer_falls_back_to_the_template(channel_for, app, clock, fake_api):
    bind(app, clock.now() - timedelta(hours=1))
    fake_api.fail("message/custom/send", 45015)
    result = await channel_for(template_id=TEMPLATE).send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.SENT
    assert len(fake_api.sent("message/template/send")) == 1


@pytest.mark.parametrize("code, outcome, meaning", [
    (45015, DeliveryOutcome.UNDELIVERABLE, "48 小时"),
    (45047, DeliveryOutcome.UNDELIVERABLE, "下行条数上限"),
    (45009, DeliveryOutcome.RETRY, "今日上限"),
    (-1, DeliveryOutcome.RETRY, "繁忙"),
    (43004, DeliveryOutcome.BLOCKED, "未关注"),
    (48001, DeliveryOutcome.FAILED, "48001"),
])
async def test_api_errors_are_recorded_with_their_meaning(channel_for, app, clock, fake_api, code, outcome, meaning):
    bind(app, clock.now() - timedelta(hours=1))
    fake_api.fail("message/custom/send", code)
    result = await channel_for().send("user-1", REMINDER)
    assert result.outcome is outcome
    assert meaning in result.reason and str(code) in result.reason
    if code == 45009:
        assert 0 < result.retry_after <= 24 * 3600
    active = app.db.execute("SELECT active, inactive_reason FROM bindings").fetchone()
    assert active == ((0, BLOCKED_REASON) if outcome is DeliveryOutcome.BLOCKED else (1, None))


async def test_network_failure_is_a_retry(channel_for, app, clock, fake_api):
    bind(app, clock.now())
    channel = channel_for()
    fake_api.stop()
    result = await channel.send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.RETRY
    fake_api.start()  # so the fixture's stop() has a server to stop


# ---- rendering ----

async def test_choices_are_a_numbered_list_and_long_texts_are_split(channel_for, fake_api):
    channel = channel_for("work")
    await channel.send("u", Outgoing("选哪一户？", choices=(Choice("示例户一", "visit:H1"), Choice("示例户二", "visit:H2"))))
    assert fake_api.sent("message/send")[0]["text"]["content"] == "选哪一户？\n1. 示例户一\n2. 示例户二\n（回复数字选择）"
    long_text = "\n".join(f"第{n}行：走访情况记录" for n in range(300))
    result = await channel.send("u", Outgoing(long_text))
    pieces = [b["text"]["content"] for b in fake_api.sent("message/send")[1:]]
    assert len(pieces) > 1 and len(result.message_ids) == len(pieces)
    assert all(len(p.encode("utf-8")) <= 2048 for p in pieces)
    assert "\n".join(pieces) == long_text


# ---- the access token ----

async def test_the_token_is_fetched_once_and_kept_across_a_restart(channel_for, app, clock, fake_api):
    bind(app, clock.now())
    await channel_for().send("user-1", REMINDER)
    await channel_for().send("user-1", REMINDER)  # a new channel on the same database file
    assert fake_api.token_fetches() == 1
    token = app.db.execute("SELECT token FROM access_tokens").fetchone()[0]
    assert [c.params["access_token"] for c in fake_api.calls if c.path.endswith("custom/send")] == [token, token]


@pytest.mark.parametrize("kind", ["official", "work"])
async def test_an_invalid_token_is_refreshed_once_and_the_call_retried(channel_for, app, clock, fake_api, kind):
    bind(app, clock.now())
    channel = channel_for(kind)
    assert (await channel.send("user-1", REMINDER)).outcome is DeliveryOutcome.SENT
    fake_api.expire_tokens()
    assert (await channel.send("user-1", REMINDER)).outcome is DeliveryOutcome.SENT
    assert fake_api.token_fetches() == 2
    path = "message/send" if kind == "work" else "message/custom/send"
    assert len(fake_api.sent(path)) == 3  # the refused call, then its retry


async def test_a_token_that_stays_invalid_is_not_refreshed_in_a_loop(channel_for, app, clock, fake_api):
    bind(app, clock.now())
    fake_api.fail("message/custom/send", 40001, 40001)
    result = await channel_for().send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.FAILED and "40001" in result.reason
    assert fake_api.token_fetches() == 2


async def test_a_token_near_its_expiry_is_replaced_before_use(channel_for, app, clock, fake_api):
    bind(app, clock.now())
    channel = channel_for()
    await channel.send("user-1", REMINDER)
    soon = datetime.now(timezone.utc) + timedelta(seconds=120)
    app.db.execute("UPDATE access_tokens SET expires_at = ?", (soon.isoformat(),))
    await channel.send("user-1", REMINDER)
    assert fake_api.token_fetches() == 2


async def test_concurrent_sends_fetch_one_token(channel_for, app, clock, fake_api):
    bind(app, clock.now())
    channel = channel_for()
    results = await asyncio.gather(*(channel.send("user-1", REMINDER) for _ in range(5)))
    assert all(r.outcome is DeliveryOutcome.SENT for r in results)
    assert fake_api.token_fetches() == 1


async def test_a_wrong_secret_fails_with_its_meaning(channel_for, app, clock, fake_api):
    bind(app, clock.now())
    result = await channel_for(secret="wrong-secret").send("user-1", REMINDER)
    assert result.outcome is DeliveryOutcome.FAILED and "AppSecret" in result.reason


async def test_secrets_never_reach_the_log(channel_for, app, clock, fake_api, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # whatever level another test or library left it at
    bind(app, clock.now())
    channel = channel_for()
    await channel.send("user-1", REMINDER)
    fake_api.expire_tokens()
    await channel.send("user-1", REMINDER)
    tokens = [row[0] for row in app.db.execute("SELECT token FROM access_tokens").fetchall()]
    assert "HTTP Request" in caplog.text, "httpx did not log the calls: nothing was checked"
    for secret in [APP_SECRET, CORP_SECRET, CALLBACK_TOKEN, AES_KEY, *tokens, *fake_api.valid_tokens]:
        leaks = [r.getMessage() for r in caplog.records if secret in r.getMessage()]
        assert leaks == [], f"{secret!r} logged"


# ---- api_base_url and configuration ----

@pytest.mark.parametrize("kind, base, expected", [
    ("official", "", "https://api.weixin.qq.com"),
    ("work", "", "https://qyapi.weixin.qq.com"),
    ("work", "http://127.0.0.1:9000/", "http://127.0.0.1:9000"),
    ("official", "http://proxy.local/cgi-bin", "http://proxy.local"),
])
def test_api_root(kind, base, expected):
    assert api_root(WeChatSettings(kind=kind, api_base_url=base)) == expected


@pytest.mark.parametrize("kind, overrides, problem", [
    ("mp", {}, "kind"),
    ("official", {"secret": ""}, "secret"),
    ("work", {"encoding_aes_key": ""}, "encoding_aes_key"),
    ("work", {"agent_id": "app-1"}, "agent_id"),
    ("official", {"encoding_aes_key": "too-short"}, "encoding_aes_key"),
])
def test_bad_settings_are_refused_with_what_to_fix(app, fake_api, kind, overrides, problem):
    from bot.channels.base import ChannelConfigError

    configure(app, kind, fake_api.url, **overrides)
    with pytest.raises(ChannelConfigError, match=problem):
        WeChatChannel(app)


# ---- the menu ----

@pytest.mark.parametrize("kind", ["official", "work"])
def test_wechat_menu_creates_the_five_buttons(app, fake_api, capsys, kind):
    configure(app, kind, fake_api.url)
    create_menu_command(app)
    assert fake_api.sent("menu/create") == [menu_payload()]
    labels = [b["name"] for top in menu_payload()["button"] for b in top.get("sub_button", [top])]
    assert labels == ["活动阶段", "截止日期", "我的联系户", "上报走访", "帮助"]
    call = next(c for c in fake_api.calls if c.path == "/cgi-bin/menu/create")
    assert call.params.get("agentid") == (AGENT_ID if kind == "work" else None)
    assert "微信菜单已创建" in capsys.readouterr().out


def test_wechat_menu_reports_a_failure_in_chinese(app, fake_api):
    configure(app, "official", fake_api.url)
    fake_api.fail("menu/create", 40164)
    with pytest.raises(click.ClickException, match="白名单"):
        create_menu_command(app)


def test_wechat_menu_without_credentials_says_what_to_fill_in(app):
    with pytest.raises(click.ClickException, match="app_id"):
        create_menu_command(app)
