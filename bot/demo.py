"""`campaign-bot demo`: a demo database from the shipped fictional roster, then a console chat as a demo cadre, or
(--web) the web console on 127.0.0.1 with a login link for the demo office administrator."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import shutil
import sys
from pathlib import Path

from bot.app import BotApp
from bot.channels.console import CONSOLE_HELP, bind_console, run_chat
from bot.clock import Clock, parse_moment
from bot.config import DatabaseSettings, PhotoSettings, ServerSettings, Settings
from bot.roster import import_roster
from bot.store.cadres import cadre_by_id

DEMO_DIR = Path(__file__).parent / "data" / "demo"
DEMO_CADRE = "G001"
DEMO_MOMENT = "2010-05-12T09:00"
DEMO_OFFICE_ADMIN = "G004"
DEMO_VISITS = DEMO_DIR / "走访.csv"


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
    import_roster(app.db, DEMO_DIR)
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


def add_demo_visits(app: BotApp) -> int:
    """Records the demo's fictional visits (走访.csv, local times), so the console has progress to show."""
    with DEMO_VISITS.open(encoding="utf-8") as fh:
        rows = [(r["干部编号"], r["户编号"], parse_moment(r["走访时间"], app.settings.timezone), r["说明"])
                for r in csv.DictReader(fh)]
    app.db.conn.executemany(
        "INSERT INTO visits (cadre_id, household_id, channel, chat_id, reported_at, visited_at, note) "
        "VALUES (?, ?, 'demo', 'demo', ?, ?, ?)", [(c, h, t.isoformat(), t.isoformat(), n) for c, h, t, n in rows])
    return len(rows)


def run_demo_web(now_text: str | None = None, base: Settings | None = None, port: int = 8080,
                 routes: list | None = None) -> None:
    """Serves the web console on 127.0.0.1 over the demo data (with visits and planned reminders) until Ctrl-C,
    after printing a login link for the demo office administrator."""
    import uvicorn

    from bot.console import issue_login_link
    from bot.web import build_web_app
    from schedules.plan import plan

    base = dataclasses.replace(base or Settings(), server=ServerSettings(host="127.0.0.1", port=port))
    app = open_demo(now_text, base, routes)
    add_demo_visits(app)
    plan(app, app.clock.now())
    link = issue_login_link(app.db, app.settings, DEMO_OFFICE_ADMIN, app.clock.now())
    print(f"演示后台：时钟设在 {app.local_text(app.clock.now())}（北京时间），花名册为虚构数据。\n"
          f"用浏览器打开下面的链接，以演示活动办管理员 {DEMO_OFFICE_ADMIN} 的身份登录（10 分钟内有效，只能用一次）：\n"
          f"{link.url}\n按 Ctrl-C 停止。", flush=True)
    uvicorn.run(build_web_app(app, []), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def run_demo(now_text: str | None = None, base: Settings | None = None, routes: list | None = None) -> None:
    """Opens the demo and chats on standard input until it ends."""
    app = open_demo(now_text, base, routes)
    print(banner(app), flush=True)
    interactive = sys.stdin.isatty()
    if interactive:
        print("> ", end="", flush=True)
    asyncio.run(run_chat(app, DEMO_CADRE, sys.stdin, sys.stdout, prompt=interactive))
