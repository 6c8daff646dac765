"""`campaign-bot demo`: a demo database from the shipped fictional roster, then a console chat as a demo cadre, or
(--web) the web console on 127.0.0.1 with a login link for the demo office administrator."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import shutil
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from bot.app import BotApp
from bot.channels.console import CONSOLE_HELP, bind_console, run_chat
from bot.clock import Clock, parse_moment
from bot.config import DatabaseSettings, PhotoSettings, ServerSettings, Settings
from bot.photos import check_photo, store_photo
from bot.roster import import_roster
from bot.store.cadres import cadre_by_id
from bot.store.evidence import assess_photo
from bot.store.scopes import scope_of
from bot.store.reviews import session_of_visit
from bot.store.supervision import confirm_notice, create_notice, report_task_done
from bot.store.visits import PendingPhoto, record_visit

DEMO_DIR = Path(__file__).parent / "data" / "demo"
DEMO_CADRE = "G001"
DEMO_MOMENT = "2010-05-12T09:00"
DEMO_OFFICE_ADMIN = "G004"
DEMO_COUNTY, DEMO_COUNTY_ADMIN = "U10", "G008"  # 中共示例县委员会 and its 单位管理员
DEMO_VISITS = DEMO_DIR / "走访.csv"
EXIF_DATETIME = 306  # the EXIF DateTime tag


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


def add_demo_visits(app: BotApp) -> int:
    """Records the demo's fictional visits (走访.csv, local times), each with a drawn photo and its evidence flags, so
    the console has progress to show and visits to review."""
    with DEMO_VISITS.open(encoding="utf-8") as fh:
        rows = [(r["干部编号"], r["户编号"], parse_moment(r["走访时间"], app.settings.timezone), r["说明"])
                for r in csv.DictReader(fh)]
    photos_dir = Path(app.settings.photos.dir)
    for number, (cadre_id, household_id, at, note) in enumerate(rows):
        # every fourth photo has no EXIF time (as a forwarded one), so reviewers see a flag in the demo
        data = demo_photo(number, at.astimezone(app.tz) if number % 4 else None)
        photo = check_photo(data, app.settings.photos.max_bytes, app.settings.timezone, sent_at=at)
        pending = PendingPhoto.of(photo, store_photo(photo, photos_dir), f"demo-{number}")
        visit_id = record_visit(app.db, cadre_id=cadre_id, household_id=household_id, photos=[pending],
                                received_at=at, note=note, channel="demo", chat_id="demo", album_id=None)
        assess_photo(app.db, data=data, sha256=photo.sha256, taken_at=photo.exif_time, gps=None, received_at=at,
                     household_id=household_id, session_id=session_of_visit(app.db, visit_id), now=at)
    return len(rows)


def demo_photo(number: int, taken: datetime | None) -> bytes:
    """A drawn JPEG standing for a visit photo (a house under a sky whose colours change with number), with the
    EXIF time `taken` (local) when given."""
    sky = ((90 + 37 * number) % 200 + 40, (140 + 53 * number) % 160 + 60, 220)
    image = Image.new("RGB", (640, 480), sky)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 330, 640, 480), fill=(110 + 13 * number % 60, 150, 80))
    left = 120 + 29 * number % 260
    draw.rectangle((left, 220, left + 200, 360), fill=(200, 170, 130), outline=(90, 60, 40), width=4)
    draw.polygon([(left - 20, 225), (left + 100, 140 + number * 7 % 40), (left + 220, 225)], fill=(160, 50, 40))
    draw.rectangle((left + 80, 280, left + 120, 360), fill=(100, 70, 50))
    draw.ellipse((520 - number * 11 % 300, 40, 580 - number * 11 % 300, 100), fill=(255, 230, 120))
    exif = Image.Exif()
    if taken is not None:
        exif[EXIF_DATETIME] = f"{taken:%Y:%m:%d %H:%M:%S}"
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def run_demo_web(now_text: str | None = None, base: Settings | None = None, port: int = 8080,
                 routes: list | None = None, plan: Callable[[BotApp, datetime], object] | None = None) -> None:
    """Serves the web console on 127.0.0.1 over the demo data (visits with photos, a notice, and the reminders
    `plan(app, now)` plans: the CLI passes the scheduler's) until Ctrl-C, after printing a login link for the demo
    office administrator."""
    import uvicorn

    from bot.console import issue_login_link
    from bot.web import build_web_app

    base = dataclasses.replace(base or Settings(), server=ServerSettings(host="127.0.0.1", port=port))
    app = open_demo(now_text, base, routes)
    add_demo_visits(app)
    add_demo_supervision(app)
    if plan is not None:
        plan(app, app.clock.now())
    link = issue_login_link(app.db, app.settings, DEMO_OFFICE_ADMIN, app.clock.now())
    print(f"演示后台：时钟设在 {app.local_text(app.clock.now())}（北京时间），花名册为虚构数据。\n"
          f"用浏览器打开下面的链接，以演示活动办管理员 {DEMO_OFFICE_ADMIN} 的身份登录"
          f"（{app.settings.console.link_ttl_minutes} 分钟内有效，只能用一次）：\n"
          f"{link.url}\n按 Ctrl-C 停止。", flush=True)
    uvicorn.run(build_web_app(app, []), host="127.0.0.1", port=port, log_level="warning", access_log=False)


def add_demo_supervision(app: BotApp) -> int:
    """A task the demo county reported done and a notice from the demo office administrator to everyone, confirmed,
    so 任务 and 通知 have something to show; returns the notice's id."""
    now = app.clock.now()
    report_task_done(app.db, DEMO_COUNTY, "county-plan-meeting", DEMO_COUNTY_ADMIN, now - timedelta(days=3),
                     note="5月8日已召开动员大会（虚构示例）")
    notice_id = create_notice(app.db, scope_of(app.db, DEMO_OFFICE_ADMIN),
                              "请各单位本周五前上报第一阶段走访小结。（虚构示例通知）", False, now)
    confirm_notice(app.db, notice_id, now)
    return notice_id


def run_demo(now_text: str | None = None, base: Settings | None = None, routes: list | None = None) -> None:
    """Opens the demo and chats on standard input until it ends."""
    app = open_demo(now_text, base, routes)
    print(banner(app), flush=True)
    interactive = sys.stdin.isatty()
    if interactive:
        print("> ", end="", flush=True)
    asyncio.run(run_chat(app, DEMO_CADRE, sys.stdin, sys.stdout, prompt=interactive))
