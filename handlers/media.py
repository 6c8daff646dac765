"""What to tell a user whose attachment the channel could not take, by the reason the adapter gave."""

from bot.app import Context
from bot.messages import Incoming, MediaRefusal, Outgoing
from bot.photos import too_large

UNSUPPORTED = "暂时只能处理文字、照片和位置。上报走访请直接发照片；有问题请打字问我。"
VOICE_UNHEARD = "收到一条语音，但没能听出内容。请直接打字提问；上报走访请发送照片。"
PHOTO_AGAIN = "照片没有收到（服务器暂时取不到这张图片），没有保存。请稍后重新发送这张照片。"
KIND_NAMES = {  # Telegram's attachment kinds, as a cadre calls them
    "animation": "动图", "sticker": "贴纸", "voice": "语音", "audio": "音频", "video": "视频", "video_note": "视频消息",
    "poll": "投票", "dice": "骰子", "game": "游戏", "story": "转发的动态", "paid_media": "付费内容", "checklist": "清单",
}


def refusal_text(msg: Incoming) -> str:
    """Why the attachment was not kept, and what to send instead."""
    reason = msg.refused_media
    if reason is MediaRefusal.UNSUPPORTED and msg.refused_what in KIND_NAMES:
        return f"暂时不能处理{KIND_NAMES[msg.refused_what]}，没有保存。请用文字提问；上报走访请发送照片。"
    if reason is MediaRefusal.NOT_AN_IMAGE:
        return f"只能接收图片。“{(msg.refused_what or '这个文件')[:40]}”不是图片，没有保存；请发送走访照片。"
    if reason is MediaRefusal.TOO_LARGE and not msg.refused_what:
        return too_large(msg.refused_limit)
    if reason is MediaRefusal.TOO_LARGE:  # a file (Telegram "document"): sending it as a photo makes it smaller
        return (f"文件太大（超过 {msg.refused_limit // (1024 * 1024)} MB），没有保存。"
                "请直接以“照片”方式发送，或压缩后再发。")
    if reason is MediaRefusal.NOT_RECEIVED:
        return PHOTO_AGAIN
    return UNSUPPORTED


async def ask_to_type(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Asks the user to type what a voice message said, when the platform could not hear it."""
    return [Outgoing(VOICE_UNHEARD)]


async def refuse_media(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Explains why an attachment the channel could not accept was refused."""
    return [Outgoing(refusal_text(msg))]
