"""Reporting visits by photo through the console channel: one household, a choice among several, a restart
in the middle, albums, duplicates, bad files, locations, and who may record what."""

import pytest

from bot.app import BotApp
from handlers import ROUTES
from handlers.visits import IMPOSSIBLE_PLACE
from bot.messages import IncomingPhoto
from tests.conftest import Chat, jpeg, local


def visits(app, cadre_id="C1"):
    return list(app.db.query("SELECT * FROM visits WHERE cadre_id = ? ORDER BY id", [cadre_id]))


async def test_single_household_is_recorded_at_once(chat, roster):
    reply = await chat("C2").photo(jpeg(), caption="送去化肥两袋")
    assert "已记录走访" in reply[0].text and "示例户四" in reply[0].text and "说明：送去化肥两袋" in reply[0].text
    [visit] = visits(roster, "C2")
    assert visit["household_id"] == "H4" and visit["note"] == "送去化肥两袋"
    [photo] = roster.db.query("SELECT * FROM photos")
    assert photo["visit_id"] == visit["id"]
    assert (roster.photos_dir / photo["path"]).read_bytes() == jpeg()


async def test_several_households_ask_then_record_the_choice(chat, roster):
    c1 = chat("C1")
    [question] = await c1.photo(jpeg(), caption="了解春耕")
    assert "哪一户" in question.text
    assert [c.label for c in question.choices] == ["示例户一（东村）", "示例户二（东村）", "示例户三（西村）", "取消"]
    assert visits(roster) == []
    [done] = await c1.send(choice=question.choices[2].value)
    assert "已记录走访" in done.text and "示例户三" in done.text
    [visit] = visits(roster)
    assert visit["household_id"] == "H3" and visit["note"] == "了解春耕"
    assert roster.db.execute("SELECT COUNT(*) FROM conversation_state").fetchone()[0] == 0


async def test_numbered_reply_chooses_on_channels_without_buttons(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    assert "示例户二" in await c1.text("2")
    assert visits(roster)[0]["household_id"] == "H2"


async def test_pending_photo_survives_a_restart(chat, roster, settings, clock):
    await chat("C1").photo(jpeg(), caption="雨天走访")
    roster.db.close()
    restarted = BotApp.create(settings, clock, routes=ROUTES)  # a new process on the same database file
    reply = await Chat(restarted, "C1").text("1")
    assert "已记录走访" in reply and "示例户一" in reply
    [visit] = visits(restarted)
    assert visit["note"] == "雨天走访"
    restarted.db.close()


async def test_same_photo_again_is_not_counted_twice(chat, roster):
    c2 = chat("C2")
    await c2.photo(jpeg())
    [again] = await c2.photo(jpeg())
    assert "已经提交过" in again.text and "不重复计数" in again.text
    assert len(visits(roster, "C2")) == 1


async def test_same_photo_by_another_cadre_is_refused(chat, roster):
    await chat("C2").photo(jpeg())
    reply = await chat("C1").photo(jpeg())
    assert "已由其他干部提交过" in reply[0].text
    assert "示例户四" not in reply[0].text  # C2's household is none of C1's business
    assert visits(roster, "C1") == []


async def test_file_that_is_not_an_image_is_refused_and_not_stored(chat, roster):
    [reply] = await chat("C2").photo(b"%PDF-1.4 not a photo")
    assert "不是一张能打开的照片" in reply.text
    assert visits(roster, "C2") == [] and not roster.photos_dir.exists()


async def test_truncated_jpeg_is_refused(chat, roster):
    [reply] = await chat("C2").photo(jpeg(size=(400, 300))[:600])
    assert "不是一张能打开的照片" in reply.text
    assert visits(roster, "C2") == []


async def test_oversized_photo_is_refused(chat, roster):
    data = jpeg()
    roster.settings = roster.settings.__class__(
        database=roster.settings.database,
        photos=roster.settings.photos.__class__(dir=roster.settings.photos.dir, max_bytes=len(data) - 1))
    [reply] = await chat("C2").photo(data)
    assert "照片太大" in reply.text
    assert visits(roster, "C2") == []


async def test_unbound_user_photo_is_refused_and_not_stored(chat, roster):
    [reply] = await chat("stranger").photo(jpeg())
    assert "绑定" in reply.text
    assert roster.db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0
    assert not roster.photos_dir.exists()


async def test_forged_choice_of_someone_elses_household_is_refused(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    [reply] = await c1.send(choice="visit:H4")  # H4 belongs to C2
    assert "不是您的联系户" in reply.text
    assert visits(roster) == [] and visits(roster, "C2") == []


async def test_choice_without_pending_photo_is_stale(chat, roster):
    [reply] = await chat("C1").send(choice="visit:H1")
    assert "失效" in reply.text and visits(roster) == []


async def test_cancel_drops_the_pending_photo(chat, roster):
    c1 = chat("C1")
    [question] = await c1.photo(jpeg())
    [reply] = await c1.send(choice=question.choices[-1].value)
    assert "已取消" in reply.text
    assert visits(roster) == []
    assert "失效" in (await c1.send(choice="visit:H1"))[0].text


async def test_album_is_one_visit_with_all_its_photos(chat, roster):
    c1 = chat("C1")
    first = await c1.photo(jpeg((10, 10, 10)), caption="入户", album_id="A1")
    second = await c1.photo(jpeg((20, 20, 20)), album_id="A1")
    assert "哪一户" in first[0].text and second == []  # no second question for the same album
    await c1.text("1")
    [visit] = visits(roster)
    assert roster.db.execute("SELECT COUNT(*) FROM photos WHERE visit_id = ?", [visit["id"]]).fetchone()[0] == 2


async def test_album_photo_after_recording_joins_the_visit(chat, roster):
    c2 = chat("C2")
    await c2.photo(jpeg((10, 10, 10)), album_id="A2")
    assert await c2.photo(jpeg((30, 30, 30)), album_id="A2") == []
    [visit] = visits(roster, "C2")
    assert roster.db.execute("SELECT COUNT(*) FROM photos WHERE visit_id = ?", [visit["id"]]).fetchone()[0] == 2


async def test_two_photos_in_one_message(chat, roster):
    photos = (IncomingPhoto(data=jpeg((1, 2, 3))), IncomingPhoto(data=jpeg((4, 5, 6))))
    [reply] = await chat("C2").send(photos=photos)
    assert "照片 2 张" in reply.text


async def test_exif_time_and_gps_are_recorded(chat, roster):
    await chat("C2").photo(jpeg(taken="2010:05:11 16:20:00", gps=(34.0, 102.0)))
    [visit] = visits(roster, "C2")
    assert visit["visited_at"] == "2010-05-11T08:20:00+00:00"  # 16:20 Beijing time
    assert (visit["latitude"], visit["longitude"]) == (34.0, 102.0)
    [photo] = roster.db.query("SELECT exif_time, gps_lat FROM photos")
    assert photo == {"exif_time": "2010-05-11T08:20:00+00:00", "gps_lat": 34.0}


async def test_old_exif_time_is_not_taken_as_visit_time(chat, roster):
    [reply] = await chat("C2").photo(jpeg(taken="2009:01:01 10:00:00"))
    assert "相差较大" in reply.text
    assert visits(roster, "C2")[0]["visited_at"] == "2010-05-12T01:00:00+00:00"


async def test_location_after_photo_attaches_to_the_visit(chat, roster):
    c2 = chat("C2")
    await c2.photo(jpeg())
    [reply] = await c2.location(34.98, 102.91)
    assert "已把位置添加" in reply.text
    assert (visits(roster, "C2")[0]["latitude"], visits(roster, "C2")[0]["longitude"]) == (34.98, 102.91)


async def test_location_while_choosing_goes_with_the_visit(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    await c1.location(35.0, 103.0)
    await c1.text("1")
    assert (visits(roster)[0]["latitude"], visits(roster)[0]["longitude"]) == (35.0, 103.0)


IMPOSSIBLE_POINTS = [(1000, -1000), (float("nan"), float("nan")), (float("inf"), 103.0), (35.0, float("-inf")),
                     (90.5, 103.0), (35.0, 180.5)]
IMPOSSIBLE_IDS = ["1000,-1000", "nan", "inf", "-inf", "latitude 90.5", "longitude 180.5"]


@pytest.mark.parametrize("cadre, then", [("C2", ""), ("C1", "1")], ids=["after the visit", "while choosing"])
@pytest.mark.parametrize("point", IMPOSSIBLE_POINTS, ids=IMPOSSIBLE_IDS)
async def test_an_impossible_location_is_refused_and_not_stored(chat, roster, point, cadre, then):
    cadre_chat = chat(cadre)
    await cadre_chat.photo(jpeg())
    [reply] = await cadre_chat.location(*point)
    assert reply.text == IMPOSSIBLE_PLACE
    if then:  # the household is chosen after the location: the visit must not carry it
        await cadre_chat.text(then)
    assert (visits(roster, cadre)[0]["latitude"], visits(roster, cadre)[0]["longitude"]) == (None, None)


async def test_location_without_visit(chat):
    assert "请先发送走访照片" in (await chat("C1").location(35.0, 103.0))[0].text


async def test_my_visits_lists_recent_visits(chat, roster):
    c2 = chat("C2")
    assert "还没有上报过走访" in await c2.text("我的走访")
    await c2.photo(jpeg(), caption="看望老人")
    reply = await c2.text("我的走访")
    assert "2010-05-12 示例户四（南村），照片 1 张；看望老人" in reply


async def test_photo_already_sent_by_oneself_names_the_visit(chat, roster):
    c2 = chat("C2")
    await c2.photo(jpeg())
    assert "已经提交过（2010-05-12 走访 示例户四）" in (await c2.photo(jpeg()))[0].text


async def test_typed_name_chooses_the_household(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    reply = await c1.text("示例户三家")
    assert "已记录走访" in reply and "示例户三" in reply
    assert visits(roster)[0]["household_id"] == "H3"


async def test_typed_numbered_household_chooses_it(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    assert "示例户二" in await c1.text("第2户")
    assert visits(roster)[0]["household_id"] == "H2"


async def test_number_out_of_range_asks_again_and_keeps_the_photo(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    [again] = await c1.send("7")
    assert "请回复 1 到 4 之间的数字" in again.text and len(again.choices) == 4
    assert visits(roster) == []
    assert "示例户一" in await c1.text("1")


@pytest.mark.parametrize("words", ["取消", "算了", "不对，取消", "不報了"], ids=["plain", "colloquial", "corrected", "traditional"])
async def test_typed_cancel_drops_the_pending_photo(chat, roster, words):
    c1 = chat("C1")
    await c1.photo(jpeg())
    assert "已取消" in await c1.text(words)
    assert visits(roster) == [] and roster.db.execute("SELECT COUNT(*) FROM conversation_state").fetchone()[0] == 0


async def test_cancel_with_nothing_pending_says_so(chat):
    assert "没有正在上报的走访" in await chat("C1").text("取消")


async def test_name_of_someone_elses_household_is_not_taken_as_a_choice(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    assert "已记录" not in await c1.text("示例户四")  # H4 is C2's, and was never offered
    assert visits(roster) == [] and visits(roster, "C2") == []


async def test_wrong_choice_can_be_withdrawn_and_reported_again(chat, roster):
    c1 = chat("C1")
    await c1.photo(jpeg())
    assert "撤销" in await c1.text("2")  # the confirmation says how to put a wrong choice right
    reply = await c1.text("选错了")
    assert "已撤销刚才对 示例户二 的走访记录（照片 1 张）" in reply
    assert visits(roster) == [] and roster.db.execute("SELECT COUNT(*) FROM photos").fetchone()[0] == 0
    await c1.photo(jpeg())  # the same photo is no longer "already submitted"
    assert "示例户三" in await c1.text("3")
    assert [v["household_id"] for v in visits(roster)] == ["H3"]


async def test_only_a_visit_of_the_last_hour_can_be_withdrawn(chat, roster, clock):
    c2 = chat("C2")
    await c2.photo(jpeg())
    clock.set(local("2010-05-12T10:30"))
    assert "一小时内没有您上报的走访可撤销" in await c2.text("撤銷")  # traditional script too
    assert len(visits(roster, "C2")) == 1


async def test_withdrawing_touches_only_ones_own_visit(chat, roster):
    await chat("C2").photo(jpeg())
    assert "没有您上报的走访" in await chat("C1").text("撤销")
    assert len(visits(roster, "C2")) == 1


async def test_cancel_just_after_recording_points_to_undo(chat, roster):
    c2 = chat("C2")
    await c2.photo(jpeg())
    assert "发送“撤销”" in await c2.text("取消")
    assert len(visits(roster, "C2")) == 1


async def test_photos_sent_one_by_one_join_the_visit_just_recorded(chat, roster, clock):
    c2 = chat("C2")
    await c2.photo(jpeg((10, 10, 10)), caption="入户")
    clock.set(local("2010-05-12T09:05"))
    [reply] = await c2.photo(jpeg((90, 90, 90)), caption="看了牛圈")
    assert "已补充到刚才对 示例户四 的走访记录，现有照片 2 张" in reply.text
    [visit] = visits(roster, "C2")
    assert visit["note"] == "入户；看了牛圈"
    clock.set(local("2010-05-12T11:00"))  # hours later: another visit
    await c2.photo(jpeg((150, 150, 150)))
    assert len(visits(roster, "C2")) == 2


async def test_help_tells_how_to_put_a_wrong_visit_right(chat):
    assert "撤销" in await chat("C1").text("帮助")
