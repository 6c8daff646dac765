"""The `ask` command's library side: one question, or a file of them as JSON lines."""

from __future__ import annotations

import asyncio
import json
from typing import IO

from bot.app import BotApp
from bot.channels.console import VISITOR_CHAT, act_as, answer_line
from bot.store.cadres import cadre_by_id
from bot.understanding import PERSONAL_INTENTS


def _chat_for(app: BotApp, cadre_id: str | None) -> str:
    return VISITOR_CHAT if cadre_id is None else act_as(app, cadre_id)  # ConsoleError: an unknown cadre


def answer_one(app: BotApp, text: str, cadre_id: str | None = None) -> str:
    """The bot's reply to one question, as the console would print it."""
    chat_id = _chat_for(app, cadre_id)
    return "\n".join(asyncio.run(answer_line(app, text, chat_id)))


def _unit_and_role(app: BotApp, cadre_id: str | None) -> tuple[str | None, str | None]:
    cadre = cadre_by_id(app.db, cadre_id) if cadre_id else None
    return (cadre.unit_kind, cadre.role) if cadre else (None, None)


def answer_batch(app: BotApp, lines: IO[str], out: IO[str], cadre_id: str | None = None) -> None:
    """Answers every non-empty line as a question, writing one JSON object a line: question, answer, intent, confidence.

    Campaign questions go to the answer engine at the clock's moment, for the cadre's unit; personal requests
    (我的联系户 …) go through the router as in a chat, so a cadre's batch sees exactly what the bot would send."""
    chat_id = _chat_for(app, cadre_id)
    unit_kind, role = _unit_and_role(app, cadre_id)
    for line in lines:
        question = line.rstrip("\r\n")
        if not question.strip():
            continue
        reading = app.answerer.classify(question)
        if reading.intent in PERSONAL_INTENTS and cadre_id is not None:
            text, intent, confidence = "\n".join(asyncio.run(answer_line(app, question, chat_id))), reading.intent, \
                reading.confidence
        else:
            reply = app.answerer.answer(question, app.clock.now(), unit_kind=unit_kind, role=role)
            text, intent, confidence = reply.text, reply.intent, reply.confidence
        record = {"question": question, "answer": text, "intent": intent, "confidence": round(confidence, 3)}
        print(json.dumps(record, ensure_ascii=False), file=out, flush=True)
