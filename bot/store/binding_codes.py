"""One-time binding codes in the database: issued for `campaign-bot invite`, redeemed once with “绑定 CODE” or a /start deep link."""

from __future__ import annotations

import enum
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.db import transaction
from bot.errors import NotFound
from bot.store.scopes import path_range

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code read aloud or copied by hand cannot be mistaken.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
# A chat that fails this many codes within the window is refused until the window has passed: random guessing
# is hopeless anyway (31^8 codes), but a code half-seen over someone's shoulder would fall in a few dozen tries.
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(hours=1)


class CodeProblem(enum.Enum):
    """Why a code did not bind."""

    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    TOO_MANY = "too many"  # the chat failed too many codes lately; nothing was looked up


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued for one cadre."""

    cadre_id: str
    name: str
    code: str
    expires_at: datetime  # UTC


def new_code() -> str:
    """A random code of CODE_LENGTH characters from ALPHABET."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: str) -> str:
    """What the user typed, as a code: upper case, without spaces or dashes."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).upper() if ch.isascii() and ch.isalnum())


def issue_codes(db: sqlite_utils.Database, cadre_ids: list[str], now: datetime, ttl_days: int) -> list[IssuedCode]:
    """Issues one fresh code per cadre, all or none, revoking each cadre's unused earlier codes (they expire now, so
    only the newest code handed out works); unknown cadre ids raise NotFound."""
    names = dict(db.execute(
        f"SELECT id, name FROM cadres WHERE id IN ({','.join('?' * len(cadre_ids))})", list(cadre_ids)
    ).fetchall()) if cadre_ids else {}
    missing = [c for c in cadre_ids if c not in names]
    if missing:
        raise NotFound(f"找不到干部编号：{'、'.join(missing)}。请检查编号，或先导入花名册。")
    expires = now + timedelta(days=ttl_days)
    issued = []
    with transaction(db):
        for cadre_id in dict.fromkeys(cadre_ids):
            db.execute("UPDATE binding_codes SET expires_at = ? WHERE cadre_id = ? AND used_at IS NULL AND expires_at > ?",
                       (now.isoformat(), cadre_id, now.isoformat()))
            code = _insert_unique_code(db, cadre_id, now, expires)
            issued.append(IssuedCode(cadre_id, names[cadre_id], code, expires))
    logger.info("issued %d binding codes", len(issued))
    return issued


def _insert_unique_code(db: sqlite_utils.Database, cadre_id: str, now: datetime, expires: datetime) -> str:
    while True:
        code = new_code()
        cursor = db.execute(
            "INSERT OR IGNORE INTO binding_codes (code, cadre_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (code, cadre_id, now.isoformat(), expires.isoformat()),
        )
        if cursor.rowcount:
            return code


def unit_cadre_ids(db: sqlite_utils.Database, unit_id: str) -> list[str]:
    """The ids of every cadre of the unit and of every unit below it, by unit path then id; NotFound for an unknown
    unit."""
    row = db.execute("SELECT path FROM units WHERE id = ?", (unit_id,)).fetchone()
    if row is None:
        raise NotFound(f"找不到单位编号：{unit_id}。")
    low, high = path_range(row[0])
    return [r[0] for r in db.execute("SELECT c.id FROM units u JOIN cadres c ON c.unit_id = u.id "
                                     "WHERE u.path >= ? AND u.path < ? ORDER BY u.path, c.id", (low, high))]


def bound_cadre_ids(db: sqlite_utils.Database, cadre_ids: list[str]) -> set[str]:
    """Those of the cadres who have an active binding on some chat."""
    found: set[str] = set()
    for start in range(0, len(cadre_ids), 500):
        part = cadre_ids[start:start + 500]
        found.update(r[0] for r in db.execute(
            f"SELECT DISTINCT cadre_id FROM bindings WHERE active = 1 AND cadre_id IN ({','.join('?' * len(part))})",
            part))
    return found


def redeem_code(db: sqlite_utils.Database, code: str, channel: str, chat_id: str, now: datetime) -> str | CodeProblem:
    """Uses the code for this chat, once: returns the cadre id, or why it cannot be used (failures are counted)."""
    if failed_attempts(db, channel, chat_id, now) >= MAX_FAILED_ATTEMPTS:
        return CodeProblem.TOO_MANY
    code = clean_code(code)
    cursor = db.execute(
        "UPDATE binding_codes SET used_at = ?, used_channel = ?, used_chat_id = ? "
        "WHERE code = ? AND used_at IS NULL AND expires_at > ?",
        (now.isoformat(), channel, chat_id, code, now.isoformat()),
    )
    row = db.execute("SELECT cadre_id, used_at, used_channel, used_chat_id FROM binding_codes WHERE code = ?",
                     (code,)).fetchone()
    if cursor.rowcount:
        db.execute("DELETE FROM binding_attempts WHERE channel = ? AND chat_id = ?", (channel, chat_id))
        return row[0]
    db.execute("DELETE FROM binding_attempts WHERE channel = ? AND chat_id = ? AND failed_at <= ?",
               (channel, chat_id, (now - ATTEMPT_WINDOW).isoformat()))
    db.execute("INSERT INTO binding_attempts (channel, chat_id, failed_at) VALUES (?, ?, ?)",
               (channel, chat_id, now.isoformat()))
    if row is None:
        logger.info("%s chat %s tried an unknown binding code", channel, chat_id)
        return CodeProblem.UNKNOWN
    return CodeProblem.USED if row[1] is not None else CodeProblem.EXPIRED


def failed_attempts(db: sqlite_utils.Database, channel: str, chat_id: str, now: datetime) -> int:
    """How many codes the chat failed within ATTEMPT_WINDOW before now."""
    return db.execute(
        "SELECT COUNT(*) FROM binding_attempts WHERE channel = ? AND chat_id = ? AND failed_at > ?",
        (channel, chat_id, (now - ATTEMPT_WINDOW).isoformat()),
    ).fetchone()[0]
