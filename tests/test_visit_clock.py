"""Visits as people mean them and one overdue clock: a household's clock starts at its pairing (结对日期, else the
import that first brought it, never before the campaign), counts Beijing days, and 我的联系户, the visit reminders,
进度, 谁没走访 and the report's progress all agree. The roster columns behind it: 结对日期, 经度/纬度."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.migrations import rebuild_progress_counts
from bot.roster import RosterError, import_roster
from bot.store import scopes
from bot.store.households import households_of
from bot.store.overdue import OverdueRule
from bot.store.progress import cadre_progress
from schedules.visit_reminders import overdue_households
from tests.conftest import Chat, jpeg, local
from tests.test_roster_import import BASE, write_folder

START = date(2010, 4, 1)  # the shipped campaign's first day


def dated_roster(paired_on_h2: str = "") -> dict:
    """BASE with G1 paired with H2 as well (its 结对日期 given), households with coordinates."""
    sheets = copy.deepcopy(BASE)
    sheets["农户"][0] += ["经度", "纬度"]
    sheets["农户"][1] += ["102.91", "34.98"]
    sheets["结对"][0] += ["结对日期"]
    sheets["结对"].append(["干部联户", "G1", "H2", "", "", paired_on_h2])
    return sheets


def test_import_stores_pairing_dates_first_import_and_coordinates(tmp_path, config_for):
    config = config_for(tmp_path)
    folder = write_folder(tmp_path / "r", dated_roster("2010年6月3日"))
    result = CliRunner().invoke(cli, ["import", str(folder), "--config", str(config), "--now", "2010-06-10T09:00"])
    assert result.exit_code == 0, result.output
    db = open_config_db(config)
    rows = dict(((r[0], r[1:]) for r in db.execute(
        "SELECT household_id, paired_on, first_imported_at FROM pairings WHERE cadre_id = 'G1' AND kind = '干部联户'")))
    assert rows == {"H1": (None, "2010-06-10T01:00:00+00:00"), "H2": ("2010-06-03", "2010-06-10T01:00:00+00:00")}
    assert db.execute("SELECT latitude, longitude FROM households WHERE id = 'H1'").fetchone() == (34.98, 102.91)
    db.close()
    # a later import keeps the first import's moment, and optional cells left empty keep their stored values
    later = dated_roster("")
    later["农户"][1][8:] = ["", ""]
    CliRunner().invoke(cli, ["import", str(write_folder(tmp_path / "later", later)), "--config", str(config),
                             "--now", "2010-07-01T09:00"])
    db = open_config_db(config)
    assert db.execute("SELECT first_imported_at FROM pairings WHERE household_id = 'H1'").fetchone()[0] \
        == "2010-06-10T01:00:00+00:00"
    assert db.execute("SELECT paired_on FROM pairings WHERE household_id = 'H2' AND cadre_id = 'G1'").fetchone()[0] == "2010-06-03"
    assert db.execute("SELECT latitude FROM households WHERE id = 'H1'").fetchone()[0] == 34.98
    db.close()


@pytest.mark.parametrize("sheet, row, message", [
    ("单位", ["U/9", "斜杠单位", "U1", ""], "含有“/”"),
    ("农户", ["H9", "某", "", "", "村", "", "", "", "102.9", ""], "应同时填写"),
    ("农户", ["H9", "某", "", "", "村", "", "", "", "东经", "北纬"], "十进制度数"),
    ("结对", ["干部联户", "G2", "H1", "", "", "下个月"], "不是日期"),
    ("结对", ["干部联户", "G2", "H1", "", "", "2010-02-30"], "不是日期"),
], ids=["slash-in-unit-id", "longitude-alone", "not-a-number", "not-a-date", "no-such-day"])
def test_bad_new_cells_are_refused_by_row(db, tmp_path, sheet, row, message):
    sheets = dated_roster()
    sheets[sheet].append(row)
    with pytest.raises(RosterError, match=message) as refused:
        import_roster(db, write_folder(tmp_path / "r", sheets))
    assert f"“{sheet}”" in str(refused.value) or sheet in str(refused.value)
    assert db.execute("SELECT COUNT(*) FROM units").fetchone()[0] == 0


def test_an_import_recounts_progress_once_at_its_end(db, tmp_path):
    import_roster(db, write_folder(tmp_path / "r", dated_roster("2010-06-03")), now=local("2010-06-10T09:00"))
    assert db.execute("SELECT stale FROM progress_state").fetchone()[0] == 0  # no reader left to rebuild them
    kept = sorted(db.execute("SELECT * FROM progress_counts WHERE households <> 0"))
    rebuild_progress_counts(db)
    assert sorted(db.execute("SELECT * FROM progress_counts WHERE households <> 0")) == kept
    assert ("U1", 0, "2010-06-03", 1) in kept and ("U1", 0, "2010-06-10", 2) in kept  # Beijing days


# ---- every count agrees: a household paired last week is not overdue ----

def everyone_agrees(app, now) -> dict[str, set]:
    """The overdue households of C1 by each reader of the rule."""
    rule = OverdueRule(app.settings.reminders.visit_interval_days, START)
    office = scopes.Scope("O", "活动办管理员", None, None)
    return {
        "我的联系户": {h.id for h in households_of(app.db, "C1") if h.overdue(rule, now)},
        "reminders": {o.head_name for o in overdue_households(app, now).get("C1", [])},
        "谁没走访": {r.household_id for r in scopes.overdue_households(app.db, office, now, 30, START)
                  if r.cadre_id == "C1"},
        "cadre_progress": {n for r in cadre_progress(app.db, None, now, 30, local("2010-04-01T00:00"))
                           if r.cadre_id == "C1" for n in [r.overdue]},
        "进度": {sum(r.overdue for r in scopes.progress_by_unit(app.db, office, now, 30, START)
                   if r.unit_id == "U01")},
    }


async def test_a_household_paired_last_week_is_not_overdue_anywhere(roster):
    now = local("2010-06-20T10:00")
    roster.db.execute("UPDATE pairings SET paired_on = '2010-06-13' WHERE household_id = 'H2'")
    roster.db.execute("UPDATE pairings SET first_imported_at = '2010-06-12T16:30:00+00:00' WHERE household_id = 'H3'")
    roster.db.execute("UPDATE pairings SET paired_on = '2010-05-01' WHERE household_id = 'H4'")  # C2's
    found = everyone_agrees(roster, now)
    assert found == {"我的联系户": {"H1"}, "reminders": {"示例户一"}, "谁没走访": {"H1"}, "cadre_progress": {1},
                     "进度": {2}}  # 进度 of 示例县委 also counts C2's H4, paired 50 days ago
    roster.clock.set(now)
    assert (await Chat(roster, "C1").text("我的联系户")).count("⚠") == 1


def test_days_are_beijing_days(roster):
    # 2010-05-20 16:30 UTC is 2010-05-21 00:30 in Beijing: 30 Beijing days before 2010-06-20, just in time
    roster.db.execute("UPDATE pairings SET paired_on = '2010-06-19' WHERE household_id IN ('H2', 'H3')")
    roster.db.execute("INSERT INTO visits (cadre_id, household_id, reported_at, visited_at) VALUES "
                      "('C1', 'H1', '2010-05-20T16:30:00+00:00', '2010-05-20T16:30:00+00:00')")
    assert everyone_agrees(roster, local("2010-06-20T10:00"))["我的联系户"] == set()
    assert everyone_agrees(roster, local("2010-06-21T00:10"))["我的联系户"] == {"H1"}
    found = everyone_agrees(roster, local("2010-06-21T00:10"))
    assert found["reminders"] == {"示例户一"} and found["谁没走访"] == {"H1"} and found["cadre_progress"] == {1}


# ---- visits as people mean them ----

async def test_two_photos_a_minute_apart_are_one_visit(roster, clock):
    c2 = Chat(roster, "C2")  # one household: no question asked
    clock.set(local("2010-05-12T09:00"))
    assert "已记录走访" in await c2.text(photos=(photo(jpeg((10, 200, 10))),))
    clock.set(local("2010-05-12T09:01"))
    await c2.text(photos=(photo(jpeg((10, 10, 200))),))
    clock.set(local("2010-05-12T10:30"))  # past the hour in which 撤销 and joining apply, within the two hours
    await c2.text(photos=(photo(jpeg((200, 200, 10))),))
    assert roster.db.execute("SELECT COUNT(*) FROM visit_sessions WHERE cadre_id = 'C2'").fetchone()[0] == 1
    listed = await c2.text("我的走访")
    assert "最近的 1 次走访" in listed and "照片 3 张" in listed and "【待审核】" in listed
    assert "共 1 次" in await c2.text("我的联系户")
    clock.set(local("2010-05-12T11:45"))  # past two hours after the first, past an hour after the last: a new visit
    await c2.text(photos=(photo(jpeg((90, 90, 90))),))
    assert "共 2 次" in await c2.text("我的联系户")


async def test_my_visits_shows_review_states_and_a_visit_needing_more_does_not_count(roster, clock):
    c2 = Chat(roster, "C2")
    await c2.text(photos=(photo(jpeg((10, 200, 10))),))
    roster.db.execute("UPDATE visit_sessions SET review_state = '需补充', review_comment = '照片看不清门牌' "
                      "WHERE cadre_id = 'C2'")
    listed = await c2.text("我的走访")
    assert "【需补充】" in listed and "审核意见：照片看不清门牌" in listed
    assert "尚未走访" in await c2.text("我的联系户")


def photo(data: bytes):
    from bot.messages import IncomingPhoto

    return IncomingPhoto(data=data, source_id="test")


# ---- helpers: a config file on a fresh database ----

@pytest.fixture
def config_for():
    def make(folder):
        path = folder / "config.toml"
        path.write_text(f'[database]\npath = "{folder / "cli.db"}"\n[photos]\ndir = "{folder / "photos"}"\n',
                        encoding="utf-8")
        return path
    return make


def open_config_db(config):
    from bot.db import open_db

    return open_db(config.parent / "cli.db")


@pytest.fixture
def db(tmp_path):
    from bot.db import open_db

    database = open_db(tmp_path / "fresh.db")
    yield database
    database.close()
