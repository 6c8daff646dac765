"""The router: the handler table's order, numbered choices, unknown commands, and a crash that leaves nothing."""

from bot.db import transaction
from bot.messages import Incoming, Outgoing
from bot.router import CRASH_REPLY, answer as dispatch
from bot.rules import Route, always, parse_command


def incoming(app, text="", chat_id="C1", **fields):
    return Incoming(channel="console", chat_id=chat_id, user_id=chat_id, sent_at=app.clock.now(), text=text, **fields)


def test_parse_command():
    assert parse_command("/start ABC123") == ("start", "ABC123")
    assert parse_command("/Help@CampaignBot") == ("help", "")
    assert parse_command("我的联系户") is None and parse_command("/") is None


async def test_crash_in_the_middle_writes_nothing_and_says_so(roster):
    async def half_then_crash(msg, ctx):
        with transaction(ctx.db):
            ctx.db.execute("INSERT INTO visits (cadre_id, household_id, reported_at, visited_at) "
                           "VALUES ('C1', 'H1', 'x', 'x')")
            raise RuntimeError("disk on fire")
        return []

    replies = await dispatch(roster, incoming(roster, "hi"), [Route("boom", always, half_then_crash)])
    assert [r.text for r in replies] == [CRASH_REPLY]
    assert roster.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0


async def test_unknown_command_is_answered(chat):
    reply = await chat("C1").text("/frobnicate now")
    assert "没有“/frobnicate”这个命令" in reply and "帮助" in reply


async def test_start_greets_bound_cadre_by_name(chat):
    reply = await chat("C1").text("/start")
    assert "测试干部甲同志" in reply and "示例村党支部" in reply


async def test_start_offers_contact_button_to_visitor(chat):
    [reply] = await chat("nobody").send("/start")
    assert reply.ask_contact and "绑定" in reply.text


async def test_first_matching_route_wins(roster):
    async def first(msg, ctx):
        return [Outgoing("first")]

    async def second(msg, ctx):
        return [Outgoing("second")]

    replies = await dispatch(roster, incoming(roster, "x"), [Route("a", always, first), Route("b", always, second)])
    assert [r.text for r in replies] == ["first"]


async def test_message_updates_last_seen(roster, clock):
    await dispatch(roster, incoming(roster, "帮助"))
    [seen] = roster.db.execute("SELECT last_seen_at FROM bindings WHERE chat_id = 'C1'").fetchone()
    assert seen == clock.now().isoformat()
