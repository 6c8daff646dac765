"""Shared fixtures: settings on temporary paths, an app on a fixed clock, a small roster, and photos to send."""

from __future__ import annotations

import io
import os
import subprocess
from datetime import datetime

import pytest
from PIL import Image

from bot.app import BotApp
from bot.channels.console import bind_console
from bot.clock import FixedClock, parse_moment
from bot.config import DatabaseSettings, PhotoSettings, Settings
from bot.messages import Incoming, IncomingPhoto, Location
from bot.router import answer as dispatch
from handlers import ROUTES

CAMPAIGN_MOMENT = "2010-05-12T09:00"  # inside phase 1, three days before the grassroots deadline


@pytest.fixture
async def fake_bot_api():
    """A fake Telegram Bot API server on 127.0.0.1, stopped after the test."""
    from tests.fakes.telegram_api import FakeBotApi

    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def fake_wechat_api():
    """A fake WeChat API server on 127.0.0.1 (its address in .url), stopped after the test."""
    from tests.fakes.wechat_api import FakeWeChatApi

    server = FakeWeChatApi()
    server.url = server.start()
    yield server
    server.stop()


@pytest.fixture
def read_only_dir(tmp_path):
    """An empty folder no one may write into: a read-only tmpfs as root (root ignores modes), mode 555 otherwise."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a read-only folder here")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Embedded defaults with the database and photos under tmp_path."""
    return Settings(database=DatabaseSettings(path=str(tmp_path / "bot.db")),
                    photos=PhotoSettings(dir=str(tmp_path / "photos")))


@pytest.fixture
def clock() -> FixedClock:
    """A clock fixed at 2010-05-12 09:00 Beijing time."""
    return FixedClock(parse_moment(CAMPAIGN_MOMENT))


@pytest.fixture
def app(settings, clock) -> BotApp:
    """A bot on a fresh SQLite file."""
    bot = BotApp.create(settings, clock, routes=ROUTES)
    yield bot
    bot.db.close()


def insert_roster(db) -> None:
    """A small roster: one office, a county with a village branch, a prefecture committee; C1 has three households."""
    db["units"].insert_all([
        {"id": "U00", "name": "州委创先争优活动办公室", "parent_id": None, "kind": "活动办"},
        {"id": "U01", "name": "示例县委", "parent_id": "U00", "kind": "县市委"},
        {"id": "U0101", "name": "示例村党支部", "parent_id": "U01", "kind": "基层党组织"},
        {"id": "U02", "name": "州直示例党工委", "parent_id": "U00", "kind": "州直党(工)委"},
    ])
    db["cadres"].insert_all([
        {"id": "C1", "name": "测试干部甲", "phone": "13800000001", "unit_id": "U0101", "title": "支部书记", "role": "干部"},
        {"id": "C2", "name": "测试干部乙", "phone": "13800000002", "unit_id": "U0101", "title": "", "role": "干部"},
        {"id": "C3", "name": "测试干部丙", "phone": "13800000003", "unit_id": "U01", "title": "", "role": "单位管理员"},
    ])
    db["households"].insert_all([
        {"id": "H1", "head_name": "示例户一", "county": "示例县", "township": "示例乡", "village": "东村",
         "members": 5, "phone": "13900000001", "notes": "缺劳力"},
        {"id": "H2", "head_name": "示例户二", "county": "示例县", "township": "示例乡", "village": "东村",
         "members": 3, "phone": None, "notes": None},
        {"id": "H3", "head_name": "示例户三", "county": "示例县", "township": "示例乡", "village": "西村",
         "members": 4, "phone": "13900000003", "notes": None},
        {"id": "H4", "head_name": "示例户四", "county": "示例县", "township": "示例乡", "village": "南村",
         "members": 2, "phone": "13900000004", "notes": "独居老人"},
    ])
    db["targets"].insert_all([
        {"id": 1, "kind": "领导联校", "name": "示例小学"},
        {"id": 2, "kind": "机关联村", "name": "东村"},
        {"id": 3, "kind": "党建带团建", "name": "示例村团支部"},
    ])
    db["pairings"].insert_all([
        {"pair_key": "干部联户|C1|H1", "kind": "干部联户", "cadre_id": "C1", "household_id": "H1"},
        {"pair_key": "干部联户|C1|H2", "kind": "干部联户", "cadre_id": "C1", "household_id": "H2"},
        {"pair_key": "干部联户|C1|H3", "kind": "干部联户", "cadre_id": "C1", "household_id": "H3"},
        {"pair_key": "干部联户|C2|H4", "kind": "干部联户", "cadre_id": "C2", "household_id": "H4"},
        {"pair_key": "领导联校|C1|示例小学", "kind": "领导联校", "cadre_id": "C1", "target_id": 1, "notes": "每月一次"},
        {"pair_key": "机关联村|U0101|东村", "kind": "机关联村", "unit_id": "U0101", "target_id": 2},
        {"pair_key": "党建带团建|U0101|示例村团支部", "kind": "党建带团建", "unit_id": "U0101", "target_id": 3},
    ])


@pytest.fixture
def roster(app) -> BotApp:
    """The app with the small roster loaded and the console bound for C1, C2 and C3."""
    insert_roster(app.db)
    for cadre_id in ("C1", "C2", "C3"):
        bind_console(app, cadre_id)
    return app


def jpeg(color=(200, 40, 40), taken: str | None = None, gps: tuple[float, float] | None = None,
         size=(64, 48)) -> bytes:
    """A small real JPEG; `taken` is an EXIF local time like '2010:05:11 10:30:00'."""
    exif = Image.Exif()
    if taken:
        exif.get_ifd(0x8769)[36867] = taken
    if gps:
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (gps[0], 0.0, 0.0), "E", (gps[1], 0.0, 0.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


class Chat:
    """A console conversation as one cadre (or a visitor): send text, photos, choices; get replies."""

    def __init__(self, app: BotApp, chat_id: str):
        self.app, self.chat_id = app, chat_id

    async def send(self, text: str = "", **fields) -> list:
        """Sends one message; returns the bot's Outgoing replies."""
        msg = Incoming(channel="console", chat_id=self.chat_id, user_id=self.chat_id,
                       sent_at=self.app.clock.now(), text=text, **fields)
        return await dispatch(self.app, msg)

    async def text(self, text: str = "", **fields) -> str:
        """Sends one message; returns the replies' texts joined."""
        return "\n".join(o.text for o in await self.send(text, **fields))

    async def photo(self, data: bytes, caption: str = "", album_id: str | None = None) -> list:
        """Sends a photo."""
        return await self.send(caption, photos=(IncomingPhoto(data=data, source_id="test"),), album_id=album_id)

    async def location(self, lat: float, lon: float) -> list:
        """Shares a location."""
        return await self.send(location=Location(lat, lon))


@pytest.fixture
def chat(roster):
    """Opens a console conversation as the given chat id (C1, C2, C3 are bound; anything else is a visitor)."""
    return lambda chat_id="C1": Chat(roster, chat_id)


def local(text: str) -> datetime:
    """A Beijing local time as a UTC datetime."""
    return parse_moment(text)


@pytest.fixture
def db(tmp_path):
    """A fresh SQLite file (all migrations) with the small roster, without an app."""
    from bot.db import open_db

    database = open_db(tmp_path / "roster.db")
    insert_roster(database)
    yield database
    database.close()
