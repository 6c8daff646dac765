"""What the WeChat adapter says on its own, and how an Outgoing becomes WeChat text (choices as a numbered list)."""

from __future__ import annotations

from bot.channels.splitting import numbered_choices, split_text
from bot.messages import Outgoing

TEXT_LIMIT_BYTES = 2000  # WeChat cuts text messages at 2048 bytes

FILE_NOT_SENT = "（附件“{name}”无法通过微信发送，请在电脑上用 campaign-bot 导出，或联系管理员。）"


def utf8_len(text: str) -> int:
    """Length as WeChat counts it: UTF-8 bytes."""
    return len(text.encode("utf-8"))


def render(message: Outgoing, files_sent: bool = False) -> str:
    """An Outgoing as WeChat text: its text, then its choices numbered with the hint to reply a number; a file the
    account cannot send (files_sent False: the Official Account has no file message) is named instead."""
    parts = [message.text] if message.text else []
    if message.choices:
        parts.append(numbered_choices(message.choices))
    if message.file and not files_sent:
        parts.append(FILE_NOT_SENT.format(name=message.file.name))
    return "\n".join(parts)


def wechat_texts(messages: list[Outgoing], files_sent: bool = False) -> list[str]:
    """The replies as the WeChat messages to send: each rendered, joined, then cut to WeChat's size."""
    joined = "\n\n".join(t for t in (render(m, files_sent) for m in messages) if t)
    return split_text(joined, TEXT_LIMIT_BYTES, utf8_len) if joined.strip() else []
