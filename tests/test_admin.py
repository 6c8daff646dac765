"""Administrators: visit progress in chat for the units they oversee, and the Excel report."""

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import cli
from bot.db import open_db
from tests.conftest import insert_roster, jpeg, local


async def test_unit_admin_sees_progress_of_the_subtree(chat, roster):
    await chat("C2").photo(jpeg())  # C2's only household is now visited
    reply = await chat("C3").text("进度")
    assert "示例县委及下属单位走访进度" in reply
    assert "· 示例村党支部：4／1／3" in reply
    assert "合计：联系户 4 户，已走访 1 户，超期未走访 3 户" in reply
    assert "示例户" not in reply  # no household's personal data in the summary


async def test_never_visited_is_not_overdue_before_the_campaign_has_run_the_interval(chat, roster, clock):
    clock.set(local("2010-04-20T09:00"))  # the campaign began on 2010-04-01: nobody is 30 days late yet
    reply = await chat("C3").text("进度")
    assert "合计：联系户 4 户，已走访 0 户，超期未走访 0 户" in reply


@pytest.mark.parametrize("words, expected", [("進度", "示例县委及下属单位走访进度"), ("走訪進度", "示例县委及下属单位走访进度"),
                                             ("誰沒走訪", "示例县委及下属单位超过30天未走访的联系户")],
                         ids=["progress", "visit-progress", "who-not"])
async def test_traditional_script_asks_too(chat, words, expected):
    assert expected in await chat("C3").text(words)


async def test_office_admin_sees_the_whole_prefecture(chat, roster):
    roster.db.execute("UPDATE cadres SET role = '活动办管理员' WHERE id = 'C3'")
    assert "全州超过30天未走访的联系户" in await chat("C3").text("谁还没走访")


async def test_admin_of_a_unit_without_pairings(chat, roster):
    roster.db.execute("UPDATE cadres SET unit_id = 'U02' WHERE id = 'C3'")
    assert "没有登记干部联户结对" in await chat("C3").text("/progress")


async def test_plain_cadre_does_not_get_progress(chat):
    assert "走访进度" not in await chat("C1").text("进度")


@pytest.fixture
def filled(tmp_path):
    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    db["units"].insert({"id": "U03", "name": "别县县委", "parent_id": "U00", "kind": "县市委"})
    db["cadres"].insert({"id": "C9", "name": "别县干部", "phone": None, "unit_id": "U03", "role": "干部"})
    db["households"].insert({"id": "H9", "head_name": "别县户", "village": "北村"})
    db["pairings"].insert({"pair_key": "干部联户|C9|H9", "kind": "干部联户", "cadre_id": "C9", "household_id": "H9"})
    db["visits"].insert({"cadre_id": "C1", "household_id": "H1", "reported_at": "2010-05-10T02:00:00+00:00",
                         "visited_at": "2010-05-10T02:00:00+00:00", "note": "春耕"})
    db["bindings"].insert({"channel": "telegram", "chat_id": "42", "cadre_id": "C2", "active": 0,
                           "bound_at": "2010-05-01T00:00:00+00:00", "inactive_reason": "用户已屏蔽机器人"})
    db["deliveries"].insert({"reminder_key": "visit:2010-W19", "kind": "visit", "cadre_id": "C1", "text": "…",
                             "due_at": "2010-05-10T01:00:00+00:00", "status": "undeliverable",
                             "last_error": "未绑定", "created_at": "2010-05-10T01:00:00+00:00"})
    db.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    return config


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_report_for_unknown_unit(filled, tmp_path):
    result = CliRunner().invoke(cli, ["report", "--unit", "NOPE", "--out", str(tmp_path / "x.xlsx"),
                                      "--config", str(filled)])
    assert result.exit_code == 1 and "找不到单位编号“NOPE”" in result.output
    assert not (tmp_path / "x.xlsx").exists()


async def test_plain_cadre_asking_progress_is_told_who_may_and_what_to_send(chat):
    reply = await chat("C1").text("进度")
    assert "只有单位管理员和活动办能查看" in reply and "我的联系户" in reply


async def test_question_about_the_documents_words_is_not_a_progress_request(chat):
    assert "走访进度" not in await chat("C3").text("进度服从效果是什么意思")


async def test_a_long_list_of_overdue_households_goes_on_with_next_page(chat, roster):
    for n in range(12):
        roster.db["cadres"].insert({"id": f"X{n}", "name": f"后进{n}", "unit_id": "U0101", "role": "干部"})
        roster.db["pairings"].insert({"pair_key": f"干部联户|X{n}|H1", "kind": "干部联户", "cadre_id": f"X{n}",
                                      "household_id": "H1"})
    first = await chat("C3").send("谁没走访")
    assert first[-1].text.count("· ") == 10 and [c.label for c in first[-1].choices] == ["下一页"]
    second = await chat("C3").text("下一页")
    assert second.count("· ") == 6 and "第 11-16 户" in second and "下一页" not in second
    seen = [line for line in (first[-1].text + second).splitlines() if "后进" in line]
    assert len(seen) == 12  # every cadre once: no row repeated or skipped between pages
    assert "没有正在查看的列表" in await chat("C3").text("下一页")


def test_report_must_be_an_xlsx(filled, tmp_path):
    result = CliRunner().invoke(cli, ["report", "--out", str(tmp_path / "进度.csv"), "--config", str(filled)])
    assert result.exit_code == 1 and "要以 .xlsx 结尾" in result.output
    assert not (tmp_path / "进度.csv").exists()


def test_invite_workbook_keeps_a_formula_like_name_as_text(tmp_path):
    from bot.app import BotApp
    from bot.cli import invite_command
    from bot.clock import FixedClock
    from bot.config import DatabaseSettings, Settings
    from tests.conftest import local

    app = BotApp.create(Settings(database=DatabaseSettings(path=str(tmp_path / "b.db"))), FixedClock(local("2010-05-12T09:00")))
    insert_roster(app.db)
    app.db.execute("UPDATE cadres SET name = '=1+1' WHERE id = 'C1'")
    invite_command(app, ("C1",), None, str(tmp_path / "codes.xlsx"))
    cell = load_workbook(tmp_path / "codes.xlsx")["绑定码"]["B2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
