"""The console channel: the whole bot in a terminal, line by line, through the same router and handlers."""

from __future__ import annotations

import asyncio
import shlex
import stat
import sys
from pathlib import Path
from typing import IO, Iterable

from bot.app import BotApp
from bot.channels.splitting import numbered_choices
from bot.errors import UserError
from bot.messages import (UNLIMITED, Contact, DeliveryOutcome, DeliveryResult, Incoming, IncomingPhoto, Location,
                          MediaRefusal, Outgoing)
from bot.handling import answer_once
from bot.store.bindings import bind_chat
from bot.store.cadres import cadre_by_id

CHANNEL = "console"
VISITOR_CHAT = "visitor"
REHEARSAL_PREFIX = "rehearsal:"  # the chat of `chat --as`: never a binding's chat id
CONSOLE_HELP = (
    "控制台命令：/photo 图片路径 [说明]  发送照片；/location 纬度 经度  发送位置；"
    "/contact 手机号  分享手机号；回复数字选择列出的选项；Ctrl-D 结束。"
)


class ConsoleError(UserError):
    """A console line or option the console cannot act on; the message is for the user, in Chinese."""


def render(message: Outgoing) -> str:
    """Prints an Outgoing as lines: its text, then its choices numbered, then any file."""
    lines = [message.text]
    if message.choices:
        lines += ["  " + line for line in numbered_choices(message.choices).splitlines()]
    if message.file:
        lines.append(f"  [文件] {message.file}")
    return "\n".join(lines)


class ConsoleSender:
    """Sends by printing: reminders on the console channel land on standard output."""

    limits = UNLIMITED

    def __init__(self, out: IO[str] | None = None):
        self.out = out or sys.stdout

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult:
        """Prints the message for chat_id."""
        print(f"[→ {chat_id}] {render(message)}", file=self.out, flush=True)
        return DeliveryResult(DeliveryOutcome.SENT)


def bind_console(app: BotApp, cadre_id: str) -> str:
    """Binds the console chat to the cadre as a real binding (reminders print on the console; tests, the demo);
    returns the chat id. Rehearsals use act_as instead."""
    _known_cadre(app, cadre_id)
    bind_chat(app.db, CHANNEL, cadre_id, cadre_id, cadre_id, app.clock.now())
    return cadre_id


def act_as(app: BotApp, cadre_id: str) -> str:
    """Lets a console chat speak for the cadre in this process only (`chat --as`, `ask --as`): no binding is stored,
    so the rehearsal is not counted as bound in reports and plans no reminders; returns the chat id."""
    _known_cadre(app, cadre_id)
    chat_id = f"{REHEARSAL_PREFIX}{cadre_id}"
    app.acting_as[(CHANNEL, chat_id)] = cadre_id
    return chat_id


def _known_cadre(app: BotApp, cadre_id: str) -> None:
    if cadre_by_id(app.db, cadre_id) is None:
        raise ConsoleError(f"找不到干部编号“{cadre_id}”。请先用 campaign-bot import 导入花名册，或检查编号。")


def parse_line(line: str, chat_id: str, app: BotApp) -> Incoming:
    """Turns one typed line into an Incoming; /photo, /location and /contact carry attachments."""
    now = app.clock.now()
    base = dict(channel=CHANNEL, chat_id=chat_id, user_id=chat_id, sent_at=now)
    text = line.rstrip("\r\n")
    head = text.strip().split(maxsplit=1)
    if head and head[0] == "/photo":
        try:
            parts = shlex.split(head[1]) if len(head) > 1 else []
        except ValueError:
            parts = head[1].split(maxsplit=1)
        if not parts:
            raise ConsoleError("用法：/photo 图片路径 [说明]")
        path = Path(parts[0]).expanduser()
        limit = app.settings.photos.max_bytes
        data = read_photo_file(path, limit)
        if data is None:
            return Incoming(**base, refused_media=MediaRefusal.TOO_LARGE, refused_limit=limit)
        photo = IncomingPhoto(data=data, source_id=str(path), filename=path.name, sent_as_file=True)
        return Incoming(**base, text=" ".join(parts[1:]), photos=(photo,))
    if head and head[0] == "/location":
        try:
            lat, lon = (float(x) for x in head[1].split()[:2])
        except (IndexError, ValueError):
            raise ConsoleError("用法：/location 纬度 经度，例如 /location 34.98 102.91") from None
        return Incoming(**base, location=Location(lat, lon))  # the handlers check that the place can exist
    if head and head[0] == "/contact":
        if len(head) < 2:
            raise ConsoleError("用法：/contact 手机号")
        return Incoming(**base, contact=Contact(phone=head[1].strip(), user_id=chat_id))
    return Incoming(**base, text=text)


def read_photo_file(path: Path, limit: int) -> bytes | None:
    """The bytes of a regular file no larger than limit, or None when it is larger; never reads more than limit + 1
    bytes (a device such as /dev/zero or a FIFO is refused before it is opened)."""
    try:
        info = path.stat()
    except OSError:
        raise ConsoleError(f"读不到文件：{path}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConsoleError(f"“{path}”不是普通文件（是目录或设备），没有发送。请给出一张图片文件的路径。")
    if info.st_size > limit:
        return None
    try:
        with path.open("rb") as file:
            data = file.read(limit + 1)  # the file may have grown since stat()
    except OSError:
        raise ConsoleError(f"读不到文件：{path}") from None
    return None if len(data) > limit else data


async def answer_line(app: BotApp, line: str, chat_id: str) -> list[str]:
    """Answers one console line; returns what to print."""
    try:
        msg = await asyncio.to_thread(parse_line, line, chat_id, app)  # /photo reads a file: not on the loop
    except ConsoleError as exc:
        return [str(exc)]
    return [render(reply) for reply in await answer_once(app, msg, app.routes) or []]


async def run_chat(app: BotApp, chat_id: str, lines: Iterable[str], out: IO[str], prompt: bool = False) -> None:
    """Reads lines until they run out, printing the bot's replies to out."""
    for line in lines:
        if not line.strip():
            continue
        for block in await answer_line(app, line, chat_id):
            print(block, file=out, flush=True)
        print(file=out, flush=True)
        if prompt:
            print("> ", end="", file=out, flush=True)
