"""`campaign-bot demo`: a demo database from the shipped fictional roster, then a console chat as a demo cadre."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import sys
from pathlib import Path

from bot.app import BotApp
from bot.channels.console import CONSOLE_HELP, bind_console, run_chat
from bot.clock import Clock, parse_moment
from bot.config import DatabaseSettings, PhotoSettings, Settings
from bot.roster import import_roster
from bot.store.cadres import cadre_by_id

DEMO_DIR = Path(__file__).parent / "data" / "demo"
DEMO_CADRE = "G001"
DEMO_MOMENT = "2010-05-12T09:00"


def demo_settings(base: Settings | None = None) -> Settings:
    """The settings (defaults, or those of --config) with the demo's own database and photos folder,
    so a real database is never touched."""
    return dataclasses.replace(base or Settings(), database=DatabaseSettings(path="data/demo.db"),
                               photos=PhotoSettings(dir="data/demo-photos"))


def open_demo(now_text: str | None = None, base: Settings | None = None, routes: list | None = None) -> BotApp:
    """Creates the demo database afresh from the shipped roster, on a clock inside the campaign, answering with
    the handler table `routes`."""
    settings = demo_settings(base)
    clock = Clock(parse_moment(now_text or DEMO_MOMENT, settings.timezone))  # a bad --now fails before deleting
    for suffix in ("", "-wal", "-shm"):  # each demo starts from the same state
        Path(settings.database.path + suffix).unlink(missing_ok=True)
    shutil.rmtree(settings.photos.dir, ignore_errors=True)
    app = BotApp.create(settings, clock, routes)
    import_roster(app.db, DEMO_DIR, now=app.campaign_start)  # as if loaded when the campaign began
    bind_console(app, DEMO_CADRE)
    return app


def banner(app: BotApp) -> str:
    """The demo's first lines: the clock, who you are, what to try."""
    now = app.local(app.clock.now())
    phase = app.campaign.phase_at(now.date())
    where = f"活动第{phase.number}阶段（{phase.name}）内" if phase else "不在已写明的阶段内"
    cadre = cadre_by_id(app.db, DEMO_CADRE)
    return (
        f"演示模式：时钟设在 {now:%Y-%m-%d %H:%M}（北京时间），{where}。花名册为虚构数据。\n"
        f"您是演示干部 {cadre.name}（{cadre.unit_name}，编号 {DEMO_CADRE}）。\n"
        f"可以试试：现在是哪个阶段 / 我的联系户 / 我的结对 / /photo {DEMO_DIR / 'visit.jpg'} 入户了解春耕 / 我的走访\n"
        + CONSOLE_HELP
    )


def run_demo(now_text: str | None = None, base: Settings | None = None, routes: list | None = None) -> None:
    """Opens the demo and chats on standard input until it ends."""
    app = open_demo(now_text, base, routes)
    print(banner(app), flush=True)
    interactive = sys.stdin.isatty()
    if interactive:
        print("> ", end="", flush=True)
    asyncio.run(run_chat(app, DEMO_CADRE, sys.stdin, sys.stdout, prompt=interactive))
