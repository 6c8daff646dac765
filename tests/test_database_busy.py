"""A long write elsewhere (a roster import, a backup) holds SQLite's write lock while messages arrive on both
channels: the event loop stays free (/healthz answers, WeChat gets its empty 200 in time), no message is answered
with an error or lost, and once the lock is released every message is answered exactly once.

The lock is held by another connection for as long as the test wants (no timing thresholds): the test waits for
the bot to have found the database busy, checks what must hold meanwhile, then releases it."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pytest

from datetime import datetime, timezone

from bot.channels.wechat.adapter import WeChatChannel
from bot.messages import Contact, Event, Incoming, IncomingDocument, IncomingPhoto, Location, MediaRefusal
from bot.pending import PendingMessages
from bot.router import CRASH_REPLY
from bot.store.bindings import bind_chat
from bot.web import build_web_app
from tests.conftest import Chat, jpeg
from tests.fakes.telegram_api import private_message
from tests.fakes.wechat_api import WeChatServer, configure
from tests.test_telegram import PROBE, running_channel

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")

CADRES = (7001, 7002)  # Telegram users bound to C1 and C2
WECHAT_USERS = ("wx-1", "wx-2", "wx-3")


async def until(condition, what: str, timeout: float = 30.0) -> None:
    """Waits for a condition (a generous cap only so that a broken bot fails instead of hanging)."""
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


class WriteLock:
    """Another connection holding the database's write lock, as an import's transaction does."""

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


@pytest.fixture
def busy_app(roster, fake_wechat_api):
    """The app with a short busy timeout (so the test need not wait 5 s per attempt), Telegram users bound and
    WeCom configured against the fake WeChat API."""
    roster.db.execute("PRAGMA busy_timeout = 50")
    for user, cadre in zip(CADRES, ("C1", "C2")):
        bind_chat(roster.db, "telegram", str(user), str(user), cadre, roster.clock.now())
    configure(roster, "work", fake_wechat_api.url)
    return roster


async def test_messages_wait_out_a_held_write_lock_and_are_answered_once(busy_app, fake_bot_api, fake_wechat_api):
    app = busy_app
    wechat_server = WeChatServer("work", "safe")
    wechat = WeChatChannel(app, reply_budget=0.2)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(app, [wechat])), base_url="http://bot")
    callbacks = [wechat_server.message("text", sender=user, Content="帮助", MsgId=8100 + n)
                 for n, user in enumerate(WECHAT_USERS)]

    async def post(fields):
        query, body = wechat_server.post(fields)
        return await http.post(f"/wechat?{query}", content=body)

    async with running_channel(app, fake_bot_api):
        lock = WriteLock(app.settings.database.path)
        try:
            for user in CADRES:
                fake_bot_api.push_update(private_message(user, text="帮助"))
            responses = await asyncio.gather(*(post(fields) for fields in callbacks))
            kept = app.pending.folder
            await until(lambda: len(list(kept.glob("wechat-*.json"))) == len(WECHAT_USERS)
                        and list(kept.glob("telegram-*.json")), "the waiting messages kept on disk")
            health = await http.get("/healthz")
            # while the lock is held: WeChat got its empty answer in time, nothing was answered with an error
            assert [(r.status_code, r.text) for r in responses] == [(200, "")] * len(WECHAT_USERS)
            assert health.status_code == 200 and health.json()["db"] == "ok"
            assert fake_bot_api.calls_to("sendMessage") == [] and fake_wechat_api.sent("message/send") == []
        finally:
            lock.release()
        await until(lambda: len(fake_wechat_api.sent("message/send")) == len(WECHAT_USERS), "the WeChat answers")
        await until(lambda: len(fake_bot_api.calls_to("sendMessage")) == len(CADRES), "the Telegram answers")
        # WeChat retries the messages, and a later update shows Telegram's queue has moved past them
        retries = await asyncio.gather(*(post(fields) for fields in callbacks))
        fake_bot_api.push_update(private_message(PROBE, text="/help"))
        await fake_bot_api.wait_for("sendMessage", chat_id=PROBE)
    await wechat.stop()
    await http.aclose()

    assert [(r.status_code, r.text) for r in retries] == [(200, "")] * len(WECHAT_USERS)
    wechat_answers = {s["touser"]: s["text"]["content"] for s in fake_wechat_api.sent("message/send")}
    assert sorted(wechat_answers) == sorted(WECHAT_USERS) and len(fake_wechat_api.sent("message/send")) == 3
    telegram_answers = [c for c in fake_bot_api.calls_to("sendMessage") if c.chat_id != str(PROBE)]
    assert sorted(c.chat_id for c in telegram_answers) == sorted(str(u) for u in CADRES)
    visitor_help = (await Chat(app, "a-visitor").text("帮助")).split("\n")[0]  # the WeChat users are not bound
    cadre_help = (await Chat(app, "C1").text("帮助")).split("\n")[0]
    assert all(t.startswith(visitor_help) for t in wechat_answers.values()), wechat_answers
    assert all(c.params["text"].startswith(cadre_help) for c in telegram_answers)
    assert CRASH_REPLY not in [*wechat_answers.values(), *(c.params["text"] for c in telegram_answers)]
    finished = app.db.execute("SELECT COUNT(*) FROM processed_messages WHERE finished_at IS NOT NULL").fetchone()[0]
    assert finished == len(WECHAT_USERS) + len(CADRES) + 1  # the probe too
    assert list(app.pending.folder.iterdir()) == []  # stored: nothing kept any more


@pytest.mark.parametrize("finished_before", [False, True], ids=["never stored", "stored before the crash"])
async def test_a_message_kept_by_a_run_that_died_is_answered_at_the_next_start(busy_app, fake_bot_api,
                                                                               finished_before):
    app = busy_app
    message = Incoming(channel="telegram", chat_id=str(CADRES[0]), user_id=str(CADRES[0]), sent_at=app.clock.now(),
                       text="我的联系户", message_id=f"{CADRES[0]}:77")
    path = kept_by_another_process(app.pending, message, f"{CADRES[0]}:77")  # a run that died waiting for the lock
    if finished_before:  # it died after storing the message but before removing the file
        app.db.execute("INSERT INTO processed_messages (channel, message_key, received_at, claimed_by, finished_at) "
                       "VALUES ('telegram', ?, '2010-05-12T01:00:00+00:00', 'a-run-that-died', "
                       "'2010-05-12T01:00:01+00:00')", (f"{CADRES[0]}:77",))
    async with running_channel(app, fake_bot_api):
        await until(lambda: not path.exists(), "the kept message taken up")
        fake_bot_api.push_update(private_message(PROBE, text="/help"))
        await fake_bot_api.wait_for("sendMessage", chat_id=PROBE)
    answers = [c.params["text"] for c in fake_bot_api.calls_to("sendMessage") if c.chat_id == str(CADRES[0])]
    if finished_before:
        assert answers == []
    else:
        assert len(answers) == 1 and "示例户一" in answers[0]
    assert app.db.execute("SELECT finished_at IS NOT NULL FROM processed_messages WHERE message_key = ?",
                          (f"{CADRES[0]}:77",)).fetchone() == (1,)


def kept_by_another_process(pending: PendingMessages, message: Incoming, key: str):
    """Keeps the message as another (earlier) process would have."""
    path = pending.keep(message, key)
    record = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**record, "process": "a-run-that-died"}, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_kept_message_reads_back_as_it_was(tmp_path):
    message = Incoming(channel="wechat", chat_id="u", user_id="u", sent_at=datetime(2010, 5, 12, 1, tzinfo=timezone.utc),
                       text="照片", photos=(IncomingPhoto(data=jpeg(), source_id="m1"),), location=Location(35.0, 103.0),
                       contact=Contact("13800000001", "u"), event=Event.MENU_CLICK, menu_key="PHASE",
                       refused_media=MediaRefusal.TOO_LARGE, refused_limit=10, voice=True, message_id="msg:1",
                       documents=(IncomingDocument(data=b"%PDF-1.4", filename="plan.pdf", mime_type="application/pdf"),))
    pending = PendingMessages(tmp_path / "kept")
    pending.keep(message, "msg:1")
    assert pending.waiting("wechat") == []  # this process is answering it
    kept_by_another_process(pending, message, "msg:1")
    [kept] = pending.waiting("wechat")
    assert (kept.message, kept.key) == (message, "msg:1")
    assert pending.waiting("telegram") == []



async def test_a_dispatch_waits_out_a_held_write_lock_and_sends_each_reminder_once(roster):
    from schedules.dispatch import dispatch
    from schedules.plan import plan
    from tests.conftest import local
    from tests.fakes.recording_sender import RecordingSender

    app = roster
    app.db.execute("PRAGMA busy_timeout = 50")
    app.clock.set(local("2010-05-12T09:00"))
    app.senders["console"] = sender = RecordingSender()
    plan(app, app.clock.now(), kinds=("deadline",))
    due = app.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'").fetchone()[0]
    lock = WriteLock(app.settings.database.path)
    try:
        sending = asyncio.create_task(dispatch(app, app.clock.now()))
        await until(lambda: app.worker.busy_failures >= 2, "the dispatch finding the database locked")
        # the loop is free meanwhile (this test runs on it), nothing was claimed or sent, and nothing failed
        assert not sending.done() and sender.calls == []
    finally:
        lock.release()
    report = await sending
    assert due > 0 and len(sender.calls) == due == report.outcomes["sent"]
    assert app.db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall() == [("sent", due)]
