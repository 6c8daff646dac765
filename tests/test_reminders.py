"""Planning reminders: offsets and texts, audiences, quiet hours, visit reminders and the weekly digest."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.campaign import Deadline
from bot.config import ReminderSettings
from schedules.plan import plan
from schedules.quiet_hours import QuietHours
from schedules.timekeeping import parse_hhmm
from tests.conftest import local

GRASSROOTS = "grassroots-plan-meeting"  # due 2010-05-15, binds 基层党组织, 县市委, 州直党(工)委


def rows(app, where: str = "1", params: tuple = ()) -> list[dict]:
    """Delivery rows as dicts."""
    return list(app.db.query(f"SELECT * FROM deliveries WHERE {where} ORDER BY reminder_key, cadre_id", params))


def plan_at(app, moment: str):
    """Moves the clock and plans."""
    app.clock.set(local(moment))
    return plan(app, app.clock.now())


@pytest.mark.parametrize("moment, key, phrase", [
    ("2010-05-08T08:59", None, None),
    ("2010-05-08T09:00", "7d", "还有7天"),
    ("2010-05-11T18:00", "7d", None),  # still the 7-day one: nothing new before 3 days ahead
    ("2010-05-12T09:00", "3d", "还有3天"),
    ("2010-05-14T09:30", "1d", "明天截止"),
    ("2010-05-15T09:00", "0d", "今天截止"),
], ids=["before-first", "7-days", "between", "3-days", "1-day", "on-the-day"])
def test_offsets_and_days_left(roster, moment, key, phrase):
    if key == "7d" and phrase is None:
        plan_at(roster, "2010-05-08T09:00")
    plan_at(roster, moment)
    planned = rows(roster, "reminder_key LIKE ?", (f"deadline:{GRASSROOTS}:%",))
    if key is None:
        assert planned == []
        return
    assert {r["reminder_key"] for r in planned} == {f"deadline:{GRASSROOTS}:{key}"}
    if phrase:
        assert all(phrase in r["text"] for r in planned)


def test_deadline_text_names_task_date_source_and_next_step(roster):
    plan_at(roster, "2010-05-12T09:00")
    text = rows(roster, "reminder_key = ? AND cadre_id = 'C1'", (f"deadline:{GRASSROOTS}:3d",))[0]["text"]
    assert text.startswith("【截止提醒】制定实施方案，召开动员会议")
    assert "截止：5月15日前（2010年5月15日），还有3天。" in text
    assert "依据：《州创先争优动员部署会议纪要》二(四)" in text
    assert "/deadlines" in text


def test_catch_up_held_to_the_next_reminders_morning_is_not_sent_twice(roster):
    plan_at(roster, "2010-05-13T22:30")  # the 3-day reminder (05-12) was missed; the 1-day one is due 05-14 09:00
    assert rows(roster, "reminder_key LIKE ?", (f"deadline:{GRASSROOTS}:%",)) == []
    plan_at(roster, "2010-05-14T09:00")
    keys = {r["reminder_key"] for r in rows(roster, "reminder_key LIKE ?", (f"deadline:{GRASSROOTS}:%",))}
    assert keys == {f"deadline:{GRASSROOTS}:1d"}


def test_catch_up_on_another_day_than_the_next_reminder_is_sent(roster):
    plan_at(roster, "2010-05-12T22:30")  # held to 05-13 08:00; the next (1-day) reminder is on 05-14
    [row] = rows(roster, "reminder_key = ? AND cadre_id = 'C1'", (f"deadline:{GRASSROOTS}:3d",))
    assert "还有2天" in row["text"]  # written for 05-13, the morning it goes out


def test_campaign_end_reminder_gives_the_sources_words_not_a_date(roster):
    plan_at(roster, "2012-11-05T09:00")
    [text] = {r["text"] for r in rows(roster, "reminder_key = 'deadline:campaign-end:3d'")}
    assert "截止：2012年党的十八大召开前。原文只说" in text and "没有写具体日期" in text
    assert "11月8日" not in text and "还有" not in text


def test_due_at_is_send_time_local_and_expiry_end_of_day(roster):
    plan_at(roster, "2010-05-12T10:30")  # planned late: still due from 09:00
    row = rows(roster, "reminder_key = ? AND cadre_id = 'C1'", (f"deadline:{GRASSROOTS}:3d",))[0]
    assert row["due_at"] == "2010-05-12T01:00:00+00:00"
    assert row["expires_at"] == "2010-05-15T16:00:00+00:00"  # 2010-05-16 00:00 Beijing
    assert (row["status"], row["channel"], row["chat_id"]) == ("pending", "console", "C1")


def test_audience_by_unit_kind(roster):
    plan_at(roster, "2010-05-12T09:00")
    by_key = {}
    for r in rows(roster, "kind = 'deadline'"):
        by_key.setdefault(r["reminder_key"], set()).add(r["cadre_id"])
    # grassroots deadline binds the village branch (C1, C2) and the county committee (C3); plan-report only counties
    assert by_key == {f"deadline:{GRASSROOTS}:3d": {"C1", "C2", "C3"}, "deadline:plan-report:3d": {"C3"}}


def test_audience_by_role(roster):
    admins_only = Deadline(id="admins-only", task="汇总上报本单位方案", due=date(2010, 5, 20), due_text="5月20日前",
                           binds=("基层党组织", "县市委"), ref="四(一)", roles=("单位管理员",))
    roster.campaign = dataclasses.replace(roster.campaign, deadlines=(admins_only,))
    plan_at(roster, "2010-05-17T09:00")
    assert [r["cadre_id"] for r in rows(roster, "kind = 'deadline'")] == ["C3"]


def test_running_plan_twice_adds_nothing(roster):
    first = plan_at(roster, "2010-05-12T09:00")
    again = plan_at(roster, "2010-05-12T09:40")
    assert first.total == len(rows(roster)) > 0
    assert again.total == 0 and first.total == len(rows(roster))


def test_most_recently_seen_binding_is_chosen(roster):
    roster.db["bindings"].insert({"channel": "telegram", "chat_id": "7001", "user_id": "7001", "cadre_id": "C1",
                                  "active": 1, "bound_at": "2010-05-01T00:00:00+00:00",
                                  "last_seen_at": "2030-01-01T00:00:00+00:00"})
    roster.db["bindings"].insert({"channel": "wechat", "chat_id": "oOld", "user_id": "oOld", "cadre_id": "C2",
                                  "active": 0, "bound_at": "2030-01-01T00:00:00+00:00",
                                  "last_seen_at": "2030-01-01T00:00:00+00:00"})
    plan_at(roster, "2010-05-12T09:00")
    chosen = {r["cadre_id"]: (r["channel"], r["chat_id"]) for r in rows(roster, "reminder_key = ?",
                                                                          (f"deadline:{GRASSROOTS}:3d",))}
    assert chosen == {"C1": ("telegram", "7001"), "C2": ("console", "C2"), "C3": ("console", "C3")}


def test_unbound_cadre_is_pending_and_marked(roster):
    roster.db.execute("DELETE FROM bindings WHERE cadre_id = 'C2'")
    plan_at(roster, "2010-05-12T09:00")
    row = rows(roster, "reminder_key = ? AND cadre_id = 'C2'", (f"deadline:{GRASSROOTS}:3d",))[0]
    assert (row["status"], row["channel"], row["chat_id"], row["last_error"]) == ("pending", None, None, "未绑定")


def test_problem_deadlines_are_reported_not_raised(roster):
    bad_date = Deadline(id="bad-date", task="某项任务", due=None, due_text="5月三十二日", binds=("县市委",),
                        ref="二(四)", problem="截止事项 bad-date due 的日期“2010-05-32”不是 YYYY-MM-DD 格式")
    nobody = Deadline(id="nobody", task="州直干部自查", due=date(2010, 5, 14), due_text="5月14日前",
                      binds=("州直党(工)委",), ref="二(四)", roles=("干部",))
    roster.campaign = dataclasses.replace(roster.campaign, deadlines=(bad_date, nobody))
    report = plan_at(roster, "2010-05-12T09:00")
    assert rows(roster, "kind = 'deadline'") == []
    assert any("bad-date" in p and "YYYY-MM-DD" in p for p in report.problems)
    assert any("nobody" in p and "没有对应的干部" in p for p in report.problems)


@pytest.mark.parametrize("moment, quiet", [
    ("2010-05-12T20:59", False), ("2010-05-12T21:00", True), ("2010-05-13T02:00", True),
    ("2010-05-13T07:59", True), ("2010-05-13T08:00", False), ("2010-05-13T12:00", False),
], ids=["before", "start", "night", "just-before-end", "end", "noon"])
def test_quiet_hours_window(settings, moment, quiet):
    hours = QuietHours.from_settings(settings)
    assert hours.contains(local(moment)) is quiet
    if quiet:
        assert hours.next_allowed(local(moment)) == local("2010-05-13T08:00")


def test_quiet_hours_daytime_window_and_none(settings):
    tz = QuietHours.from_settings(settings).tz
    lunch = QuietHours(parse_hhmm("12:00"), parse_hhmm("14:00"), tz)
    assert lunch.contains(local("2010-05-12T13:00")) and not lunch.contains(local("2010-05-12T14:00"))
    assert not QuietHours(parse_hhmm("00:00"), parse_hhmm("00:00"), tz).contains(local("2010-05-12T03:00"))


def test_send_time_inside_quiet_hours_waits_for_the_morning(roster):
    roster.settings = dataclasses.replace(roster.settings, reminders=ReminderSettings(send_time="22:30"))
    plan_at(roster, "2010-05-12T23:00")  # the 3-day reminder of the 15th was due at 22:30 on the 12th
    row = rows(roster, "reminder_key = ? AND cadre_id = 'C1'", (f"deadline:{GRASSROOTS}:3d",))[0]
    assert row["due_at"] == local("2010-05-13T08:00").isoformat()
    assert "还有2天" in row["text"]  # written for the morning it goes out


# ---- visit reminders ----

def add_visit(app, cadre_id: str, household_id: str, when: str) -> None:
    """Records a visit at a Beijing time."""
    moment = local(when).isoformat()
    app.db["visits"].insert({"cadre_id": cadre_id, "household_id": household_id, "reported_at": moment,
                             "visited_at": moment})


def test_visit_reminder_lists_only_own_overdue_households(roster):
    add_visit(roster, "C1", "H1", "2010-05-01T10:00")  # recent: not overdue
    add_visit(roster, "C1", "H2", "2010-04-05T10:00")  # 37 days ago
    add_visit(roster, "C2", "H3", "2010-05-10T10:00")  # someone else's visit does not count for C1
    plan_at(roster, "2010-05-12T09:00")
    visits = {r["cadre_id"]: r for r in rows(roster, "kind = 'visit'")}
    assert set(visits) == {"C1", "C2"}
    assert visits["C1"]["reminder_key"] == "visit:2010-W19"
    c1 = visits["C1"]["text"]
    assert "您有2户联系户超过30天没有走访" in c1
    assert "示例户二户（示例县示例乡东村）：上次走访2010年4月5日" in c1
    assert "示例户三户（示例县示例乡西村）：从未走访" in c1
    assert "示例户一" not in c1 and "示例户四" not in c1
    assert "示例户四" in visits["C2"]["text"] and "示例户二" not in visits["C2"]["text"]


def test_visit_reminder_weekly_until_visited(roster):
    plan_at(roster, "2010-05-12T08:59")
    assert rows(roster, "kind = 'visit'") == []  # not before send_time
    plan_at(roster, "2010-05-12T09:00")
    plan_at(roster, "2010-05-14T09:00")  # same week: nothing new
    assert len(rows(roster, "kind = 'visit' AND cadre_id = 'C1'")) == 1
    for household in ("H1", "H2", "H3"):
        add_visit(roster, "C1", household, "2010-05-15T10:00")
    plan_at(roster, "2010-05-19T09:00")  # next week: C2 again, C1 visited everyone
    assert [r["cadre_id"] for r in rows(roster, "reminder_key = 'visit:2010-W20'")] == ["C2"]


def test_never_visited_not_overdue_in_first_interval_of_campaign(roster):
    plan_at(roster, "2010-04-20T09:00")  # the campaign started 2010-04-01: less than 30 days
    assert rows(roster, "kind = 'visit'") == []


# ---- weekly digest ----

@pytest.fixture
def prefecture(roster):
    """The roster plus an office administrator and an overdue cadre in the prefecture committee."""
    roster.db["cadres"].insert_all([
        {"id": "C4", "name": "测试管理员丁", "unit_id": "U00", "role": "活动办管理员"},
        {"id": "C5", "name": "测试干部戊", "unit_id": "U02", "role": "干部"},
    ])
    roster.db["households"].insert({"id": "H5", "head_name": "示例户五", "village": "北村"})
    roster.db["pairings"].insert({"pair_key": "干部联户|C5|H5", "kind": "干部联户", "cadre_id": "C5", "household_id": "H5"})
    roster.db.execute("INSERT INTO bindings (channel, chat_id, cadre_id, bound_at) VALUES ('console', 'C4', 'C4', '')")
    return roster


def test_digest_on_its_weekday_for_unit_and_office_admins(prefecture):
    plan_at(prefecture, "2010-05-17T08:59")  # Monday before send_time: no digest yet this week
    assert rows(prefecture, "kind = 'digest'") == []
    plan_at(prefecture, "2010-05-17T09:00")  # Monday 09:00
    digests = {r["cadre_id"]: r for r in rows(prefecture, "kind = 'digest'")}
    assert set(digests) == {"C3", "C4"}
    county = digests["C3"]["text"]
    assert county.startswith("【每周汇总】示例县委及下属单位")
    assert "测试干部甲（示例村党支部）3户" in county and "测试干部乙（示例村党支部）1户" in county
    assert "测试干部戊" not in county  # another branch of the tree
    assert "第一阶段（广泛发动、安排部署）结束" in county  # a deadline still ahead for a county
    assert "5月31日前" not in county and "5月底（2010年5月31日）" in county  # a date: never a stale "还有N天"
    assert "还有" not in county
    whole = digests["C4"]["text"]
    assert whole.startswith("【每周汇总】全州") and "测试干部戊（州直示例党工委）1户" in whole
    for text in (county, whole):
        assert "示例户" not in text  # households' names stay with their own cadre


def test_digest_once_a_week_and_late_start_still_sends(prefecture):
    plan_at(prefecture, "2010-05-18T15:00")  # the bot was down on Monday
    plan_at(prefecture, "2010-05-19T15:00")
    assert [r["reminder_key"] for r in rows(prefecture, "kind = 'digest' AND cadre_id = 'C3'")] == ["digest:2010-W20"]
