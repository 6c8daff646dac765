"""Binding chats to cadres, on any channel: shared phone numbers, one-time codes (issued by `campaign-bot invite`),
rebinding and unbinding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.app import BotApp
from handlers import ROUTES
from bot.store.binding_codes import ALPHABET, CODE_LENGTH, issue_codes
from bot.store.bindings import UNBOUND_REASON, normalise_phone
from bot.cli import cli
from bot.messages import Contact, Incoming
from bot.router import answer as dispatch
from tests.conftest import local

CHANNEL = "wechat"  # any channel but the console, whose chats the roster fixture binds


async def say(app: BotApp, chat_id: str, text: str = "", **fields) -> str:
    """Sends one message from chat_id (user id the same) and returns the replies' texts."""
    msg = Incoming(channel=CHANNEL, chat_id=chat_id, user_id=chat_id, sent_at=app.clock.now(), text=text, **fields)
    return "\n".join(o.text for o in await dispatch(app, msg))


def binding(app: BotApp, chat_id: str) -> tuple | None:
    row = app.db.execute("SELECT cadre_id, active, inactive_reason FROM bindings WHERE channel = ? AND chat_id = ?",
                         (CHANNEL, chat_id)).fetchone()
    return tuple(row) if row else None


def code_for(app: BotApp, cadre_id: str) -> str:
    [issued] = issue_codes(app.db, [cadre_id], app.clock.now(), app.settings.binding.code_ttl_days)
    return issued.code


@pytest.mark.parametrize("typed, stored", [
    ("13800000001", "13800000001"),
    ("+86 138-0000-0001", "13800000001"),
    ("+8613800000001", "13800000001"),
    ("008613800000001", "13800000001"),
    ("138 0000 0001", "13800000001"),
    ("(0941) 822-1234", "09418221234"),
], ids=["plain", "international with dashes", "international", "0086", "spaces", "landline"])
def test_phone_numbers_are_normalised(typed, stored):
    assert normalise_phone(typed) == stored


async def test_own_contact_binds(roster):
    reply = await say(roster, "u1", contact=Contact(phone="+86 13800000002", user_id="u1"))
    assert "绑定成功" in reply and "测试干部乙" in reply
    assert binding(roster, "u1") == ("C2", 1, None)


async def test_contact_without_an_owner_is_refused(roster):
    reply = await say(roster, "u1", contact=Contact(phone="13800000002", user_id=None))
    assert "本人" in reply and binding(roster, "u1") is None


async def test_codes_are_short_unambiguous_and_distinct(roster):
    issued = issue_codes(roster.db, ["C1", "C2", "C3"], roster.clock.now(), 7)
    codes = [i.code for i in issued]
    assert len(set(codes)) == 3
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)
    assert not set("0O1IL") & set(ALPHABET)
    assert issued[0].expires_at == roster.clock.now() + timedelta(days=7)


async def test_issuing_for_an_unknown_cadre_issues_nothing(roster):
    with pytest.raises(LookupError, match="NOPE"):
        issue_codes(roster.db, ["C1", "NOPE"], roster.clock.now(), 7)
    assert roster.db.execute("SELECT COUNT(*) FROM binding_codes").fetchone()[0] == 0


@pytest.mark.parametrize("typed", ["绑定 {code}", "绑定{code}", "绑定码：{code}", "綁定 {lower}", "绑定 {wide}"],
                         ids=["with space", "without space", "with 码 and colon", "traditional, lower case",
                              "full-width"])
async def test_code_binds_however_it_is_typed(roster, typed):
    code = code_for(roster, "C3")
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in code)
    reply = await say(roster, "u1", typed.format(code=code, lower=code.lower(), wide=wide))
    assert "绑定成功" in reply and "测试干部丙" in reply
    assert binding(roster, "u1") == ("C3", 1, None)


async def test_code_works_once(roster):
    code = code_for(roster, "C2")
    await say(roster, "u1", f"绑定 {code}")
    reply = await say(roster, "u2", f"绑定 {code}")
    assert "已经用过" in reply
    assert binding(roster, "u1")[0] == "C2" and binding(roster, "u2") is None


async def test_code_is_redeemed_once_across_connections(roster, settings, clock):
    code = code_for(roster, "C2")
    other = BotApp.create(settings, clock, routes=ROUTES)  # a second process on the same database file
    replies = [await say(roster, "u1", f"绑定 {code}"), await say(other, "u2", f"绑定 {code}")]
    assert ["绑定成功" in r for r in replies] == [True, False]
    other.db.close()


@pytest.mark.parametrize("age, works", [(timedelta(days=7) - timedelta(seconds=1), True),
                                        (timedelta(days=7), False)], ids=["last second", "expired"])
async def test_code_expires_after_the_configured_days(roster, clock, age, works):
    code = code_for(roster, "C2")
    clock.set(clock.now() + age)
    reply = await say(roster, "u1", f"绑定 {code}")
    assert ("绑定成功" in reply) is works and ("已过期" in reply) is not works


async def test_unknown_code_and_missing_code_are_explained(roster):
    assert "不存在" in await say(roster, "u1", "绑定 ZZZZ2222")
    assert "加上绑定码" in await say(roster, "u1", "绑定")
    assert binding(roster, "u1") is None


async def test_rebinding_replaces_the_old_binding(roster):
    await say(roster, "u1", f"绑定 {code_for(roster, 'C1')}")
    await say(roster, "u1", f"绑定 {code_for(roster, 'C2')}")
    assert binding(roster, "u1") == ("C2", 1, None)
    assert roster.db.execute("SELECT COUNT(*) FROM bindings WHERE channel = ?", (CHANNEL,)).fetchone()[0] == 1
    assert "示例户四" in await say(roster, "u1", "我的联系户")  # C2's household, not C1's


async def test_deep_link_binds(roster):
    reply = await say(roster, "u1", f"/start {code_for(roster, 'C1')}")
    assert "绑定成功" in reply and binding(roster, "u1")[0] == "C1"


async def test_unbind_stops_personal_answers(roster):
    await say(roster, "u1", f"绑定 {code_for(roster, 'C1')}")
    assert "确定要解绑吗" in await say(roster, "u1", "解绑")
    assert binding(roster, "u1")[1] == 1  # nothing happens before the cadre confirms
    assert "已解除" in await say(roster, "u1", "1")
    assert binding(roster, "u1") == ("C1", 0, UNBOUND_REASON)
    assert "示例户一" not in await say(roster, "u1", "我的联系户")
    assert "不需要解绑" in await say(roster, "u1", "解绑")


async def test_unbind_can_be_called_off(roster):
    await say(roster, "u1", f"绑定 {code_for(roster, 'C1')}")
    await say(roster, "u1", "解绑")
    assert "绑定保持不变" in await say(roster, "u1", "取消")
    assert binding(roster, "u1")[1] == 1 and "示例户一" in await say(roster, "u1", "我的联系户")


async def test_a_stale_unbind_button_does_nothing(roster):
    await say(roster, "u1", f"绑定 {code_for(roster, 'C1')}")
    assert "失效" in await say(roster, "u1", choice="unbind:yes")
    assert binding(roster, "u1")[1] == 1


# ---- campaign-bot invite ----

@pytest.fixture
def config_file(roster, tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\npath = "{roster.settings.database.path}"\n', encoding="utf-8")
    return path


def unbind_all(app):
    app.db.execute("DELETE FROM bindings")


def test_invite_prints_one_code_per_cadre(roster, config_file):
    unbind_all(roster)
    result = CliRunner().invoke(cli, ["invite", "C1", "C2", "--config", str(config_file),
                                      "--now", "2010-05-12T09:00"])
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.output.splitlines() if "\t" in line]
    assert [(line[0], line[1]) for line in lines] == [("C1", "测试干部甲"), ("C2", "测试干部乙")]
    assert all(line[3] == "有效期至 2010-05-19 09:00" for line in lines)
    stored = dict(roster.db.execute("SELECT code, cadre_id FROM binding_codes").fetchall())
    assert stored == {lines[0][2]: "C1", lines[1][2]: "C2"}


def test_invite_writes_a_unit_workbook(roster, config_file, tmp_path):
    unbind_all(roster)
    out = tmp_path / "codes" / "绑定码.xlsx"
    result = CliRunner().invoke(cli, ["invite", "--unit", "U0101", "--out", str(out), "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("干部编号", "姓名", "绑定码", "有效期至", "发给干部的话")
    assert [r[:2] for r in rows[1:]] == [("C1", "测试干部甲"), ("C2", "测试干部乙")]
    assert rows[1][4] == f"测试干部甲同志：请给创先争优活动助手发送“绑定 {rows[1][2]}”完成绑定（{rows[1][3]}前有效，只能用一次）。"
    assert {r[2] for r in rows[1:]} == {r[0] for r in roster.db.execute("SELECT code FROM binding_codes")}


@pytest.mark.parametrize("args, message", [
    (["NOPE"], "找不到干部编号：NOPE"),
    (["--unit", "U99"], "找不到单位编号：U99"),
    ([], "请给出干部编号"),
    (["C1", "--out", "codes.csv"], "--out 要以 .xlsx 结尾"),
], ids=["unknown cadre", "unknown unit", "nothing asked", "not a workbook"])
def test_invite_refuses_what_it_cannot_do(roster, config_file, args, message):
    result = CliRunner().invoke(cli, ["invite", *args, "--config", str(config_file)])
    assert result.exit_code != 0 and message in result.output
    assert roster.db.execute("SELECT COUNT(*) FROM binding_codes").fetchone()[0] == 0


def test_invite_unit_means_the_unit_and_every_unit_below(roster, config_file):
    unbind_all(roster)
    result = CliRunner().invoke(cli, ["invite", "--unit", "U01", "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    assert sorted(line.split("\t")[0] for line in result.output.splitlines() if "\t" in line) == ["C1", "C2", "C3"]
    assert "--unit" in CliRunner().invoke(cli, ["invite", "--help"]).output
    assert "下属单位" in CliRunner().invoke(cli, ["invite", "--help"]).output


def test_invite_skips_bound_cadres_by_name_unless_rebind(roster, config_file):
    roster.db.execute("DELETE FROM bindings WHERE cadre_id = 'C2'")
    result = CliRunner().invoke(cli, ["invite", "C1", "C2", "--config", str(config_file)])
    assert result.exit_code == 0, result.output
    assert [r[0] for r in roster.db.execute("SELECT cadre_id FROM binding_codes")] == ["C2"]
    assert "已绑定" in result.output and "测试干部甲（C1）" in result.output and "测试干部乙（C2）" not in result.output
    again = CliRunner().invoke(cli, ["invite", "C1", "--rebind", "--config", str(config_file)])
    assert again.exit_code == 0 and "已绑定" not in again.output
    assert sorted(r[0] for r in roster.db.execute("SELECT cadre_id FROM binding_codes")) == ["C1", "C2"]


async def test_a_new_code_revokes_the_cadres_unused_earlier_codes(roster, config_file):
    unbind_all(roster)
    first = CliRunner().invoke(cli, ["invite", "C1", "C2", "--config", str(config_file), "--now", "2010-05-12T09:00"])
    old = {line.split("\t")[0]: line.split("\t")[2] for line in first.output.splitlines() if "\t" in line}
    second = CliRunner().invoke(cli, ["invite", "C1", "--config", str(config_file), "--now", "2010-05-12T09:05"])
    roster.clock.set(local("2010-05-12T09:10"))
    new = next(line.split("\t")[2] for line in second.output.splitlines() if "\t" in line)
    assert "过期" in await say(roster, "u1", f"绑定 {old['C1']}")
    assert binding(roster, "u1") is None
    await say(roster, "u1", f"绑定 {new}")
    assert binding(roster, "u1")[0] == "C1"
    await say(roster, "u2", f"绑定 {old['C2']}")  # another cadre's code is untouched
    assert binding(roster, "u2")[0] == "C2"


def test_invite_refuses_to_overwrite_a_file(roster, config_file, tmp_path):
    unbind_all(roster)
    out = tmp_path / "绑定码.xlsx"
    out.write_bytes(b"the clerk's earlier workbook")
    result = CliRunner().invoke(cli, ["invite", "C1", "--out", str(out), "--config", str(config_file)])
    assert result.exit_code != 0 and "已经存在" in result.output
    assert out.read_bytes() == b"the clerk's earlier workbook"
    assert roster.db.execute("SELECT COUNT(*) FROM binding_codes").fetchone()[0] == 0


@pytest.mark.parametrize("text", ["绑定码在哪里要", "绑定怎么弄", "綁定碼找誰要"])
async def test_a_question_about_binding_is_not_taken_for_a_code(chat, text):
    reply = await chat("stranger").text(text)
    assert "不存在" not in reply and "绑定码" in reply
