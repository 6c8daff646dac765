"""The Telegram channel end to end: python-telegram-bot polls a fake Bot API on 127.0.0.1, a real SQLite file.

The table holds raw updates as Telegram sends them and the Bot API calls that must come back."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from datetime import timedelta

import pytest
from telegram import error as telegram_error

from bot.store.bindings import BLOCKED_REASON, bind_chat
from bot.campaign import load_campaign
from bot.channels.telegram.adapter import TelegramChannel, failure_result
from bot.config import TelegramSettings
from bot.messages import Choice, DeliveryOutcome, Outgoing
from bot.understanding import Answerer
from handlers.media import VOICE_UNHEARD
from tests.conftest import jpeg
from tests.fakes.telegram_api import GROUP, FakeBotApi, callback, group_message, photo_sizes, private_message

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # PTB's own, raised inside RetryAfter

CADRE = 5001  # bound to C1 (three households)
VISITOR = 6001
PROBE = 9999  # a visitor whose /help marks the end of a case: updates are processed in order
PHOTO = jpeg()
SENT_CALLS = ("sendMessage", "sendDocument", "answerCallbackQuery")


@contextlib.asynccontextmanager
async def running_channel(app, fake: FakeBotApi, **settings):
    """A TelegramChannel of the app, polling the fake, started and finally stopped."""
    app.settings = dataclasses.replace(app.settings, telegram=TelegramSettings(
        enabled=True, token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, **settings))
    channel = TelegramChannel(app, poll_timeout=1.0)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


@pytest.fixture
def fake(fake_bot_api):
    """The fake Bot API, with the test files it can serve."""
    server = fake_bot_api
    server.add_file("photo-big", PHOTO)
    server.add_file("photo-big-320", jpeg(size=(32, 24)))
    server.add_file("doc-jpeg", jpeg(color=(10, 200, 10)), "documents/IMG_0001.JPG")
    server.add_file("doc-pdf", b"%PDF-1.4 not an image", "documents/plan.pdf")
    return server


@pytest.fixture(scope="module")
def answerer():
    """One question engine for the module: building it takes most of a second."""
    return Answerer(load_campaign(None))


@pytest.fixture
async def telegram(roster, fake, answerer):
    """The channel running against the fake, with Telegram user CADRE bound to C1 and a few binding codes."""
    roster._answerer = answerer
    now = roster.clock.now()
    bind_chat(roster.db, "telegram", str(CADRE), str(CADRE), "C1", now)
    roster.db["binding_codes"].insert_all([
        {"code": "K7M2P9QX", "cadre_id": "C2", "created_at": now.isoformat(),
         "expires_at": (now + timedelta(days=7)).isoformat()},
        {"code": "EXPREDAB", "cadre_id": "C2", "created_at": (now - timedelta(days=8)).isoformat(),
         "expires_at": (now - timedelta(days=1)).isoformat()},
    ])
    async with running_channel(roster, fake) as channel:
        yield channel


async def exchange(fake: FakeBotApi, *updates: dict) -> list[tuple[str, dict]]:
    """Feeds updates through getUpdates; returns the (method, params) the bot called back, probe excluded."""
    before = len(fake.calls)
    for update in updates:
        fake.push_update(update)
    probes = len([c for c in fake.calls_to("sendMessage") if c.chat_id == str(PROBE)])
    fake.push_update(private_message(PROBE, text="/help"))
    await fake.wait_for("sendMessage", chat_id=PROBE, count=probes + 1)
    return [(c.method, c.params) for c in fake.calls[before:] if c.method in SENT_CALLS and c.chat_id != str(PROBE)]


def contains(*parts: str):
    """Expect a text containing every part."""
    return lambda value: all(p in value for p in parts)


def button_values(values: list[str]):
    """Expect an inline keyboard whose buttons carry these callback values, in order."""
    return lambda markup: [row[0]["callback_data"] for row in markup["inline_keyboard"]] == values


def contact_button(markup) -> bool:
    return markup["keyboard"][0][0].get("request_contact") is True


def keyboard_removed(markup) -> bool:
    return markup == {"remove_keyboard": True}


def bound_cadre(app, chat_id) -> str | None:
    """The cadre the Telegram chat is actively bound to."""
    row = app.db.execute("SELECT cadre_id FROM bindings WHERE channel = 'telegram' AND chat_id = ? AND active = 1",
                         (str(chat_id),)).fetchone()
    return row[0] if row else None


def bound(chat_id: int, cadre_id: str | None):
    """Expect the chat to be bound to cadre_id afterwards (None: not bound)."""
    return lambda app: bound_cadre(app, chat_id) == cadre_id


def stored_photos(count: int):
    """Expect this many photo files stored (pending or recorded)."""
    return lambda app: sum(1 for p in app.photos_dir.rglob("*") if p.is_file()) == count


def member_status(chat_id: int, status: str) -> dict:
    """A my_chat_member update: the user blocked ("kicked") or unblocked ("member") the bot."""
    bot = {"id": 123456, "is_bot": True, "first_name": "助手"}
    return {"my_chat_member": {"chat": {"id": chat_id, "type": "private", "first_name": "甲"},
                               "from": {"id": chat_id, "is_bot": False, "first_name": "甲"}, "date": 1273626000,
                               "old_chat_member": {"status": "kicked" if status == "member" else "member",
                                                   "user": bot, **({"until_date": 0} if status == "member" else {})},
                               "new_chat_member": {"status": status, "user": bot,
                                                   **({"until_date": 0} if status == "kicked" else {})}}}


HOUSEHOLD_BUTTONS = ["visit:H1", "visit:H2", "visit:H3", "visit-cancel"]

CASES = [
    pytest.param(private_message(VISITOR, text="/start"),
                 [("sendMessage", {"text": contains("您好", "绑定"), "reply_markup": contact_button})],
                 bound(VISITOR, None), id="start offers a share-my-phone button"),
    pytest.param(private_message(VISITOR, contact={"phone_number": "+86 138-0000-0002", "first_name": "乙",
                                                   "user_id": VISITOR}),
                 [("sendMessage", {"text": contains("绑定成功", "测试干部乙"), "reply_markup": keyboard_removed})],
                 bound(VISITOR, "C2"), id="own contact binds by phone"),
    pytest.param(private_message(VISITOR, contact={"phone_number": "13800000002", "first_name": "乙",
                                                   "user_id": 4242}),
                 [("sendMessage", {"text": contains("本人"), "reply_markup": contact_button})],
                 bound(VISITOR, None), id="someone else's contact is refused"),
    pytest.param(private_message(VISITOR, contact={"phone_number": "13912345678", "first_name": "丁",
                                                   "user_id": VISITOR}),
                 [("sendMessage", {"text": contains("139****5678", "不在花名册", "绑定码")})],
                 bound(VISITOR, None), id="unknown number is refused"),
    pytest.param(private_message(VISITOR, text="绑定 k7m2-p9qx"),
                 [("sendMessage", {"text": contains("绑定成功", "测试干部乙")})],
                 bound(VISITOR, "C2"), id="bind by code text"),
    pytest.param(private_message(VISITOR, text="/start K7M2P9QX", entities=[{"type": "bot_command", "offset": 0,
                                                                            "length": 6}]),
                 [("sendMessage", {"text": contains("绑定成功", "测试干部乙")})],
                 bound(VISITOR, "C2"), id="bind by deep link"),
    pytest.param(private_message(VISITOR, text="绑定 EXPREDAB"),
                 [("sendMessage", {"text": contains("已过期")})], bound(VISITOR, None), id="expired code is refused"),
    pytest.param(private_message(CADRE, text="解绑"),
                 [("sendMessage", {"text": contains("确定要解绑吗")})], bound(CADRE, "C1"), id="unbind asks first"),
    pytest.param(callback(CADRE, "unbind:yes"),
                 [("answerCallbackQuery", {}), ("sendMessage", {"text": contains("失效")})], bound(CADRE, "C1"),
                 id="stale unbind button"),
    pytest.param(private_message(CADRE, text="/phase"),
                 [("sendMessage", {"text": contains("阶段")})], bound(CADRE, "C1"), id="phase command"),
    pytest.param(private_message(CADRE, text="现在是哪个阶段？"),
                 [("sendMessage", {"text": contains("阶段")})], bound(CADRE, "C1"), id="free-text question"),
    pytest.param(private_message(CADRE, text="/households"),
                 [("sendMessage", {"text": contains("示例户一", "示例户二", "示例户三")})],
                 bound(CADRE, "C1"), id="list households"),
    pytest.param(private_message(VISITOR, text="/households"),
                 [("sendMessage", {"text": contains("绑定")})], bound(VISITOR, None), id="households need binding"),
    pytest.param(private_message(CADRE, photo=photo_sizes("photo-big"), caption="了解春耕"),
                 [("sendMessage", {"text": contains("哪一户"), "reply_markup": button_values(HOUSEHOLD_BUTTONS)})],
                 stored_photos(1), id="photo asks which household with buttons"),
    pytest.param(private_message(VISITOR, photo=photo_sizes("photo-big")),
                 [("sendMessage", {"text": contains("没有保存", "绑定")})], stored_photos(0),
                 id="photo from an unbound user is refused and not stored"),
    pytest.param(private_message(CADRE, document={"file_id": "doc-jpeg", "file_unique_id": "ud1",
                                                  "file_name": "IMG_0001.JPG", "mime_type": "image/jpeg",
                                                  "file_size": 700}),
                 [("sendMessage", {"text": contains("哪一户"), "reply_markup": button_values(HOUSEHOLD_BUTTONS)})],
                 stored_photos(1), id="image sent as a document"),
    pytest.param(private_message(CADRE, document={"file_id": "doc-pdf", "file_unique_id": "ud2",
                                                  "file_name": "plan.pdf", "mime_type": "application/pdf",
                                                  "file_size": 21}),
                 [("sendMessage", {"text": contains("plan.pdf", "不是图片")})], stored_photos(0),
                 id="non-image document is refused"),
    pytest.param(private_message(CADRE, document={"file_id": "doc-huge", "file_unique_id": "ud3",
                                                  "file_name": "big.jpg", "mime_type": "image/jpeg",
                                                  "file_size": 30 * 1024 * 1024}),
                 [("sendMessage", {"text": contains("文件太大")})], stored_photos(0),
                 id="too large a file is refused without downloading"),
    pytest.param(private_message(CADRE, sticker={"file_id": "st", "file_unique_id": "ust", "width": 512,
                                                 "height": 512, "is_animated": False, "is_video": False,
                                                 "type": "regular"}),
                 [("sendMessage", {"text": contains("贴纸")})], bound(CADRE, "C1"), id="sticker gets a short answer"),
    pytest.param(private_message(CADRE, voice={"file_id": "vo", "file_unique_id": "uvo", "duration": 3}),
                 [("sendMessage", {"text": VOICE_UNHEARD.__eq__})], bound(CADRE, "C1"),
                 id="voice note is asked to be typed"),
    pytest.param(private_message(CADRE, voice={"file_id": "vo", "file_unique_id": "uvo", "duration": 3},
                                 caption="现在是哪个阶段"),
                 [("sendMessage", {"text": VOICE_UNHEARD.__eq__})], bound(CADRE, "C1"),
                 id="voice note with a caption is still asked to be typed"),
    pytest.param(private_message(CADRE, location={"latitude": 34.98, "longitude": 102.91}),
                 [("sendMessage", {"text": contains("没有找到刚上报的走访")})], bound(CADRE, "C1"),
                 id="location without a recent visit"),
    pytest.param(callback(CADRE, "visit:H1", "q-stale"),
                 [("answerCallbackQuery", {"callback_query_id": "q-stale".__eq__}),
                  ("sendMessage", {"text": contains("失效")})], bound(CADRE, "C1"), id="stale button is answered"),
    pytest.param(private_message(CADRE, text="/nosuch"),
                 [("sendMessage", {"text": contains("/nosuch")})], bound(CADRE, "C1"), id="unknown command"),
    pytest.param({"edited_message": private_message(CADRE, text="改过的字", edit_date=1273626100)["message"]},
                 [], bound(CADRE, "C1"), id="edited message is ignored"),
    pytest.param({"channel_post": {"message_id": 5, "date": 1273626000, "text": "频道消息",
                                   "chat": {"id": -100123, "type": "channel", "title": "频道"}}},
                 [], bound(CADRE, "C1"), id="channel post is ignored"),
    pytest.param(group_message(CADRE, text="大家好"),
                 [], bound(CADRE, "C1"), id="group chatter is ignored"),
    pytest.param(group_message(CADRE, text="/households"),
                 [("sendMessage", {"chat_id": str(GROUP).__eq__, "text": contains("私聊")})], bound(CADRE, "C1"),
                 id="group command gets pointed to a private chat without personal data"),
    pytest.param(group_message(CADRE, text="/help@other_bot"),
                 [], bound(CADRE, "C1"), id="group command for another bot is ignored"),
    pytest.param(private_message(CADRE, new_chat_title="新名字"), [], bound(CADRE, "C1"),
                 id="service message is ignored"),
    pytest.param(member_status(CADRE, "kicked"), [], bound(CADRE, None), id="blocking the bot deactivates the binding"),
]


@pytest.mark.parametrize("update, expected, afterwards", CASES)
async def test_incoming_update(telegram, fake, roster, update, expected, afterwards):
    calls = await exchange(fake, update)
    assert [method for method, _ in calls] == [method for method, _ in expected], calls
    for (method, params), (_, wanted) in zip(calls, expected):
        for key, check in wanted.items():
            assert check(params[key]), (method, key, params.get(key))
    assert afterwards(roster)


# ---- conversations over several updates ----

def visits(app) -> list[dict]:
    return list(app.db.query("SELECT * FROM visits ORDER BY id"))


def photo_count(app, visit_id: int) -> int:
    return app.db.execute("SELECT COUNT(*) FROM photos WHERE visit_id = ?", (visit_id,)).fetchone()[0]


async def test_commands_are_registered_at_start(telegram, fake):
    [call] = fake.calls_to("setMyCommands")
    assert [c["command"] for c in call.params["commands"]] == ["phase", "deadlines", "pairing", "households",
                                                                "visits", "help"]
    assert all(c["description"] for c in call.params["commands"])


async def test_photo_then_button_records_the_visit(telegram, fake, roster):
    [(_, question)] = await exchange(fake, private_message(CADRE, photo=photo_sizes("photo-big"), caption="了解春耕"))
    assert [c.params["file_id"] for c in fake.calls_to("getFile")] == ["photo-big"]  # the largest size only
    assert visits(roster) == []
    calls = await exchange(fake, callback(CADRE, question["reply_markup"]["inline_keyboard"][2][0]["callback_data"]))
    assert [m for m, _ in calls] == ["answerCallbackQuery", "sendMessage"]
    assert "已记录走访" in calls[1][1]["text"] and "示例户三" in calls[1][1]["text"]
    [visit] = visits(roster)
    assert (visit["household_id"], visit["note"], visit["channel"], visit["chat_id"]) == ("H3", "了解春耕", "telegram",
                                                                                          str(CADRE))
    [stored] = roster.db.query("SELECT path FROM photos WHERE visit_id = ?", [visit["id"]])
    assert (roster.photos_dir / stored["path"]).read_bytes() == PHOTO  # the original bytes, not a thumbnail


async def test_pressing_the_button_twice_records_one_visit(telegram, fake, roster):
    await exchange(fake, private_message(CADRE, photo=photo_sizes("photo-big")))
    await exchange(fake, callback(CADRE, "visit:H1", "first"), callback(CADRE, "visit:H1", "second"))
    assert len(visits(roster)) == 1


async def test_album_is_one_visit_with_all_its_photos(telegram, fake, roster):
    fake.add_file("album-2", jpeg(color=(0, 0, 250)))
    first = private_message(CADRE, photo=photo_sizes("photo-big"), caption="入户看望", media_group_id="album-1")
    second = private_message(CADRE, photo=photo_sizes("album-2"), media_group_id="album-1")
    calls = await exchange(fake, first, second)
    assert len(calls) == 1 and "哪一户" in calls[0][1]["text"]  # one question for the album, not one per photo
    await exchange(fake, callback(CADRE, "visit:H2"))
    [visit] = visits(roster)
    assert visit["household_id"] == "H2" and visit["note"] == "入户看望" and photo_count(roster, visit["id"]) == 2


async def test_location_after_the_visit_is_attached(telegram, fake, roster):
    await exchange(fake, private_message(CADRE, photo=photo_sizes("photo-big")), callback(CADRE, "visit:H1"))
    [(_, reply)] = await exchange(fake, private_message(CADRE, location={"latitude": 34.98, "longitude": 102.91}))
    assert "位置" in reply["text"]
    [visit] = visits(roster)
    assert (visit["latitude"], visit["longitude"]) == (34.98, 102.91)


async def test_a_redelivered_update_is_answered_once(telegram, fake, roster):
    update = private_message(CADRE, text="/households")
    calls = await exchange(fake, update, dict(update, update_id=update_id_after(fake)))
    assert len(calls) == 1


async def test_an_update_redelivered_after_a_crash_mid_answer_is_answered(telegram, fake, roster):
    update = private_message(CADRE, text="/households")
    key = f"{CADRE}:{update['message']['message_id']}"
    # the process before the restart claimed this update, then died before answering it
    roster.db.execute("INSERT INTO processed_messages (channel, message_key, received_at, claimed_by) "
                      "VALUES ('telegram', ?, '2010-05-12T00:59:00+00:00', 'a-process-that-died')", (key,))
    calls = await exchange(fake, update, dict(update, update_id=update_id_after(fake)))
    assert len(calls) == 1 and "示例户一" in calls[0][1]["text"]


def update_id_after(fake: FakeBotApi) -> int:
    """An update id later than any queued: Telegram redelivering the same message under a new update."""
    return fake._next_update_id + 1


async def test_long_answers_are_split_at_line_boundaries(telegram, fake, roster):
    roster.db["households"].insert_all([{"id": f"X{i}", "head_name": f"长名单户{i:03d}" + "某" * 40,
                                         "village": "北村", "notes": "备注" * 30} for i in range(60)])
    roster.db["pairings"].insert_all([{"pair_key": f"干部联户|C1|X{i}", "kind": "干部联户", "cadre_id": "C1",
                                       "household_id": f"X{i}"} for i in range(60)])
    calls = await exchange(fake, private_message(CADRE, text="/households"))
    texts = [params["text"] for _, params in calls]
    assert len(texts) > 1 and all(len(t) <= 4096 for t in texts)
    for i in range(60):  # every line whole, in exactly one piece
        assert sum(f"长名单户{i:03d}" + "某" * 40 in t for t in texts) == 1
    assert sum(t.count("备注：" + "备注" * 30 + "\n") for t in [t + "\n" for t in texts]) == 60


# ---- sending on the bot's own initiative (reminders) ----

def inactive_reason(app, chat_id: int) -> tuple[int, str | None]:
    return tuple(app.db.execute("SELECT active, inactive_reason FROM bindings WHERE channel = 'telegram' AND "
                                "chat_id = ?", (str(chat_id),)).fetchone())


async def test_send_delivers_text_with_buttons(telegram, fake):
    result = await telegram.send(str(CADRE), Outgoing("本周请走访联系户。", choices=(Choice("我的联系户", "hh"),)))
    assert result.outcome is DeliveryOutcome.SENT and len(result.message_ids) == 1
    [call] = fake.calls_to("sendMessage")
    assert call.chat_id == str(CADRE) and call.params["text"] == "本周请走访联系户。"
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "我的联系户", "callback_data": "hh"}]]}


async def test_send_falls_back_to_numbers_when_a_value_is_too_long_for_a_button(telegram, fake):
    await telegram.send(str(CADRE), Outgoing("请选择：", choices=(Choice("甲", "x" * 65), Choice("乙", "y"))))
    [call] = fake.calls_to("sendMessage")
    assert "reply_markup" not in call.params and "1. 甲\n2. 乙" in call.params["text"]


async def test_send_a_file_as_a_document(telegram, fake, tmp_path):
    report = tmp_path / "走访统计.xlsx"
    report.write_bytes(b"PK fake workbook")
    result = await telegram.send(str(CADRE), Outgoing("本月走访统计", file=report))
    assert result.outcome is DeliveryOutcome.SENT
    [call] = fake.calls_to("sendDocument")
    assert call.params["caption"] == "本月走访统计" and call.files["document"] == b"PK fake workbook"


async def test_send_to_a_user_who_blocked_the_bot(telegram, fake, roster):
    fake.block_chat(CADRE)
    result = await telegram.send(str(CADRE), Outgoing("提醒"))
    assert result.outcome is DeliveryOutcome.BLOCKED and "blocked" in result.reason
    assert inactive_reason(roster, CADRE) == (0, BLOCKED_REASON)


async def test_send_rate_limited_says_when_to_retry(telegram, fake, roster):
    fake.flood_chat(CADRE, retry_after=7)
    result = await telegram.send(str(CADRE), Outgoing("提醒"))
    assert (result.outcome, result.retry_after) == (DeliveryOutcome.RETRY, 7.0)
    assert inactive_reason(roster, CADRE) == (1, None)


async def test_send_to_an_unknown_chat_fails(telegram, fake):
    fake.lose_chat(424242)
    result = await telegram.send("424242", Outgoing("提醒"))
    assert result.outcome is DeliveryOutcome.FAILED and "chat not found" in result.reason.lower()


async def test_send_when_the_network_is_down_is_retried(telegram, fake):
    await fake.stop()
    result = await telegram.send(str(CADRE), Outgoing("提醒"))
    assert result.outcome is DeliveryOutcome.RETRY


async def test_a_reply_waits_out_a_short_flood_limit(telegram, fake):
    fake.flood_chat(CADRE, retry_after=1)
    asyncio.get_running_loop().call_later(0.3, fake.chat_errors.clear)
    fake.push_update(private_message(CADRE, text="/households"))
    [call] = await fake.wait_for("sendMessage", chat_id=CADRE, count=1, timeout=5)
    assert "示例户一" in call.params["text"]
    assert len([c for c in fake.calls_to("sendMessage") if c.chat_id == str(CADRE)]) == 1


async def test_unblocking_restores_a_binding_lost_to_blocking(telegram, fake, roster):
    fake.block_chat(CADRE)
    await telegram.send(str(CADRE), Outgoing("提醒"))
    fake.chat_errors.clear()
    assert inactive_reason(roster, CADRE) == (0, BLOCKED_REASON)
    await exchange(fake, member_status(CADRE, "member"))
    assert inactive_reason(roster, CADRE) == (1, None)


async def test_unblocking_does_not_undo_an_unbind(telegram, fake, roster):
    await exchange(fake, private_message(CADRE, text="解绑"), callback(CADRE, "unbind:yes"),
                   member_status(CADRE, "member"))
    assert inactive_reason(roster, CADRE)[0] == 0


@pytest.mark.parametrize("error, outcome", [
    (telegram_error.RetryAfter(3), DeliveryOutcome.RETRY),
    (telegram_error.Forbidden("bot was blocked by the user"), DeliveryOutcome.BLOCKED),
    (telegram_error.BadRequest("chat not found"), DeliveryOutcome.FAILED),
    (telegram_error.NetworkError("connection refused"), DeliveryOutcome.RETRY),
    (telegram_error.TimedOut(), DeliveryOutcome.FAILED),
], ids=["retry-after", "forbidden", "bad-request", "network", "timed-out"])
def test_bot_api_errors_map_to_outcomes(error, outcome):
    result = failure_result(error)
    assert result.outcome is outcome
    if outcome is DeliveryOutcome.FAILED and isinstance(error, telegram_error.TimedOut):
        assert "不再重发" in result.reason  # a timed-out send may have arrived: never sent twice
