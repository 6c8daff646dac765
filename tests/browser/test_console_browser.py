"""The web console in a real headless Chromium (Debian's chromium, driven by Playwright): log in through the link
the bot sent, read 概览, drill down to a cadre's households, upload a roster with an error and then a good one,
download the export. Screenshots of the main pages go to docs/screenshots/ (the README shows them)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import dataclasses
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.app import BotApp
from bot.channels.console import bind_console
from bot.clock import FixedClock, parse_moment
from bot.config import DatabaseSettings, PhotoSettings, ReminderSettings, ServerSettings, Settings
from bot.demo import DEMO_DIR, DEMO_MOMENT, DEMO_OFFICE_ADMIN, add_demo_supervision, add_demo_visits
from bot.messages import Incoming
from bot.roster import import_roster
from bot.router import answer as dispatch
from bot.runner import BotRunner
from bot.store import supervision
from handlers import ROUTES
from schedules.plan import plan

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update"]
# The README's pictures are rewritten only on request (UPDATE_SCREENSHOTS=1 make test): a test run leaves the tree as
# it was, and its pictures are in the temporary folder for a look.
SCREENSHOTS = (Path(__file__).resolve().parents[2] / "docs" / "screenshots" if os.environ.get("UPDATE_SCREENSHOTS")
               else Path(tempfile.gettempdir()) / "campaign-bot-screenshots")
DEMO_COUNTY_ADMIN = "G008"  # 单位管理员 of 中共示例县委员会 (U10)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="Debian's chromium is not installed: apt-get install -y chromium fonts-noto-cjk "
                                       "(.ci/run does this when it is missing)")


@pytest.fixture
async def demo_site(tmp_path):
    """The bot's real HTTP server on a free port of 127.0.0.1 over the demo roster, visits and planned reminders."""
    settings = Settings(database=DatabaseSettings(path=str(tmp_path / "demo.db")),
                        photos=PhotoSettings(dir=str(tmp_path / "photos")), reminders=ReminderSettings(enabled=False))
    app = BotApp.create(settings, FixedClock(parse_moment(DEMO_MOMENT)))
    import_roster(app.db, DEMO_DIR, now=app.campaign_start)  # as the demo loads it: pairings date from the start
    add_demo_visits(app)
    add_demo_supervision(app)
    plan(app, app.clock.now())
    runner = BotRunner(app, channels=[], port=0)
    await runner.start()
    app.settings = dataclasses.replace(settings, server=ServerSettings(public_url=f"http://127.0.0.1:{runner.port}"))
    yield app
    await runner.stop()
    app.db.close()


@pytest.fixture
async def browser():
    """Headless Debian chromium through Playwright (no browser download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def link_the_bot_sends(app: BotApp, cadre_id: str) -> str:
    """Asks the bot for "后台" from the cadre's console chat and returns the link in its answer."""
    chat_id = bind_console(app, cadre_id)
    msg = Incoming(channel="console", chat_id=chat_id, user_id=chat_id, sent_at=app.clock.now(), text="后台")
    [reply] = await dispatch(app, msg, ROUTES)
    return re.search(r"http://\S+", reply.text).group(0)


def demo_workbook(path: Path, cadre_unit_of_g009: str) -> Path:
    """The demo roster as one workbook, plus a new cadre G009 (in the given unit) paired with a new household."""
    book = Workbook()
    book.remove(book.active)
    extra = {"干部": ["G009", "钱十一", "13800000009", cadre_unit_of_g009, "科员", "干部"],
             "农户": ["H099", "新户主", "示例县", "草原乡", "示例一村", "4", "", ""],
             "结对": ["干部联户", "G009", "H099", "", ""]}
    for name in ("单位", "干部", "农户", "结对"):
        sheet = book.create_sheet(name)
        with (DEMO_DIR / f"{name}.csv").open(encoding="utf-8") as fh:
            for row in csv.reader(fh):
                sheet.append(row)
        if name in extra:
            sheet.append(extra[name])
    book.save(path)
    return path


async def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_office_works_through_the_console(demo_site, browser, tmp_path):
    page = await browser.new_page(viewport={"width": 1280, "height": 860}, accept_downloads=True, locale="zh-CN")
    await page.goto(await link_the_bot_sends(demo_site, DEMO_OFFICE_ADMIN))
    await page.get_by_role("button", name="进入后台").click()
    await page.wait_for_url(re.compile(r"/console/$"))
    figures = await page.locator(".figure b").all_inner_texts()
    assert figures == ["5", "12", "67%", "4", "3"]
    assert await page.locator("svg rect.bar").count() > 3
    await shot(page, "overview")

    await page.locator("nav").get_by_role("link", name="单位").click()
    await page.get_by_role("link", name="中共示例县委员会").first.click()
    await page.get_by_role("link", name="中共示例县草原乡委员会").click()
    await shot(page, "units")
    await page.get_by_role("link", name="王五").click()
    households = page.locator("table tbody tr")
    assert await households.count() == 3
    assert "超过 30 天未走访" in await households.nth(2).inner_text()  # H010 was never visited
    assert "13900000008" not in await page.content()
    await shot(page, "cadre")

    await page.locator("nav").get_by_role("link", name="提醒").click()
    assert await page.locator("table tbody tr").count() > 0
    await shot(page, "reminders")

    await page.locator("nav").get_by_role("link", name="花名册").click()
    await page.set_input_files("input[type=file]", str(demo_workbook(tmp_path / "花名册.xlsx", "U99")))
    await page.get_by_role("button", name="上传并检查").click()
    problem = page.locator(".card.problem")
    await problem.wait_for()
    assert "U99" in await problem.inner_text() and "“干部”" not in await problem.inner_text()
    await shot(page, "roster-errors")
    await page.set_input_files("input[type=file]", str(demo_workbook(tmp_path / "花名册.xlsx", "U11")))
    await page.get_by_role("button", name="上传并检查").click()
    await page.get_by_role("button", name="确认导入").wait_for()
    await shot(page, "roster-checked")
    await page.get_by_role("button", name="确认导入").click()
    await page.get_by_role("heading", name=re.compile("已导入")).wait_for()
    assert demo_site.db.execute("SELECT unit_id FROM cadres WHERE id = 'G009'").fetchone() == ("U11",)

    await page.locator("nav").get_by_role("link", name="导出").click()
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="下载报表").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".xlsx") and "全州" in download.suggested_filename
    book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))  # the saved name has no suffix
    assert book.sheetnames[:3] == ["说明", "汇总", "覆盖率"]  # the scope workbook of `campaign-bot report`
    assert ("干部联户", "G009") in [row[:2] for row in book["结对"].iter_rows(values_only=True)]  # just imported

    await page.locator("nav").get_by_role("link", name="操作记录").click()
    actions = await page.locator("table tbody tr td:nth-child(3)").all_inner_texts()
    assert actions[:3] == ["导出报表", "导入花名册", "登录后台"]
    await shot(page, "audit")


async def test_a_county_administrator_on_a_phone(demo_site, browser):
    page = await browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  locale="zh-CN")
    link = await link_the_bot_sends(demo_site, DEMO_COUNTY_ADMIN)
    await page.goto(link)
    await page.get_by_role("button", name="进入后台").click()
    await page.wait_for_url(re.compile(r"/console/$"))
    assert "中共示例县委员会及下属单位" in await page.locator("h1").inner_text()
    assert "示例州直属机关工作委员会" not in await page.content()  # another branch of the prefecture
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the page scrolls sideways on a phone"
    await shot(page, "overview-phone")
    await page.goto(page.url + "reviews")
    assert await page.locator(".grid .visit").count() == 4  # 王五's three and 孙七's one: the county's only
    assert "张三" not in await page.content()
    overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the review grid scrolls sideways on a phone"
    await shot(page, "reviews-phone")
    await page.goto(link)
    assert "登录链接已用过" in await page.locator("h1").inner_text()
    await shot(page, "link-used-phone")


async def images_shown(page, selector: str) -> bool:
    """Whether every image of the selector loaded (the page's CSP allows no script of the test's own to wait)."""
    check = f"Array.from(document.querySelectorAll('{selector}')).every(i => i.complete && i.naturalWidth > 0)"
    for _ in range(50):
        if await page.evaluate(check):
            return True
        await asyncio.sleep(0.1)
    return False


def review_state(app: BotApp, session_id: str) -> tuple:
    return app.db.execute("SELECT review_state, review_comment FROM visit_sessions WHERE id = ?",
                          (int(session_id),)).fetchone()


async def test_office_reviews_visits_by_keyboard_and_sends_a_notice(demo_site, browser):
    page = await browser.new_page(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    await page.goto(await link_the_bot_sends(demo_site, DEMO_OFFICE_ADMIN))
    await page.get_by_role("button", name="进入后台").click()
    await page.wait_for_url(re.compile(r"/console/$"))

    await page.locator("nav").get_by_role("link", name="走访审核").click()
    cards = page.locator(".grid .visit")
    assert await cards.count() == 10
    assert await images_shown(page, ".grid img")
    assert await page.locator(".grid .tag.warn").count() > 0  # the demo's photos without EXIF time are flagged
    await shot(page, "reviews")
    await page.keyboard.press("j")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"/reviews/\d+$"))
    first = page.url.rsplit("/", 1)[1]
    assert await images_shown(page, ".photos img")
    assert "拍摄时间" in await page.locator(".photos figcaption").first.inner_text()
    await shot(page, "review")
    await page.keyboard.press("a")  # 合格
    await page.wait_for_url(re.compile(r"done=" + first))
    assert review_state(demo_site, first) == ("合格", None)
    second = page.url.split("/reviews/")[1].split("?")[0]
    await page.keyboard.press("r")  # 需补充 wants a comment first: the key puts the cursor there
    await page.keyboard.type("请补拍一张能看清门牌的照片")
    await page.get_by_role("button", name=re.compile("需补充")).click()
    await page.wait_for_url(re.compile(r"done=" + second))
    assert review_state(demo_site, second) == ("需补充", "请补拍一张能看清门牌的照片")

    await page.locator("nav").get_by_role("link", name="任务").click()
    assert "已完成" in await page.locator("table").nth(1).inner_text()
    await shot(page, "tasks")

    await page.locator("nav").get_by_role("link", name="通知").click()
    await page.locator("textarea[name=text]").fill("请各支部5月20日前上报走访照片。")
    await page.get_by_role("button", name=re.compile("下一步")).click()
    reach = int(await page.locator(".reach").inner_text())
    cadres = demo_site.db.execute("SELECT COUNT(*) FROM cadres WHERE id <> ?", (DEMO_OFFICE_ADMIN,)).fetchone()[0]
    assert reach == cadres
    await shot(page, "notice-confirm")
    await page.get_by_role("button", name="确认发送").click()
    await page.wait_for_url(re.compile(r"/notices/\d+$"))
    notice_id = int(page.url.rsplit("/", 1)[1])
    supervision.mark_delivered(demo_site.db, notice_id, "G001", demo_site.clock.now())  # the chat's side: sent,
    supervision.mark_read(demo_site.db, "G001", demo_site.clock.now(), notice_id)        # and 张三 replied 收到
    await page.reload()
    assert await page.locator(".figure.good b").inner_text() == "1"
    assert "已读" in await page.locator("table").nth(1).locator("tr", has_text="张三").inner_text()
    await shot(page, "notice")

    await page.locator("nav").get_by_role("link", name="操作记录").click()
    actions = await page.locator("table tbody tr td:nth-child(3)").all_inner_texts()
    assert actions[:3] == ["发送通知", "审核走访", "审核走访"]
