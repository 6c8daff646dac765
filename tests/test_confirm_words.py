"""Yes and no words answer whatever the bot offered, once in the router; 撤消 works as 撤销; unbound admins."""

import pytest

from bot.router import ADMIN_NOT_BOUND
from tests.conftest import jpeg


@pytest.mark.parametrize("word", ["是", "确认", "好", "好的。"], ids=["shi", "queren", "hao", "hao-de"])
async def test_a_yes_word_confirms_the_offer(chat, roster, word):
    await chat("C1").text("解绑")
    assert "已解除本聊天" in await chat("C1").text(word)
    assert roster.db.execute("SELECT active FROM bindings WHERE cadre_id = 'C1'").fetchone()[0] == 0


@pytest.mark.parametrize("word", ["不", "取消"], ids=["bu", "quxiao"])
async def test_a_no_word_cancels_the_offer(chat, roster, word):
    await chat("C1").text("解绑")
    assert "已取消，绑定保持不变" in await chat("C1").text(word)
    assert roster.db.execute("SELECT active FROM bindings WHERE cadre_id = 'C1'").fetchone()[0] == 1


async def test_no_cancels_a_pending_visit_too(chat, roster):
    await chat("C1").photo(jpeg())  # three households: the bot asks which
    assert "已取消" in await chat("C1").text("不")
    assert roster.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


async def test_yes_picks_nothing_where_no_option_means_yes(chat, roster):
    await chat("C1").photo(jpeg())
    await chat("C1").text("好")  # which household is not a yes-or-no question
    assert roster.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


async def test_undo_written_with_the_variant_character(chat, roster):
    await chat("C2").photo(jpeg())  # one household: recorded at once
    assert "已撤销" in await chat("C2").text("撤消")
    assert roster.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


async def test_an_unbound_user_asking_for_progress_is_told_it_needs_an_admin_binding(chat):
    assert await chat("visitor").text("进度") == ADMIN_NOT_BOUND
