"""What the WeChat adapter says on its own, and how an Outgoing becomes WeChat text (choices as a numbered list)."""

from __future__ import annotations

from bot.channels.splitting import numbered_choices, split_text
from bot.messages import Outgoing

TEXT_LIMIT_BYTES = 2000  # WeChat cuts text messages at 2048 bytes

GREETING = (
    "欢迎关注创先争优活动助手！干部请先绑定身份：发送“绑定 绑定码”（例如“绑定 ABCD2345”，"
    "绑定码由本单位管理员提供）。绑定后可以查联系户、拍照上报走访；也可以直接问活动的阶段和截止日期。"
)
WELCOME_BACK = "欢迎回来，{name}同志！您的绑定已恢复，可以继续查联系户、上报走访。发送“帮助”查看可以做什么。"
ALREADY_BOUND = "{name}同志，您好！您已绑定干部身份，可以查联系户、拍照上报走访。发送“帮助”查看可以做什么。"
PHOTO_AGAIN = "照片没有收到（微信服务器暂时取不到这张图片）。请稍后重新发送这张照片。"
UNSUPPORTED = "暂时只能处理文字、照片和位置。上报走访请直接发照片；有问题请打字问我。"
FILE_NOT_SENT = "（附件“{name}”无法通过微信发送，请在电脑上用 campaign-bot 导出，或联系管理员。）"


def utf8_len(text: str) -> int:
    """Length as WeChat counts it: UTF-8 bytes."""
    return len(text.encode("utf-8"))


def render(message: Outgoing) -> str:
    """An Outgoing as WeChat text: its text, then its choices numbered with the hint to reply a number."""
    parts = [message.text] if message.text else []
    if message.choices:
        parts.append(numbered_choices(message.choices))
    if message.file:
        parts.append(FILE_NOT_SENT.format(name=message.file.name))
    return "\n".join(parts)


def wechat_texts(messages: list[Outgoing]) -> list[str]:
    """The replies as the WeChat messages to send: each rendered, joined, then cut to WeChat's size."""
    joined = "\n\n".join(t for t in (render(m) for m in messages) if t)
    return split_text(joined, TEXT_LIMIT_BYTES, utf8_len) if joined.strip() else []
