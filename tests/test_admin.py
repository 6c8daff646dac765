"""Administrators: visit progress in chat for the units they oversee, and the Excel report."""

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import cli
from bot.db import open_db
from tests.conftest import insert_roster, jpeg


async def test_unit_admin_sees_progress_of_the_subtree(chat, roster):
    await chat("C2").photo(jpeg())  # C2's only household is now visited
    reply = await chat("C3").text("进度")
    assert "示例县委及下属单位走访进度" in reply
    assert "结对干部 2 人，联系户 4 户" in reply and "超过30天未走访：3 户，涉及干部 1 人" in reply
    assert "· 测试干部甲（示例村党支部）3/3 户未按期走访" in reply
    assert "测试干部乙" not in reply
    assert "示例户" not in reply  # no household's personal data in the summary


async def test_office_admin_sees_the_whole_prefecture(chat, roster):
    roster.db.execute("UPDATE cadres SET role = '活动办管理员' WHERE id = 'C3'")
    assert "全州走访进度" in await chat("C3").text("谁还没走访")


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
    db.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    return config


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_report_for_a_county_has_its_units_only(filled, tmp_path):
    out = tmp_path / "县进度.xlsx"
    result = CliRunner().invoke(cli, ["report", "--unit", "U01", "--out", str(out), "--config", str(filled),
                                      "--now", "2010-05-12T09:00"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["干部走访进度", "走访记录", "未送达提醒", "失效绑定"]
    progress = rows(book["干部走访进度"])
    assert progress[0][:5] == ["干部编号", "姓名", "单位", "联系户数", "超过30天未走访户数"]
    assert [r[0] for r in progress[1:]] == ["C1", "C2"]  # C9 is in another county
    assert progress[1][3:6] == [3, 2, "2010-05-10 10:00"]
    assert rows(book["走访记录"])[1][:7] == ["2010-05-10 10:00", "C1", "测试干部甲", "示例村党支部", "H1", "示例户一", "东村"]
    assert rows(book["失效绑定"])[1][:4] == ["telegram", "C2", "测试干部乙", "用户已屏蔽机器人"]


def test_report_for_the_prefecture_has_everyone(filled, tmp_path):
    out = tmp_path / "全州.xlsx"
    CliRunner().invoke(cli, ["report", "--out", str(out), "--config", str(filled)])
    assert {r[0] for r in rows(load_workbook(out)["干部走访进度"])[1:]} == {"C1", "C2", "C9"}


def test_report_for_unknown_unit(filled, tmp_path):
    result = CliRunner().invoke(cli, ["report", "--unit", "NOPE", "--out", str(tmp_path / "x.xlsx"),
                                      "--config", str(filled)])
    assert result.exit_code == 1 and "找不到单位编号“NOPE”" in result.output
    assert not (tmp_path / "x.xlsx").exists()
