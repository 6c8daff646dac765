"""The WeChat callback, as WeChat calls it: signed (and in safe mode encrypted) requests posted to the running ASGI
app, for the Official Account in plain, compatible and safe mode and for WeCom, with a real SQLite file and the
fake WeChat API on 127.0.0.1 serving photos."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from bot.store.bindings import BLOCKED_REASON
from bot.channels.wechat.adapter import WeChatChannel
from handlers import EVENT_ROUTES
from handlers.media import PHOTO_AGAIN, UNSUPPORTED, VOICE_UNHEARD, refusal_text
from handlers.start import ALREADY_BOUND, GREETING, WELCOME_BACK
from handlers.visits import REPORT_VISIT_HELP
from bot.messages import Incoming, Location, Outgoing
from bot.rules import Route, always
from bot.web import build_web_app
from tests.conftest import insert_roster, jpeg
from tests.fakes.wechat_api import ACCOUNT, AGENT_ID, CORP_ID, WeChatServer, configure

PHOTO = jpeg()
MODES = [("official", "plain"), ("official", "compatible"), ("official", "safe"), ("work", "safe")]
MODE_IDS = ["official-plain", "official-compatible", "official-safe", "work"]
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>x</ToUserName><FromUserName>user-1</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)


def deeply_nested_text(depth: int) -> str:
    """A text message whose Content holds `depth` nested elements instead of text (a parser's recursion bomb)."""
    content = "<a>" * depth + "深" + "</a>" * depth
    return ("<xml><ToUserName>x</ToUserName><FromUserName>user-1</FromUserName><CreateTime>1</CreateTime>"
            f"<MsgType>text</MsgType><Content>{content}</Content><MsgId>1</MsgId></xml>")


class Recorder:
    """A handler table that notes each Incoming and answers with what it understood (after the bot's own answers
    to following, unfollowing and the menu buttons that need no question)."""

    def __init__(self):
        self.seen: list[Incoming] = []
        self.routes = [*EVENT_ROUTES, Route("record", always, self.handle)]

    async def handle(self, msg: Incoming, ctx) -> list[Outgoing]:
        self.seen.append(msg)
        if msg.refused_media:
            return [Outgoing("rejected:" + refusal_text(msg))]
        if msg.photos:
            return [Outgoing("photo:" + hashlib.sha256(msg.photos[0].data).hexdigest())]
        if msg.location:
            return [Outgoing(f"location:{msg.location.latitude},{msg.location.longitude}:{msg.location.label}")]
        return [Outgoing("text:" + msg.text)]


class Callback:
    """WeChat's servers in front of our ASGI app: posts signed requests, reads our replies as WeChat would."""

    def __init__(self, app, kind: str, mode: str, routes=None, **channel_options):
        self.app = app
        self.channel = WeChatChannel(app, routes=routes, **channel_options)
        self.wechat = WeChatServer(kind, mode)
        transport = httpx.ASGITransport(app=build_web_app(app, [self.channel]))
        self.http = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    async def post(self, fields: dict | None = None, **options) -> httpx.Response:
        """Posts a message (or a raw body, see WeChatServer.post) to the callback path."""
        query, body = self.wechat.post(fields, **options)
        return await self.http.post(f"/wechat?{query}", content=body, headers={"Content-Type": "text/xml"})

    async def say(self, fields: dict) -> str:
        """Posts a message and returns the text of our passive reply ('' for an empty answer)."""
        response = await self.post(fields)
        assert response.status_code == 200, response.text
        if response.text in ("", "success"):
            return ""
        reply = self.wechat.read_reply(response.text)
        assert reply["ToUserName"] == fields["FromUserName"]
        assert reply["FromUserName"] == (CORP_ID if self.wechat.kind == "work" else ACCOUNT)
        return reply["Content"]

    async def close(self) -> None:
        await self.channel.stop()
        await self.http.aclose()


@pytest.fixture
def fake_api(fake_wechat_api):
    fake_wechat_api.media["media-1"] = PHOTO
    return fake_wechat_api


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
async def callback_for(app, fake_api, recorder):
    """Opens a Callback for (kind, mode); the handler table is the recorder unless routes=None is passed;
    settings overrides [wechat] keys."""
    insert_roster(app.db)
    opened = []

    def open_callback(kind="official", mode="plain", routes=recorder.routes, settings=None, **options) -> Callback:
        plain_mode = {"encoding_aes_key": ""} if mode == "plain" else {}  # plain mode has no key in the console
        configure(app, kind, fake_api.url, **{**plain_mode, **(settings or {})})
        opened.append(Callback(app, kind, mode, routes, media_retry_delays=(0, 0), **options))
        return opened[-1]

    yield open_callback
    for callback in opened:
        await callback.close()


def bind(app, chat_id="user-1", cadre_id="C1"):
    app.db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at) "
                   "VALUES ('wechat', ?, ?, ?, 1, '2010-05-01T00:00:00+00:00')", (chat_id, chat_id, cadre_id))


def count(app, table: str) -> int:
    return app.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# ---- what arrives, and what must come back ----

@dataclass(frozen=True)
class Case:
    """One incoming request: the message WeChat sends, the reply text it must get, whether a handler ran."""

    name: str
    message: Callable[[WeChatServer], dict]
    reply: str
    handled: bool = True


PHOTO_SHA = hashlib.sha256(PHOTO).hexdigest()
CASES = [
    Case("text", lambda w: w.message("text", Content="现在是哪个阶段", MsgId=1001), "text:现在是哪个阶段"),
    Case("image", lambda w: w.message("image", PicUrl="http://example.invalid/p.jpg", MediaId="media-1", MsgId=1002),
         "photo:" + PHOTO_SHA),
    Case("location", lambda w: w.message("location", Location_X=34.98, Location_Y=102.91, Scale=15,
                                         Label="合作市", MsgId=1003), "location:34.98,102.91:合作市"),
    Case("location event, attached silently",
         lambda w: w.message("event", Event="LOCATION", Latitude=34.5, Longitude=103.2, Precision=30.0), ""),
    Case("click phase", lambda w: w.message("event", Event="CLICK", EventKey="PHASE"), "text:现在是哪个阶段"),
    Case("click households", lambda w: w.message("event", Event="CLICK", EventKey="MY_HOUSEHOLDS"), "text:我的联系户"),
    Case("click help", lambda w: w.message("event", Event="CLICK", EventKey="HELP"), "text:帮助"),
    Case("click report visit", lambda w: w.message("event", Event="CLICK", EventKey="REPORT_VISIT"),
         REPORT_VISIT_HELP, handled=False),
    Case("subscribe", lambda w: w.message("event", Event="subscribe"), GREETING, handled=False),
    Case("voice with WeChat's recognition",
         lambda w: w.message("voice", MediaId="v1", Format="amr", Recognition="我的联系户", MsgId=1004),
         "您说的是：我的联系户\ntext:我的联系户"),
    Case("video", lambda w: w.message("video", MediaId="v2", ThumbMediaId="t2", MsgId=1005), "rejected:" + UNSUPPORTED),
    Case("unknown event", lambda w: w.message("event", Event="VIEW", EventKey="http://example.invalid"), "",
         handled=False),
    Case("unknown click", lambda w: w.message("event", Event="CLICK", EventKey="NO_SUCH_KEY"), "", handled=False),
    Case("template send job finished",
         lambda w: w.message("event", Event="TEMPLATESENDJOBFINISH", MsgID=200163836, Status="success"), "",
         handled=False),
    Case("WeCom enter_agent", lambda w: w.message("event", Event="enter_agent", EventKey=""), "", handled=False),
    Case("an event type WeChat adds later",
         lambda w: w.message("event", Event="some_future_event", Detail="x"), "", handled=False),
    Case("an event without a type", lambda w: w.message("event"), "", handled=False),
]


@pytest.mark.parametrize("kind, mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_incoming_message(callback_for, recorder, app, case, kind, mode):
    callback = callback_for(kind, mode)
    reply = await callback.say(case.message(callback.wechat))
    assert reply == case.reply
    assert len(recorder.seen) == (1 if case.handled else 0)
    if case.handled:
        msg = recorder.seen[0]
        assert (msg.channel, msg.chat_id, msg.user_id) == ("wechat", "user-1", "user-1")
        assert msg.message_id is not None
    if "location event" in case.name:
        assert recorder.seen[0].location == Location(34.5, 103.2)
    ignored = case.reply == "" and not case.handled
    assert count(app, "processed_messages") == (0 if ignored else 1)


@pytest.mark.parametrize("kind, mode", MODES, ids=MODE_IDS)
async def test_unsubscribe_marks_the_binding_inactive_and_subscribing_again_restores_it(callback_for, app, kind, mode):
    callback = callback_for(kind, mode)
    bind(app)
    assert await callback.say(callback.wechat.message("event", Event="unsubscribe")) == ""
    assert app.db.execute("SELECT active, inactive_reason FROM bindings").fetchone() == (0, BLOCKED_REASON)
    reply = await callback.say(callback.wechat.message("event", Event="subscribe", CreateTime=1))
    assert reply == WELCOME_BACK.format(name="测试干部甲")
    assert app.db.execute("SELECT active FROM bindings").fetchone() == (1,)
    again = await callback.say(callback.wechat.message("event", Event="subscribe", CreateTime=2))
    assert again == ALREADY_BOUND.format(name="测试干部甲")


# ---- what is refused, without touching anything ----

@dataclass(frozen=True)
class Bad:
    """A request that must be refused with status, leaving the database and the API alone."""

    name: str
    request: Callable[[WeChatServer], dict]
    status: int
    modes: tuple[str, ...] = ("plain", "compatible", "safe")


def _text(w: WeChatServer) -> dict:
    return w.message("text", Content="你好", MsgId=2001)


BAD = [
    Bad("bad signature", lambda w: dict(fields=_text(w), token="not-the-token"), 403),
    Bad("stale timestamp", lambda w: dict(fields=_text(w), timestamp=int(__import__("time").time()) - 301), 403),
    Bad("timestamp from the future", lambda w: dict(fields=_text(w), timestamp=int(__import__("time").time()) + 600),
        403),
    Bad("malformed XML", lambda w: dict(raw="<xml><MsgType>text</MsgType><Content>半截"), 400),
    Bad("not a WeChat message", lambda w: dict(raw="<xml><Foo>1</Foo></xml>"), 400),
    Bad("billion laughs", lambda w: dict(raw=BILLION_LAUGHS), 400),
    Bad("5,000 levels of XML in Content", lambda w: dict(raw=deeply_nested_text(5000)), 400),
    Bad("an element in Content", lambda w: dict(raw=deeply_nested_text(1)), 400),
    Bad("oversized body", lambda w: dict(raw="<xml>" + "长" * 40_000 + "</xml>"), 413),
    Bad("ten megabytes", lambda w: dict(envelope=b"<xml>" + b"a" * 10_000_000 + b"</xml>"), 413),
    Bad("malformed envelope", lambda w: dict(envelope="<xml><Encrypt>abc"), 400, modes=("compatible", "safe")),
    Bad("billion laughs envelope", lambda w: dict(envelope=BILLION_LAUGHS), 400, modes=("compatible", "safe")),
    Bad("wrong AES key", lambda w: dict(fields=_text(w), key="B" * 43), 403, modes=("compatible", "safe")),
    Bad("garbage Encrypt", lambda w: dict(envelope="<xml><Encrypt>bm90IGEgY2lwaGVy</Encrypt></xml>",
                                          signed_encrypt="bm90IGEgY2lwaGVy"), 403, modes=("compatible", "safe")),
    Bad("Encrypt with a bad msg_signature", lambda w: dict(envelope="<xml><Encrypt>bm90IGEgY2lwaGVy</Encrypt></xml>"),
        403, modes=("compatible", "safe")),
]


BAD_CASES = [pytest.param(bad, kind, mode, id=f"{bad.name}-{mode_id}")
             for bad in BAD for (kind, mode), mode_id in zip(MODES, MODE_IDS) if mode in bad.modes]


@pytest.mark.parametrize("bad, kind, mode", BAD_CASES)
async def test_bad_request_is_refused_and_changes_nothing(callback_for, recorder, app, fake_api, bad, kind, mode):
    callback = callback_for(kind, mode)
    bind(app)
    before = app.db.execute("SELECT * FROM bindings").fetchall()
    response = await callback.post(**bad.request(callback.wechat))
    assert response.status_code == bad.status
    assert response.text == ""
    assert recorder.seen == []
    assert count(app, "processed_messages") == 0
    assert app.db.execute("SELECT * FROM bindings").fetchall() == before
    assert fake_api.calls == []


async def test_a_plain_request_is_refused_when_the_signature_is_missing(callback_for):
    callback = callback_for("official", "plain")
    query, body = callback.wechat.post(_text(callback.wechat))
    stripped = "&".join(p for p in query.split("&") if not p.startswith("signature="))
    response = await callback.http.post(f"/wechat?{stripped}", content=body)
    assert response.status_code == 403


# ---- URL verification ----

@pytest.mark.parametrize("kind", ["official", "work"])
async def test_url_verification_answers_the_echo(callback_for, kind):
    callback = callback_for(kind, "safe")
    query, echo = callback.wechat.verification()
    response = await callback.http.get(f"/wechat?{query}")
    assert (response.status_code, response.text) == (200, echo)


@pytest.mark.parametrize("kind", ["official", "work"])
async def test_url_verification_with_a_wrong_token_is_refused(callback_for, kind):
    callback = callback_for(kind, "safe")
    query, _ = callback.wechat.verification(token="wrong")
    response = await callback.http.get(f"/wechat?{query}")
    assert response.status_code == 403


# ---- retries ----

@pytest.mark.parametrize("kind, mode", MODES, ids=MODE_IDS)
async def test_the_same_message_three_times_is_answered_once(callback_for, recorder, kind, mode):
    callback = callback_for(kind, mode)
    message = callback.wechat.message("text", Content="我的联系户", MsgId=3001)
    replies = [await callback.say(message) for _ in range(3)]
    assert replies == ["text:我的联系户", "", ""]
    assert len(recorder.seen) == 1


async def test_an_event_retried_is_answered_once_but_a_new_one_again(callback_for, recorder):
    callback = callback_for("official", "safe")
    click = callback.wechat.message("event", Event="CLICK", EventKey="PHASE", CreateTime=1_700_000_000)
    assert [await callback.say(click) for _ in range(3)] == ["text:现在是哪个阶段", "", ""]
    assert await callback.say({**click, "CreateTime": 1_700_000_009}) == "text:现在是哪个阶段"
    assert len(recorder.seen) == 2


async def test_a_retry_after_a_restart_is_recognised(callback_for, recorder):
    first = callback_for("work", "safe")
    message = first.wechat.message("text", Content="帮助", MsgId=3002)
    assert await first.say(message) == "text:帮助"
    await first.close()
    restarted = callback_for("work", "safe")  # a new channel on the same database file
    assert await restarted.say(message) == ""
    assert len(recorder.seen) == 1


async def test_a_retry_of_a_message_a_crashed_process_never_finished_is_answered(callback_for, recorder, app):
    callback = callback_for("work", "safe")
    message = callback.wechat.message("text", Content="帮助", MsgId=3003)
    # the process before the restart claimed this message, then died before answering it
    app.db.execute("INSERT INTO processed_messages (channel, message_key, received_at, claimed_by) "
                   "VALUES ('wechat', 'msg:3003', '2010-05-12T00:59:00+00:00', 'a-process-that-died')")
    assert await callback.say(message) == "text:帮助"
    assert await callback.say(message) == ""  # finished now: WeChat's next retry is ignored
    assert len(recorder.seen) == 1


# ---- the 5-second rule ----

@pytest.mark.parametrize("kind, sent_through", [("official", "message/custom/send"), ("work", "message/send")])
async def test_slow_work_answers_empty_at_once_and_replies_through_the_api(callback_for, recorder, fake_api,
                                                                           kind, sent_through):
    fake_api.media_delay = 0.6
    callback = callback_for(kind, "safe", reply_budget=0.3)
    image = callback.wechat.message("image", MediaId="media-1", MsgId=4001)
    # the first request gives up at 0.3 s; WeChat's retry comes while the photo is still downloading, and the work
    # ends (0.6 s) within the retry's budget: the reply must still go out once, through the API only
    first, retry = await asyncio.gather(callback.post(image), _after(0.45, callback.post(image)))
    assert (first.status_code, retry.status_code) == (200, 200)
    assert first.text in ("", "success") and retry.text in ("", "success")
    await _until(lambda: fake_api.sent(sent_through))
    await asyncio.sleep(0.3)  # a second send would have arrived by now
    sent = fake_api.sent(sent_through)
    assert [s["text"]["content"] for s in sent] == ["photo:" + PHOTO_SHA]
    assert sent[0]["touser"] == "user-1"
    if kind == "work":
        assert sent[0]["agentid"] == int(AGENT_ID)
    assert len(recorder.seen) == 1


async def _after(delay: float, coroutine):
    await asyncio.sleep(delay)
    return await coroutine


async def _until(condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out waiting")


# ---- photos: downloaded at once, retried, and the cadre told when it keeps failing ----

async def test_a_failing_photo_download_is_retried(callback_for, fake_api):
    callback = callback_for("official", "plain")
    fake_api.fail("media/get", "http", -1)
    reply = await callback.say(callback.wechat.message("image", MediaId="media-1", MsgId=5001))
    assert reply == "photo:" + PHOTO_SHA
    assert sum(1 for c in fake_api.calls if c.path == "/cgi-bin/media/get") == 3


async def test_a_photo_download_with_an_expired_token_refreshes_it_once(callback_for, fake_api):
    callback = callback_for("work", "safe")
    assert await callback.say(callback.wechat.message("image", MediaId="media-1", MsgId=5010)) == "photo:" + PHOTO_SHA
    fake_api.expire_tokens()
    assert await callback.say(callback.wechat.message("image", MediaId="media-1", MsgId=5011)) == "photo:" + PHOTO_SHA
    assert fake_api.token_fetches() == 2


@pytest.mark.parametrize("failures", [("http", "http", "http"), (40007,)], ids=["server down", "media expired"])
async def test_a_photo_that_cannot_be_downloaded_asks_to_send_it_again(callback_for, fake_api, failures):
    callback = callback_for("work", "safe")
    fake_api.fail("media/get", *failures)
    reply = await callback.say(callback.wechat.message("image", MediaId="media-1", MsgId=5002))
    assert reply == "rejected:" + PHOTO_AGAIN


async def test_a_photo_larger_than_allowed_is_refused_without_keeping_it(callback_for, fake_api, recorder):
    fake_api.media["huge"] = b"\xff\xd8" + b"0" * (11 * 1024 * 1024)
    callback = callback_for("official", "plain")
    reply = await callback.say(callback.wechat.message("image", MediaId="huge", MsgId=5003))
    assert reply.startswith("rejected:照片太大")
    assert recorder.seen[0].photos == ()


# ---- end to end with the real handlers ----

async def test_bind_by_code_then_report_a_visit_by_photo_and_number(callback_for, app, clock):
    from bot.store.binding_codes import issue_codes

    callback = callback_for("official", "safe", routes=None)
    code = issue_codes(app.db, ["C1"], clock.now(), 7)[0].code
    w = callback.wechat
    assert "绑定成功" in await callback.say(w.message("text", Content=f"绑定 {code}", MsgId=6001))
    assert app.db.execute("SELECT cadre_id, active FROM bindings WHERE channel = 'wechat' AND chat_id = 'user-1'"
                          ).fetchone() == ("C1", 1)
    photo = w.message("image", MediaId="media-1", MsgId=6002)
    question = await callback.say(photo)
    assert "1. " in question and "回复数字选择" in question
    assert [await callback.say(photo) for _ in range(2)] == ["", ""]
    choose = w.message("text", Content="1", MsgId=6003)
    assert "走访" in await callback.say(choose)
    assert [await callback.say(choose) for _ in range(2)] == ["", ""]
    assert count(app, "visits") == 1
    assert count(app, "photos") == 1
    await callback.say(w.message("event", Event="LOCATION", Latitude=34.98, Longitude=102.91, Precision=20))
    assert app.db.execute("SELECT latitude, longitude FROM visits").fetchone() == (34.98, 102.91)


async def test_subscribe_greets_a_visitor_with_how_to_bind(callback_for):
    callback = callback_for("work", "safe", routes=None)
    greeting = await callback.say(callback.wechat.message("event", Event="subscribe"))
    assert "绑定 绑定码" in greeting


async def test_a_reply_too_long_for_one_message_goes_through_the_api_in_pieces(callback_for, fake_api):
    long_answer = "\n".join(f"第{n}户：示例村，已走访" for n in range(200))

    async def answer_at_length(msg, ctx):
        return [Outgoing(long_answer)]

    callback = callback_for("official", "plain", routes=[Route("long", always, answer_at_length)])
    assert await callback.say(callback.wechat.message("text", Content="我的联系户", MsgId=7001)) == ""
    await _until(lambda: fake_api.sent("message/custom/send"))
    await asyncio.sleep(0.2)
    pieces = [s["text"]["content"] for s in fake_api.sent("message/custom/send")]
    assert len(pieces) > 1 and "\n".join(pieces) == long_answer


async def test_an_encrypted_request_without_a_configured_key_is_refused(callback_for, recorder):
    callback = callback_for("official", "safe", settings={"encoding_aes_key": ""})
    response = await callback.post(callback.wechat.message("text", Content="你好", MsgId=8001))
    assert response.status_code == 403 and recorder.seen == []


async def test_campaign_bot_run_serves_the_callback_over_http(app, fake_api):
    import dataclasses

    from bot.config import ReminderSettings
    from bot.runner import BotRunner

    insert_roster(app.db)
    configure(app, "work", fake_api.url)
    app.settings = dataclasses.replace(app.settings, reminders=ReminderSettings(enabled=False))
    runner = BotRunner(app, port=0)
    await runner.start()
    try:
        assert isinstance(app.senders["wechat"], WeChatChannel)
        wechat = WeChatServer("work", "safe")
        query, body = wechat.post(wechat.message("event", Event="subscribe"))
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{runner.port}") as client:
            health = await client.get("/healthz")
            response = await client.post(f"/wechat?{query}", content=body)
    finally:
        await runner.stop()
    assert health.json()["channels"] == ["wechat"]
    assert wechat.read_reply(response.text)["Content"] == GREETING


@pytest.mark.parametrize("kind, mode", MODES, ids=MODE_IDS)
async def test_a_reply_echoing_cdata_end_stays_one_text(callback_for, kind, mode):
    callback = callback_for(kind, mode)
    tricky = "]]></Content><MsgType><![CDATA[news]]></MsgType><Content><![CDATA[x"
    reply = await callback.say(callback.wechat.message("text", Content=tricky, MsgId=9001))
    assert reply == "text:" + tricky


async def test_start_forgets_retry_keys_older_than_a_week(callback_for, app, clock):
    from datetime import timedelta

    callback = callback_for("official", "plain")
    for key, age in (("msg:old", timedelta(days=8)), ("msg:recent", timedelta(days=1))):
        app.db.execute("INSERT INTO processed_messages (channel, message_key, received_at) VALUES ('wechat', ?, ?)",
                       (key, (clock.now() - age).isoformat()))
    app.db.execute("INSERT INTO processed_messages (channel, message_key, received_at) VALUES ('telegram', 'old', ?)",
                   ((clock.now() - timedelta(days=30)).isoformat(),))
    await callback.channel.start()
    keys = {tuple(r) for r in app.db.execute("SELECT channel, message_key FROM processed_messages").fetchall()}
    assert keys == {("wechat", "msg:recent"), ("telegram", "old")}


async def test_the_callback_logs_no_secret(callback_for, app, caplog):
    import logging

    from tests.fakes.wechat_api import AES_KEY, APP_SECRET, CALLBACK_TOKEN

    caplog.set_level(logging.DEBUG)
    callback = callback_for("official", "safe")
    await callback.say(callback.wechat.message("image", MediaId="media-1", MsgId=9101))
    await callback.post(_text(callback.wechat), token="forged")
    await callback.post(_text(callback.wechat), key="B" * 43)
    assert "refused" in caplog.text
    tokens = [row[0] for row in app.db.execute("SELECT token FROM access_tokens").fetchall()]
    for secret in [APP_SECRET, CALLBACK_TOKEN, AES_KEY, "B" * 43, *tokens]:
        assert secret not in caplog.text, f"{secret!r} logged"


@pytest.mark.parametrize("kind", ["official", "work"])
async def test_an_unknown_event_is_logged_at_debug_only(callback_for, caplog, kind):
    import logging

    caplog.set_level(logging.DEBUG, logger="bot.channels.wechat")
    callback = callback_for(kind, "safe")
    response = await callback.post(callback.wechat.message("event", Event="TEMPLATESENDJOBFINISH", Status="success"))
    assert (response.status_code, response.text) == (200, "" if kind == "work" else "success")
    levels = {r.levelno for r in caplog.records if "TEMPLATESENDJOBFINISH" in r.getMessage()}
    assert levels == {logging.DEBUG}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---- voice: WeChat's speech recognition answered as text, shown back; without it, asked to type ----

@pytest.mark.parametrize("kind", ["official", "work"])
async def test_a_voice_message_is_answered_as_what_wechat_heard(callback_for, kind):
    callback = callback_for(kind, "safe", routes=None)
    reply = await callback.say(callback.wechat.message("voice", MediaId="v1", Format="amr",
                                                       Recognition="现在是哪个阶段？", MsgId=9201))
    typed = await callback.say(callback.wechat.message("text", Content="现在是哪个阶段？", MsgId=9202))
    assert reply == "您说的是：现在是哪个阶段？\n" + typed and "阶段" in typed


@pytest.mark.parametrize("recognition", [None, "", "  "], ids=["no field", "empty", "blank"])
async def test_a_voice_message_without_recognition_asks_to_type(callback_for, app, recognition):
    callback = callback_for("official", "safe", routes=None)
    fields = {} if recognition is None else {"Recognition": recognition}
    reply = await callback.say(callback.wechat.message("voice", MediaId="v1", Format="amr", MsgId=9203, **fields))
    assert reply == VOICE_UNHEARD
