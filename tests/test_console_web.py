"""The web console against the real ASGI app with httpx: login by one-time link, sessions, CSRF, scopes by URL
tampering, privacy, and the pages over today's data."""

from __future__ import annotations

import dataclasses
import io
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from bot.store.bindings import deactivate_chat
from bot.cli import cli
from bot.config import ConsoleSettings, ServerSettings
from bot.console import LinkRefused, issue_login_link
from bot.console.pagination import PAGE_SIZE
from bot.messages import Incoming
from bot.router import ADMINS_ONLY
from bot.router import answer as dispatch
from handlers import ROUTES
from tests.console_helpers import (COUNTY, OFFICE, OTHER_COUNTY, client_for, insert_two_counties,
                                   link_token, login)


@pytest.fixture
def two_counties(app):
    """The app with two counties, the office, and console chats bound for everyone who logs in."""
    insert_two_counties(app.db)
    return app


@pytest.fixture
async def client(two_counties):
    async with client_for(two_counties) as c:
        yield c


def link_for(app, cadre_id: str, channel: str | None = None) -> str:
    return issue_login_link(app.db, app.settings, cadre_id, app.clock.now(), channel, cadre_id if channel else None).url


# ---- login ----

async def test_a_link_logs_in_once_and_sets_a_safe_cookie(client, two_counties):
    token = link_token(link_for(two_counties, COUNTY))
    page = await client.get("/console/login", params={"t": token})
    assert page.status_code == 200 and "测试干部丙" in page.text and "进入后台" in page.text
    response = await client.post("/console/login", data={"t": token})
    assert response.status_code == 303 and response.headers["location"] == "/console/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie and "Secure" not in cookie
    assert (await client.get("/console/")).status_code == 200
    again = await client.post("/console/login", data={"t": token})
    assert again.status_code == 410 and "登录链接已用过" in again.text


async def test_the_cookie_is_secure_behind_https(two_counties):
    two_counties.settings = dataclasses.replace(
        two_counties.settings, server=ServerSettings(public_url="https://bot.example.org"))
    url = link_for(two_counties, COUNTY)
    assert url.startswith("https://bot.example.org/console/login?t=")
    async with client_for(two_counties) as c:
        response = await c.post("/console/login", data={"t": link_token(url)})
    assert "Secure" in response.headers["set-cookie"]


async def test_a_link_expires_after_ten_minutes(client, two_counties, clock):
    token = link_token(link_for(two_counties, COUNTY))
    clock.set(clock.now() + timedelta(minutes=10, seconds=1))
    response = await client.post("/console/login", data={"t": token})
    assert response.status_code == 410 and "登录链接已过期" in response.text
    assert two_counties.db.execute("SELECT COUNT(*) FROM console_sessions").fetchone()[0] == 0


async def test_guessing_links_is_refused_after_ten_tries(client):
    for n in range(10):
        response = await client.post("/console/login", data={"t": f"guess-{n}"})
        assert response.status_code == 403 and "登录链接无效" in response.text
    response = await client.get("/console/login", params={"t": "guess-11"})
    assert response.status_code == 429 and "尝试次数过多" in response.text


def test_links_per_hour_are_limited(two_counties):
    for _ in range(5):
        link_for(two_counties, COUNTY)
    with pytest.raises(LinkRefused, match="一小时内最多申请 5 次"):
        link_for(two_counties, COUNTY)


def test_a_cadre_gets_no_link(two_counties):
    with pytest.raises(LinkRefused, match="只对单位管理员和活动办管理员开放"):
        link_for(two_counties, "C1")
    assert two_counties.db.execute("SELECT COUNT(*) FROM console_links").fetchone()[0] == 0


def chat_message(cadre_id: str, text: str, app) -> Incoming:
    return Incoming(channel="console", chat_id=cadre_id, user_id=cadre_id, sent_at=app.clock.now(), text=text)


@pytest.mark.parametrize("text", ["后台", "/console"], ids=["words", "command"])
async def test_an_administrator_asks_the_bot_for_a_link_that_works(two_counties, text):
    from bot.channels.console import bind_console

    bind_console(two_counties, COUNTY)
    [reply] = await dispatch(two_counties, chat_message(COUNTY, text, two_counties), ROUTES)
    url = re.search(r"http://\S+", reply.text).group(0)
    assert "10 分钟内有效" in reply.text and url.startswith("http://127.0.0.1:8080/console/login?t=")
    async with client_for(two_counties) as c:
        assert (await c.post("/console/login", data={"t": link_token(url)})).status_code == 303


async def test_a_cadre_asking_the_bot_is_refused(two_counties):
    from bot.channels.console import bind_console

    bind_console(two_counties, "C1")
    [reply] = await dispatch(two_counties, chat_message("C1", "后台", two_counties), ROUTES)
    assert reply.text == ADMINS_ONLY and "http" not in reply.text  # the router refuses, the handler never runs
    assert two_counties.db.execute("SELECT COUNT(*) FROM console_links").fetchone()[0] == 0


def test_console_link_command_prints_a_link_for_an_administrator_only(two_counties, tmp_path, settings):
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{settings.database.path}"\n[server]\npublic_url = "https://x.example.org/"\n',
                      encoding="utf-8")
    ok = CliRunner().invoke(cli, ["console-link", COUNTY, "--config", str(config)])
    assert ok.exit_code == 0 and ok.output.startswith("https://x.example.org/console/login?t=")
    refused = CliRunner().invoke(cli, ["console-link", "C1", "--config", str(config)])
    assert refused.exit_code == 1 and "只对单位管理员和活动办管理员开放" in refused.output


async def test_tokens_never_reach_the_log(client, two_counties, caplog):
    caplog.set_level(logging.DEBUG)
    url = link_for(two_counties, COUNTY)
    await client.get("/console/login", params={"t": link_token(url)})
    response = await client.post("/console/login", data={"t": link_token(url)})
    cookie = response.cookies.get("campaign_console")
    await client.get("/console/")
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))  # httpx is the browser
    assert "session opened for cadre C3" in ours and "console GET /console/login -> 200" in ours
    assert link_token(url) not in ours and cookie not in ours
    stored = two_counties.db.execute("SELECT token_sha256 FROM console_links").fetchone()[0]
    assert stored != link_token(url) and len(stored) == 64


# ---- sessions ----

async def test_a_session_expires_after_eight_idle_hours(client, two_counties, clock):
    await login(client, two_counties, COUNTY)
    clock.set(clock.now() + timedelta(hours=7, minutes=59))
    assert (await client.get("/console/")).status_code == 200  # activity keeps it alive
    clock.set(clock.now() + timedelta(hours=7, minutes=59))
    assert (await client.get("/console/units")).status_code in (200, 303)
    clock.set(clock.now() + timedelta(hours=8, minutes=1))
    response = await client.get("/console/")
    assert response.status_code == 401 and "登录已失效" in response.text


async def test_logout_ends_the_session(client, two_counties):
    csrf = await login(client, two_counties, COUNTY)
    response = await client.post("/console/logout", data={"csrf_token": csrf})
    assert response.status_code == 200 and "已退出登录" in response.text
    assert (await client.get("/console/")).status_code == 401
    actions = [r[0] for r in two_counties.db.execute("SELECT action FROM console_audit ORDER BY id")]
    assert actions == ["登录后台", "退出后台"]


@pytest.mark.parametrize("csrf", [None, "wrong-token"], ids=["missing", "wrong"])
async def test_a_form_without_the_sessions_csrf_token_is_refused(client, two_counties, csrf, caplog):
    await login(client, two_counties, COUNTY)
    response = await client.post("/console/logout", data={} if csrf is None else {"csrf_token": csrf})
    assert response.status_code == 400 and "表单已失效" in response.text
    assert "missing or wrong CSRF token" in caplog.text
    assert (await client.get("/console/")).status_code == 200  # the session was not ended


async def test_a_form_from_another_site_is_refused(client, two_counties):
    csrf = await login(client, two_counties, COUNTY)
    response = await client.post("/console/logout", data={"csrf_token": csrf},
                                 headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert (await client.get("/console/")).status_code == 200


async def test_a_forged_cookie_opens_nothing(client, caplog):
    client.cookies.set("campaign_console", "forged-value", path="/console")
    response = await client.get("/console/")
    assert response.status_code == 401 and "登录状态无效" in response.text and "发送“后台”" in response.text
    assert "unknown session cookie" in caplog.text


async def test_no_cookie_asks_to_log_in(client):
    response = await client.get("/console/units/U01")
    assert response.status_code == 401 and "请先登录" in response.text


async def test_the_session_ends_when_the_chat_is_unbound(client, two_counties):
    await login(client, two_counties, COUNTY)
    deactivate_chat(two_counties.db, "console", COUNTY, "用户自行解绑")
    assert (await client.get("/console/")).status_code == 401
    reason = two_counties.db.execute("SELECT end_reason FROM console_sessions").fetchone()[0]
    assert reason == "聊天已解绑"


async def test_the_session_ends_when_the_role_is_no_longer_admin(client, two_counties):
    await login(client, two_counties, COUNTY)
    two_counties.db.execute("UPDATE cadres SET role = '干部' WHERE id = ?", (COUNTY,))
    assert (await client.get("/console/")).status_code == 401


# ---- scopes ----

SCOPE_MATRIX = [
    (COUNTY, "/console/units/U01", 200), (COUNTY, "/console/units/U0101", 200), (COUNTY, "/console/cadres/C1", 200),
    (COUNTY, "/console/units/U03", 404), (COUNTY, "/console/units/U00", 404), (COUNTY, "/console/units/U02", 404),
    (COUNTY, "/console/cadres/C5", 404), (COUNTY, "/console/cadres/C0", 404), (COUNTY, "/console/units/NOPE", 404),
    (COUNTY, "/console/roster", 404), (COUNTY, "/console/audit", 404),
    (OTHER_COUNTY, "/console/units/U03", 200), (OTHER_COUNTY, "/console/cadres/C5", 200),
    (OTHER_COUNTY, "/console/units/U01", 404), (OTHER_COUNTY, "/console/units/U0101", 404),
    (OTHER_COUNTY, "/console/cadres/C1", 404),
    (OFFICE, "/console/units/U00", 200), (OFFICE, "/console/units/U0101", 200), (OFFICE, "/console/cadres/C5", 200),
    (OFFICE, "/console/cadres/C1", 200), (OFFICE, "/console/roster", 200), (OFFICE, "/console/audit", 200),
    (OFFICE, "/console/cadres/NOPE", 404), (OFFICE, "/console/no-such-page", 404),
]


@pytest.mark.parametrize("who, url, status", SCOPE_MATRIX,
                         ids=[f"{w}{u.removeprefix('/console')}" for w, u, _ in SCOPE_MATRIX])
async def test_scope_by_url(client, two_counties, who, url, status):
    await login(client, two_counties, who)
    response = await client.get(url)
    assert response.status_code == status
    if status == 404:
        assert "找不到这个页面" in response.text
        assert "另一县干部" not in response.text and "测试干部甲" not in response.text


async def test_the_unit_index_opens_the_administrators_own_unit(client, two_counties):
    await login(client, two_counties, COUNTY)
    response = await client.get("/console/units")
    assert response.status_code == 303 and response.headers["location"] == "/console/units/U01"


async def test_lists_show_only_the_scope(client, two_counties):
    await login(client, two_counties, COUNTY)
    overview = (await client.get("/console/")).text
    assert "示例村党支部" in overview and "另一县委" not in overview
    unit = (await client.get("/console/units/U0101")).text
    assert "测试干部甲" in unit and "测试干部乙" in unit and "另一县干部" not in unit


async def test_an_administrator_sees_head_and_village_but_never_phone_or_notes(client, two_counties):
    await login(client, two_counties, COUNTY)
    page = (await client.get("/console/cadres/C1")).text
    assert "示例户一" in page and "东村" in page and "西村" in page
    assert "13900000001" not in page and "缺劳力" not in page and "13800000001" not in page


async def test_names_from_the_roster_are_escaped(client, two_counties):
    two_counties.db.execute("UPDATE households SET head_name = '<script>alert(1)</script>' WHERE id = 'H1'")
    await login(client, two_counties, COUNTY)
    page = (await client.get("/console/cadres/C1")).text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---- 概览 ----

async def test_overview_counts_the_scope(client, two_counties):
    two_counties.db.execute("INSERT INTO visits (cadre_id, household_id, reported_at, visited_at) VALUES "
                            "('C2', 'H4', '2010-05-10T02:00:00+00:00', '2010-05-10T02:00:00+00:00')")
    await login(client, two_counties, COUNTY)
    page = (await client.get("/console/")).text
    figures = re.findall(r'<div class="figure[^"]*"><b>([^<]+)</b>', page)
    assert figures == ["2", "4", "25%", "3", "1"]  # 2 cadres, 4 households, 1 of 4 covered, 3 overdue, 1 cadre behind
    assert "<svg" in page and "5/10 这一周：1 次" in page


# ---- 提醒 ----

def add_deliveries(db, cadre_id: str, n: int, status: str, reason: str | None = None) -> None:
    db["deliveries"].insert_all([
        {"reminder_key": f"test:{cadre_id}:{status}:{i}", "kind": "deadline", "cadre_id": cadre_id, "channel": "console",
         "due_at": f"2010-05-{1 + i % 28:02d}T01:00:00+00:00", "text": "提醒", "status": status, "last_error": reason,
         "created_at": "2010-04-30T00:00:00+00:00"} for i in range(n)])


async def test_reminders_page_by_page_within_the_scope(client, two_counties):
    add_deliveries(two_counties.db, "C1", PAGE_SIZE + 5, "sent")
    add_deliveries(two_counties.db, "C2", 2, "undeliverable", "用户屏蔽了机器人")
    add_deliveries(two_counties.db, "C5", 3, "failed", "另一县的原因")
    await login(client, two_counties, COUNTY)
    first = (await client.get("/console/reminders")).text
    assert first.count("<tr>") - 1 == PAGE_SIZE and "另一县" not in first
    assert re.search(r"已发送 <b>55</b>", first) and re.search(r"失败 <b>0</b>", first)
    after = re.search(r'after=([^"&]+)" class="next"', first).group(1)
    second = (await client.get(f"/console/reminders?after={after}")).text
    assert second.count("<tr>") - 1 == 7 and 'class="next"' not in second
    failed = (await client.get("/console/reminders?status=undeliverable")).text
    assert failed.count("用户屏蔽了机器人") == 2


@pytest.mark.parametrize("query", ["after=not-a-cursor", "after=WyJ4Il0", "status=nonsense", "after=WyIwIiwgMV0"],
                         ids=["garbage", "wrong-shape", "unknown-status", "past-the-end"])
async def test_a_page_out_of_range_is_a_clear_404(client, two_counties, query, caplog):
    await login(client, two_counties, COUNTY)
    response = await client.get(f"/console/reminders?{query}")
    assert response.status_code == 404 and "没有这一页" in response.text
    assert "console refused GET /console/reminders -> 404" in caplog.text


# ---- 花名册 ----

def workbook_bytes(cadre_unit: str = "U0101") -> bytes:
    """A small roster workbook; a cadre in an unknown unit makes it fail the check."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in {
        "单位": [["单位编号", "单位名称", "上级单位编号", "单位类型"], ["U0102", "新村党支部", "U01", "基层党组织"]],
        "干部": [["干部编号", "姓名", "手机号", "单位编号", "职务", "角色"], ["C9", "新干部", "13800000009", cadre_unit, "", "干部"]],
        "农户": [["户编号", "户主姓名", "县市", "乡镇", "村", "人口", "联系电话", "备注"], ["H9", "新农户", "示例县", "示例乡", "新村", 3, "", ""]],
        "结对": [["结对类型", "联系方编号", "对象编号", "对象名称", "备注"], ["干部联户", "C9", "H9", "", ""]],
    }.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(client, csrf, name: str, data: bytes):
    return await client.post("/console/roster/check", data={"csrf_token": csrf}, files={"file": (name, data)})


async def test_roster_upload_checks_then_imports_on_confirmation(client, two_counties):
    csrf = await login(client, two_counties, OFFICE)
    bad = await upload(client, csrf, "花名册.xlsx", workbook_bytes(cadre_unit="U99"))
    assert bad.status_code == 422 and "没有导入" in bad.text and "U99" in bad.text
    assert two_counties.db.execute("SELECT COUNT(*) FROM cadres WHERE id = 'C9'").fetchone()[0] == 0
    good = await upload(client, csrf, "花名册.xlsx", workbook_bytes())
    assert good.status_code == 200 and "检查通过" in good.text and "确认导入" in good.text
    assert two_counties.db.execute("SELECT COUNT(*) FROM cadres WHERE id = 'C9'").fetchone()[0] == 0  # only checked
    upload_id = re.search(r'name="upload_id" value="([^"]+)"', good.text).group(1)
    done = await client.post("/console/roster/import", data={"csrf_token": csrf, "upload_id": upload_id})
    assert done.status_code == 200 and "已导入" in done.text
    assert two_counties.db.execute("SELECT unit_id FROM cadres WHERE id = 'C9'").fetchone()[0] == "U0101"
    # the new pairing dates from the bot's clock (its overdue clock's start), as `import --now` would date it
    assert two_counties.db.execute("SELECT first_imported_at FROM pairings WHERE cadre_id = 'C9'").fetchone()[0] \
        == two_counties.clock.now().isoformat()
    audit = two_counties.db.execute(
        "SELECT cadre_id, action, target FROM console_audit WHERE action = '导入花名册'").fetchall()
    assert audit == [(OFFICE, "导入花名册", "花名册.xlsx")]
    detail = two_counties.db.execute("SELECT detail FROM console_audit WHERE action = '导入花名册'").fetchone()[0]
    assert "干部：新增 1" in detail and "农户：新增 1" in detail
    again = await client.post("/console/roster/import", data={"csrf_token": csrf, "upload_id": upload_id})
    assert again.status_code == 410
    log = (await client.get("/console/audit")).text
    assert "导入花名册" in log and "活动办主任" in log


@pytest.mark.parametrize("name, data, status", [
    ("花名册.xlsx", b"not a zip file at all", 415),
    ("花名册.csv", b"a,b\n1,2\n", 415),
    ("照片.xlsx", b"\xff\xd8\xff\xe0" + b"0" * 100, 415),
], ids=["text-named-xlsx", "csv", "jpeg-named-xlsx"])
async def test_a_non_workbook_upload_is_refused(client, two_counties, name, data, status):
    csrf = await login(client, two_counties, OFFICE)
    response = await upload(client, csrf, name, data)
    assert response.status_code == status and "不是 Excel 工作簿" in response.text
    assert two_counties.db.execute("SELECT COUNT(*) FROM console_uploads").fetchone()[0] == 0


async def test_an_oversized_upload_is_refused(two_counties):
    two_counties.settings = dataclasses.replace(two_counties.settings, console=ConsoleSettings(max_upload_bytes=2000))
    async with client_for(two_counties) as c:
        csrf = await login(c, two_counties, OFFICE)
        response = await upload(c, csrf, "花名册.xlsx", workbook_bytes() + b"0" * 70_000)
    assert response.status_code == 413 and "文件太大" in response.text


async def test_a_roster_upload_without_csrf_writes_nothing(client, two_counties):
    await login(client, two_counties, OFFICE)
    response = await client.post("/console/roster/check", files={"file": ("花名册.xlsx", workbook_bytes())})
    assert response.status_code == 400
    assert two_counties.db.execute("SELECT COUNT(*) FROM console_uploads").fetchone()[0] == 0


# ---- 导出 ----

async def test_the_export_holds_only_the_scope(client, two_counties):
    await login(client, two_counties, COUNTY)
    response = await client.get("/console/export/report.xlsx")
    assert response.status_code == 200 and "filename*=utf-8''" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    # the scope workbook of `campaign-bot report`: the county's units, its cadres' pairings, never the other county's
    units = {row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True) if row[1]}  # rows and subtotals
    assert units == {"U01", "U0101"}
    parties = {row[1] for row in book["结对"].iter_rows(min_row=2, values_only=True) if row[0] == "干部联户"}
    assert parties == {"C1", "C2"}


async def test_the_export_covers_the_period_asked_for(client, two_counties):
    await login(client, two_counties, COUNTY)
    response = await client.get("/console/export/report.xlsx", params={"from": "2010-05-01", "to": "2010-05-31"})
    assert response.status_code == 200
    about = dict(load_workbook(io.BytesIO(response.content))["说明"].iter_rows(min_row=2, values_only=True))
    assert about["期间"] == "2010-05-01 00:00 至 2010-06-01 00:00"  # both days included, Beijing time


@pytest.mark.parametrize("params, words", [({"from": "5月1日"}, "不是日期"),
                                           ({"from": "2010-06-01", "to": "2010-05-01"}, "开始日期在结束日期之后")],
                         ids=["malformed", "reversed"])
async def test_a_bad_export_period_gets_a_chinese_page_and_no_file(client, two_counties, params, words):
    await login(client, two_counties, COUNTY)
    response = await client.get("/console/export/report.xlsx", params=params)
    assert response.status_code == 400 and words in response.text
    assert "spreadsheetml" not in response.headers["content-type"]


def big_workbook(households: int) -> bytes:
    """A valid roster workbook of one unit, one cadre and many households, slow enough to check to be seen."""
    from openpyxl import Workbook as WriteOnly

    book = WriteOnly(write_only=True)
    for title, header, rows in (
        ("单位", ["单位编号", "单位名称", "上级单位编号", "单位类型"], [["U0102", "新村党支部", "U01", "基层党组织"]]),
        ("干部", ["干部编号", "姓名", "手机号", "单位编号", "职务", "角色"], [["C9", "新干部", "", "U0102", "", "干部"]]),
        ("农户", ["户编号", "户主姓名", "县市", "乡镇", "村", "人口", "联系电话", "备注"],
         ([f"HB{i:06d}", f"户主{i}", "示例县", "示例乡", "新村", 3, "", ""] for i in range(households))),
        ("结对", ["结对类型", "联系方编号", "对象编号", "对象名称", "备注"], [["干部联户", "C9", "HB000000", "", ""]]),
    ):
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_checking_a_large_roster_leaves_the_event_loop_free(client, two_counties):
    import asyncio

    csrf = await login(client, two_counties, OFFICE)
    data = big_workbook(20_000)
    ticks = 0
    done = asyncio.Event()

    async def ticker():
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    before = ticks
    response = await upload(client, csrf, "大花名册.xlsx", data)
    done.set()
    await ticking
    assert response.status_code == 200 and "检查通过" in response.text
    assert ticks - before >= 10  # the loop went on while the check ran (blocked, it would not have ticked at all)


async def test_an_unconfirmed_upload_is_deleted_when_the_next_one_comes(client, two_counties):
    csrf = await login(client, two_counties, OFFICE)
    await upload(client, csrf, "第一份.xlsx", workbook_bytes())
    [(first,)] = two_counties.db.execute("SELECT path FROM console_uploads").fetchall()
    assert Path(first).exists()
    await upload(client, csrf, "第二份.xlsx", workbook_bytes())
    assert [r[0] for r in two_counties.db.execute("SELECT filename FROM console_uploads")] == ["第二份.xlsx"]
    assert not Path(first).exists()


async def test_a_unit_with_many_units_below_lists_them_page_by_page(client, two_counties):
    two_counties.db["units"].insert_all([{"id": f"U01{n:03d}", "name": f"新支部{n}", "parent_id": "U01",
                                          "kind": "基层党组织"} for n in range(55)])
    await login(client, two_counties, COUNTY)
    first = (await client.get("/console/units/U01")).text
    listed = re.compile(r'href="/console/units/U01\w+"')
    assert len(listed.findall(first)) == 50 and "本单位干部" in first
    after = re.search(r'after=([^"&]+)" class="next"', first).group(1)
    second = (await client.get(f"/console/units/U01?after={after}")).text
    assert len(listed.findall(second)) == 6 and "新支部54" in second and 'class="next"' not in second
