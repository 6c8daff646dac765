"""Conversation state per (channel, chat): what a chat is in the middle of, and the choices last offered."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlite_utils

from bot.messages import Choice


@dataclass(frozen=True)
class ConversationState:
    """A chat's stored state: its name (None when idle), the handler's data, and the choices offered."""

    state: str | None = None
    data: dict = field(default_factory=dict)
    choices: tuple[Choice, ...] = ()


def load_state(db: sqlite_utils.Database, channel: str, chat_id: str) -> ConversationState:
    """The chat's stored state, or an idle one."""
    row = db.execute("SELECT state, data, choices FROM conversation_state WHERE channel = ? AND chat_id = ?",
                     (channel, chat_id)).fetchone()
    if row is None:
        return ConversationState()
    return ConversationState(row[0], json.loads(row[1]), tuple(Choice(*pair) for pair in json.loads(row[2])))


def save_state(db: sqlite_utils.Database, channel: str, chat_id: str, state: str, data: dict,
               now: datetime) -> None:
    """Stores the chat's state and data (the choices offered stay as they are)."""
    db.execute(
        "INSERT INTO conversation_state (channel, chat_id, state, data, updated_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (channel, chat_id) DO UPDATE SET state = excluded.state, data = excluded.data, "
        "updated_at = excluded.updated_at",
        (channel, chat_id, state, json.dumps(data, ensure_ascii=False), now.isoformat()),
    )


def save_choices(db: sqlite_utils.Database, channel: str, chat_id: str, choices: tuple[Choice, ...]) -> None:
    """Remembers the choices a reply offered, for the chat's stored state (a chat with no state keeps none)."""
    db.execute("UPDATE conversation_state SET choices = ? WHERE channel = ? AND chat_id = ?",
               (json.dumps([[c.label, c.value, c.means] for c in choices], ensure_ascii=False), channel, chat_id))


def clear_state(db: sqlite_utils.Database, channel: str, chat_id: str) -> None:
    """Forgets the chat's state and the choices it was offered."""
    db.execute("DELETE FROM conversation_state WHERE channel = ? AND chat_id = ?", (channel, chat_id))
