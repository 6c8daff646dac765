"""我的联系户 and 我的结对 through the console channel: contents, overdue flags, and who may see what."""

import pytest

from tests.conftest import local


@pytest.mark.parametrize("words", ["我的联系户", "我的结对户", "我的帮扶户", "我联系的农户有哪些", "/households"])
async def test_lists_households_with_details(chat, words):
    reply = await chat("C1").text(words)
    assert "共 3 户" in reply
    for expected in ("示例户一", "东村", "5人", "13900000001", "缺劳力", "示例户三", "西村"):
        assert expected in reply
    assert "示例户四" not in reply  # paired with C2, not C1


async def test_household_without_visit_is_overdue_and_visited_one_is_not(chat, roster):
    roster.db["visits"].insert({"cadre_id": "C1", "household_id": "H1", "reported_at": "2010-05-10T02:00:00+00:00",
                                "visited_at": "2010-05-10T02:00:00+00:00"})
    reply = await chat("C1").text("我的联系户")
    block_h1, block_h2 = reply.split("2. ")[0].split("1. ")[1], reply.split("2. ")[1].split("3. ")[0]
    assert "最近走访 2010-05-10，共 1 次" in block_h1 and "⚠" not in block_h1
    assert "尚未走访" in block_h2 and "⚠ 已超过30天未走访" in block_h2


async def test_old_visit_is_overdue(chat, roster, clock):
    roster.db["visits"].insert({"cadre_id": "C1", "household_id": "H1", "reported_at": "2010-04-01T02:00:00+00:00",
                                "visited_at": "2010-04-01T02:00:00+00:00"})
    clock.set(local("2010-05-12T09:00"))
    reply = await chat("C1").text("我的联系户")
    assert "最近走访 2010-04-01，共 1 次  ⚠ 已超过30天未走访" in reply


async def test_another_cadres_visit_does_not_count(chat, roster):
    roster.db["visits"].insert({"cadre_id": "C2", "household_id": "H1", "reported_at": "2010-05-10T02:00:00+00:00",
                                "visited_at": "2010-05-10T02:00:00+00:00"})
    reply = await chat("C1").text("我的联系户")
    assert "最近走访" not in reply


async def test_visitor_sees_no_household(chat):
    reply = await chat("stranger").text("我的联系户")
    assert "绑定" in reply
    assert "示例户" not in reply and "139" not in reply


async def test_cadre_sees_only_own_households(chat):
    reply = await chat("C2").text("我的联系户")
    assert "共 1 户" in reply and "示例户四" in reply
    assert "示例户一" not in reply and "13900000001" not in reply


async def test_cadre_without_households(chat):
    assert "没有结对联系户" in await chat("C3").text("我的联系户")


async def test_pairings_of_cadre_and_unit(chat):
    reply = await chat("C1").text("我的结对")
    assert "您本人的结对" in reply and "干部联户：3 户" in reply
    assert "领导联校：示例小学（每月一次）" in reply
    assert "本单位（示例村党支部）的结对" in reply
    assert "机关联村：东村" in reply and "党建带团建：示例村团支部" in reply


async def test_pairings_need_binding(chat):
    assert "绑定" in await chat("stranger").text("/pairing")


async def test_never_visited_is_not_flagged_before_the_campaign_has_run_the_interval(chat, clock):
    clock.set(local("2010-04-20T09:00"))  # the campaign began on 2010-04-01, as the visit reminders count
    reply = await chat("C1").text("我的联系户")
    assert "尚未走访" in reply and "⚠" not in reply
