"""Answering a channel's message on the database worker: in one write transaction with its retry key, waited out
(kept on disk, never dropped) while another connection holds the database, so the event loop stays free for every
other chat."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from bot.app import BotApp
from bot.db import begin_write, commit, database_busy, roll_back_open_transaction
from bot.messages import Incoming, Outgoing
from bot.router import answer
from bot.store.seen import finish_seen, first_time_seen

logger = logging.getLogger(__name__)


async def answer_once(app: BotApp, msg: Incoming, routes: list | None = None, *, key: str | None = None,
                      finish: bool = True) -> list[Outgoing] | None:
    """The replies to msg, or None when its retry key was claimed before (a retry or redelivery).

    Runs on the app's database worker; the claim of `key`, everything the handlers write and (with finish) the
    mark that it is done are committed together. While the database is locked by another connection (an import,
    a backup) the message is kept on disk (bot.pending) and tried again whole until it is stored; nothing of a
    failed attempt stays behind."""
    work = (_answer_in_one_transaction, app, msg, routes, key, finish)
    try:
        return await app.worker.run(*work)
    except sqlite3.OperationalError as exc:
        if not database_busy(exc):
            raise
    kept = await asyncio.to_thread(app.pending.keep, msg, key) if key is not None else None
    replies = await app.worker.until_done(*work, what=f"a {msg.channel} message")
    await asyncio.to_thread(app.pending.drop, kept)
    return replies


async def answer_kept(app: BotApp, channel: str, send: Callable[[str, Outgoing], Awaitable[object]]) -> int:
    """Answers the channel's messages that an earlier run kept on disk and never stored, sending each reply with
    `send`; returns how many were answered (one already stored is only removed)."""
    answered = 0
    for kept in await asyncio.to_thread(app.pending.waiting, channel):
        replies = await app.worker.until_done(_answer_in_one_transaction, app, kept.message, None, kept.key, True,
                                              what=f"a kept {channel} message")
        for reply in replies or []:
            await send(kept.message.chat_id, reply)
        answered += replies is not None
        await asyncio.to_thread(app.pending.drop, kept.path)
    if answered:
        logger.info("%d kept %s messages answered", answered, channel)
    return answered


async def finish_answer(app: BotApp, channel: str, key: str) -> None:
    """Marks a message claimed with finish=False as done (after its replies went out), waiting out a busy database."""
    await app.worker.until_done(_finish, app, channel, key, what=f"the finish of a {channel} message")


async def _answer_in_one_transaction(app: BotApp, msg: Incoming, routes, key: str | None,
                                     finish: bool) -> list[Outgoing] | None:
    db, now = app.db, app.clock.now()
    begin_write(db)  # the write lock first: a busy database fails here, before anything is done
    try:
        if key is not None and not first_time_seen(db, msg.channel, key, now):
            roll_back_open_transaction(db)
            return None
        replies = await answer(app, msg, routes)
        if not db.conn.in_transaction:  # a handler failed and the router rolled it back: keep the claim, answer once
            begin_write(db)
            if key is not None:
                first_time_seen(db, msg.channel, key, now)
        if key is not None and finish:
            finish_seen(db, msg.channel, key, now)
        commit(db)
    except BaseException:
        roll_back_open_transaction(db)
        raise
    return replies


def _finish(app: BotApp, channel: str, key: str) -> None:
    finish_seen(app.db, channel, key, app.clock.now())
