"""What the WeChat adapter says on its own, and how an Outgoing becomes WeChat text (choices as a numbered list)."""

from __future__ import annotations

from bot.channels.splitting import numbered_choices, split_text
from pathlib import Path

from bot.messages import Outgoing

TEXT_LIMIT_BYTES = 2000  # WeChat cuts text messages at 2048 bytes

FILE_NOT_SENT = "（附件“{name}”无法通过微信公众号发送。请在 Telegram 或企业微信上发送“导出”，或请活动办导出后转交。）"


def utf8_len(text: str) -> int:
    """Length as WeChat counts it: UTF-8 bytes."""
    return len(text.encode("utf-8"))


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def sendable(kind: str, path: Path) -> bool:
    """Whether the account can send the file itself: WeCom any file; the Official Account images only."""
    return kind == "work" or path.suffix.lower() in IMAGE_SUFFIXES


def render(message: Outgoing, kind: str = "official") -> str:
    """An Outgoing as WeChat text: its text, then its choices numbered with the hint to reply a number; a file the
    account cannot send (the Official Account has no file message) is named instead."""
    parts = [message.text] if message.text else []
    if message.choices:
        parts.append(numbered_choices(message.choices))
    if message.file and not sendable(kind, message.file):
        parts.append(FILE_NOT_SENT.format(name=message.file.name))
    return "\n".join(parts)


def wechat_texts(messages: list[Outgoing], kind: str = "official") -> list[str]:
    """The replies as the WeChat messages to send: each rendered, joined, then cut to WeChat's size."""
    joined = "\n\n".join(t for t in (render(m, kind) for m in messages) if t)
    return split_text(joined, TEXT_LIMIT_BYTES, utf8_len) if joined.strip() else []
