"""The `ask` command's library side: one question, or a file of them as JSON lines."""

from __future__ import annotations

import asyncio
import json
from typing import IO

from bot.app import BotApp
from bot.channels.console import VISITOR_CHAT, answer_line, bind_console


def _chat_for(app: BotApp, cadre_id: str | None) -> str:
    if cadre_id is None:
        return VISITOR_CHAT
    try:
        return bind_console(app, cadre_id)
    except Exception as exc:  # ConsoleError carries the Chinese message
        raise LookupError(str(exc)) from None


def answer_one(app: BotApp, text: str, cadre_id: str | None = None) -> str:
    """The bot's reply to one question, as the console would print it."""
    chat_id = _chat_for(app, cadre_id)
    return "\n".join(asyncio.run(answer_line(app, text, chat_id)))


def answer_batch(app: BotApp, lines: IO[str], out: IO[str], cadre_id: str | None = None) -> None:
    """Answers every line as a question, writing one JSON object a line: question, answer, intent, confidence."""
    cadre = None
    if cadre_id is not None:
        _chat_for(app, cadre_id)
        cadre = app.db.execute(
            "SELECT u.kind, c.role FROM cadres c JOIN units u ON u.id = c.unit_id WHERE c.id = ?", (cadre_id,)
        ).fetchone()
    unit_kind, role = cadre if cadre else (None, None)
    for line in lines:
        question = line.rstrip("\r\n")
        if not question.strip():
            continue
        reply = app.answerer.answer(question, app.clock.now(), unit_kind=unit_kind, role=role)
        record = {"question": question, "answer": reply.text, "intent": reply.intent, "confidence": reply.confidence}
        print(json.dumps(record, ensure_ascii=False), file=out, flush=True)
