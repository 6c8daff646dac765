"""The conversation model: who a route allows, the state it answers in, the choices the router remembers and
resolves, neutral events, and the one error family the CLI turns into a message."""

import json

import pytest
from click.testing import CliRunner

from bot.app import BotApp
from bot.cli import cli
from bot.db import open_db
from bot.messages import Choice, Event, Incoming, IncomingPhoto, Location, Outgoing
from bot.migrations import migrate
from bot.router import ADMIN_NOT_BOUND, ADMINS_ONLY, NOT_BOUND, OFFICE_ONLY, PHOTO_NOT_SAVED, answer
from bot.rules import ANYONE, BOUND, IDLE, OFFICE, UNIT_ADMIN, Route, always, event
from handlers import ROUTES
from tests.conftest import jpeg

PICKING = "PICKING_FRUIT"
FRUITS = (Choice("苹果", "fruit:apple"), Choice("梨", "fruit:pear"), Choice("取消", "fruit:none"))


def incoming(app, text="", chat_id="C1", **fields):
    return Incoming(channel="console", chat_id=chat_id, user_id=chat_id, sent_at=app.clock.now(), text=text, **fields)


async def echo(msg, ctx):
    return [Outgoing(f"ok:{ctx.cadre.id if ctx.cadre else '-'}")]


async def offer_fruit(msg, ctx):
    ctx.set_state(PICKING, {"asked": msg.text})
    return [Outgoing("哪一种？", choices=FRUITS)]


async def picked(msg, ctx):
    asked = ctx.state_data["asked"]
    ctx.clear_state()
    return [Outgoing(f"{asked}->{msg.choice}")]


FRUIT_ROUTES = [
    Route("picked", lambda msg, ctx: msg.choice is not None, picked, state=PICKING),
    Route("offer", always, offer_fruit),
]


@pytest.mark.parametrize("requires, chat_id, expected", [
    (ANYONE, "visitor", "ok:-"),
    (BOUND, "visitor", NOT_BOUND),
    (BOUND, "C1", "ok:C1"),
    (UNIT_ADMIN, "visitor", ADMIN_NOT_BOUND),
    (UNIT_ADMIN, "C1", ADMINS_ONLY),
    (UNIT_ADMIN, "C3", "ok:C3"),
    (OFFICE, "C3", OFFICE_ONLY),
], ids=["anyone", "bound refuses a visitor", "bound allows a cadre", "unit admin refuses a visitor",
        "unit admin refuses a plain cadre", "unit admin allows 单位管理员", "office refuses 单位管理员"])
async def test_a_route_refuses_with_one_text_per_requirement(roster, requires, chat_id, expected):
    [reply] = await answer(roster, incoming(roster, "x", chat_id), [Route("r", always, echo, requires=requires)])
    assert reply.text == expected


async def test_the_office_route_allows_the_office(roster):
    roster.db.execute("UPDATE cadres SET role = '活动办管理员' WHERE id = 'C3'")
    [reply] = await answer(roster, incoming(roster, "x", "C3"), [Route("r", always, echo, requires=OFFICE)])
    assert reply.text == "ok:C3"


async def test_a_visitors_photo_is_refused_saying_it_was_not_kept(roster):
    [refused] = await answer(roster, incoming(roster, chat_id="visitor", photos=(IncomingPhoto(jpeg()),)), ROUTES)
    assert refused.text == PHOTO_NOT_SAVED + NOT_BOUND
    [reply] = await answer(roster, incoming(roster, "/visits", chat_id="visitor"), ROUTES)
    assert reply.text == NOT_BOUND


async def test_a_state_route_answers_only_in_its_state(roster):
    stateful = [Route("in state", always, echo, state=PICKING)]
    idle_only = [Route("idle", always, echo, state=IDLE)]
    assert await answer(roster, incoming(roster, "x"), stateful) == []
    assert [r.text for r in await answer(roster, incoming(roster, "x"), idle_only)] == ["ok:C1"]
    roster.db.execute("INSERT INTO conversation_state (channel, chat_id, state, data, updated_at) "
                      "VALUES ('console', 'C1', ?, '{}', 'x')", (PICKING,))
    assert [r.text for r in await answer(roster, incoming(roster, "x"), stateful)] == ["ok:C1"]
    assert await answer(roster, incoming(roster, "x"), idle_only) == []


@pytest.mark.parametrize("typed, value", [
    ("2", "fruit:pear"), ("２", "fruit:pear"), ("第2个", "fruit:pear"), ("梨", "fruit:pear"), ("1", "fruit:apple"),
], ids=["number", "full-width number", "第2个", "label", "first"])
async def test_the_router_resolves_an_answer_to_the_choices_offered(roster, typed, value):
    await answer(roster, incoming(roster, "水果"), FRUIT_ROUTES)
    [reply] = await answer(roster, incoming(roster, typed), FRUIT_ROUTES)
    assert reply.text == f"水果->{value}"


async def test_an_answer_outside_the_choices_is_not_resolved(roster):
    await answer(roster, incoming(roster, "水果"), FRUIT_ROUTES)
    [reply] = await answer(roster, incoming(roster, "4"), FRUIT_ROUTES)
    assert reply.text == "哪一种？"  # no choice: the offer is made again


async def test_the_choices_offered_survive_a_restart(roster, settings, clock):
    await answer(roster, incoming(roster, "水果"), FRUIT_ROUTES)
    stored = roster.db.execute("SELECT choices, data FROM conversation_state WHERE chat_id = 'C1'").fetchone()
    assert json.loads(stored[0]) == [["苹果", "fruit:apple", ""], ["梨", "fruit:pear", ""], ["取消", "fruit:none", ""]]
    assert "choices" not in json.loads(stored[1])  # the handler's data holds only what the handler put there
    restarted = BotApp.create(settings, clock, routes=FRUIT_ROUTES)
    try:
        [reply] = await answer(restarted, incoming(restarted, "梨"))
    finally:
        restarted.db.close()
    assert reply.text == "水果->fruit:pear"
    assert roster.db.execute("SELECT COUNT(*) FROM conversation_state").fetchone()[0] == 0


def test_migration_11_moves_choices_kept_in_the_data_to_their_column(tmp_path):
    db = open_db(tmp_path / "old.db")
    db.execute("ALTER TABLE conversation_state DROP COLUMN choices")  # as a database from before migration 11
    db.execute("DELETE FROM schema_migrations WHERE version = 11")
    old = {"photos": [], "choices": [["李乙（示例村）", "visit:H2"], ["取消", "visit-cancel"]]}
    db.execute("INSERT INTO conversation_state (channel, chat_id, state, data, updated_at) "
               "VALUES ('wechat', 'u1', 'CHOOSING_HOUSEHOLD', ?, 'x')", (json.dumps(old, ensure_ascii=False),))
    assert migrate(db) == [11]
    data, choices = db.execute("SELECT data, choices FROM conversation_state").fetchone()
    assert json.loads(data) == {"photos": []}
    assert json.loads(choices) == old["choices"]


async def test_unsubscribing_deactivates_and_subscribing_again_welcomes_back(roster):
    assert await answer(roster, incoming(roster, event=Event.UNSUBSCRIBE)) == []
    assert roster.db.execute("SELECT active FROM bindings WHERE chat_id = 'C1'").fetchone() == (0,)
    [reply] = await answer(roster, incoming(roster, event=Event.SUBSCRIBE))
    assert "欢迎回来，测试干部甲同志" in reply.text
    assert roster.db.execute("SELECT active FROM bindings WHERE chat_id = 'C1'").fetchone() == (1,)


async def test_a_reported_location_is_never_answered(roster):
    report = dict(location=Location(34.9, 102.9), event=Event.LOCATION_REPORT)
    assert await answer(roster, incoming(roster, chat_id="visitor", **report)) == []  # not even with a refusal
    assert await answer(roster, incoming(roster, **report)) == []


async def test_an_event_route_matches_only_its_event(roster):
    routes = [Route("menu", event(Event.MENU_CLICK), echo)]
    assert await answer(roster, incoming(roster, "x"), routes) == []
    assert [r.text for r in await answer(roster, incoming(roster, event=Event.MENU_CLICK, menu_key="K"), routes)] \
        == ["ok:C1"]


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("args, code, message", [
    (["invite"], 2, "请给出干部编号"),
    (["invite", "NOPE"], 1, "找不到干部编号：NOPE"),
    (["chat", "--as", "NOPE"], 1, "找不到干部编号“NOPE”"),
], ids=["usage error", "unknown cadre", "console error"])
def test_a_user_error_becomes_a_message_and_an_exit_code(config, args, code, message):
    result = CliRunner().invoke(cli, [*args, "--config", str(config)], input="")
    assert result.exit_code == code and message in result.output
    assert "Traceback" not in result.output
