"""The last question each chat asked (as the answer engine read it), kept a few minutes for follow-up questions."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

FOLLOW_UP_WINDOW = timedelta(minutes=10)  # a question older than this is not what a follow-up refers to


def last_question(db: sqlite_utils.Database, channel: str, chat_id: str, now: datetime) -> str | None:
    """The chat's last question if it was asked within the follow-up window, else None."""
    row = db.execute("SELECT question, asked_at FROM last_questions WHERE channel = ? AND chat_id = ?",
                     (channel, chat_id)).fetchone()
    if row is None or datetime.fromisoformat(row[1]) < now - FOLLOW_UP_WINDOW:
        return None
    return row[0]


def remember_question(db: sqlite_utils.Database, channel: str, chat_id: str, question: str, now: datetime) -> None:
    """Keeps the chat's last question (replacing the one before); an empty one is not kept."""
    if question:
        db.execute("INSERT INTO last_questions (channel, chat_id, question, asked_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT (channel, chat_id) DO UPDATE SET question = excluded.question, "
                   "asked_at = excluded.asked_at", (channel, chat_id, question, now.isoformat()))
