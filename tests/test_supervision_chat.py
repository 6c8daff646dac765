"""Supervision in chat, through the router on a real SQLite file: who sees what (two counties, the office, a
cadre), unit tasks and their reminders, notices and receipts, visit review, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.console import bind_console
from bot.messages import IncomingDocument, MediaRefusal
from bot.router import ADMINS_ONLY
from schedules.dispatch import dispatch
from schedules.plan import plan
from tests.conftest import jpeg, local
from tests.fakes.recording_sender import RecordingSender


@pytest.fixture
def province(roster):
    """The small roster plus a second county (另一县委, admin C5, cadre C6 with 另县户五 and 六) and an office admin
    C7."""
    db = roster.db
    db["units"].insert_all([
        {"id": "U03", "name": "另一县委", "parent_id": "U00", "kind": "县市委"},
        {"id": "U0301", "name": "另一村党支部", "parent_id": "U03", "kind": "基层党组织"}])
    db["cadres"].insert_all([
        {"id": "C5", "name": "另县管理员", "unit_id": "U03", "role": "单位管理员"},
        {"id": "C6", "name": "另县干部", "unit_id": "U0301", "role": "干部"},
        {"id": "C7", "name": "活动办老王", "unit_id": "U00", "role": "活动办管理员"}])
    db["households"].insert({"id": "H5", "head_name": "另县户五", "village": "北村", "phone": "13900000005",
                             "notes": "低保户"})
    db["households"].insert({"id": "H6", "head_name": "另县户六", "village": "北村"})
    db["pairings"].insert_all([
        {"pair_key": "干部联户|C6|H5", "kind": "干部联户", "cadre_id": "C6", "household_id": "H5"},
        {"pair_key": "干部联户|C6|H6", "kind": "干部联户", "cadre_id": "C6", "household_id": "H6"}])
    for cadre in ("C5", "C6", "C7"):
        bind_console(roster, cadre)
    return roster


class MessageRecorder(RecordingSender):
    """Records whole Outgoing messages too (the notice's 收到 button)."""

    def __init__(self):
        super().__init__()
        self.messages = []

    async def send(self, chat_id, message):
        self.messages.append((chat_id, message))
        return await super().send(chat_id, message)


async def visited(chat, province):
    """C1 visits 示例户一 (choosing it of three), C6 visits 另县户五 (the first of two)."""
    await chat("C1").photo(jpeg((10, 200, 10)))
    await chat("C1").text("1")
    await chat("C6").photo(jpeg((10, 10, 200)))
    await chat("C6").text("1")


MATRIX = [
    ("C3", "谁没走访", ["示例户二"], ["另县户", "13900000001", "缺劳力"]),
    ("C5", "谁没走访", ["另县户六"], ["示例户", "低保户"]),
    ("C7", "谁没走访", ["示例户二", "另县户六"], ["13900000005"]),
    ("C1", "谁没走访", [ADMINS_ONLY], ["示例户", "另县户"]),
    ("C3", "进度", ["示例村党支部"], ["另一村党支部"]),
    ("C5", "进度", ["另一村党支部"], ["示例村党支部"]),
    ("C7", "进度", ["示例县委", "另一县委"], []),
    ("C1", "进度", [ADMINS_ONLY], ["示例村党支部"]),
    ("C3", "任务", ["示例县委"], ["另一县委"]),
    ("C5", "任务", ["另一县委"], ["示例县委"]),
    ("C7", "任务", ["示例县委", "另一县委", "州直示例党工委"], []),
    ("C1", "任务", [ADMINS_ONLY], ["示例县委"]),
    ("C3", "审核走访", ["示例户一"], ["另县户五"]),
    ("C5", "审核走访", ["另县户五"], ["示例户一"]),
    ("C7", "审核走访", ["示例户一", "另县户五"], []),
    ("C1", "审核走访", [ADMINS_ONLY], ["另县户五"]),
]


@pytest.mark.parametrize("viewer, command, present, absent", MATRIX,
                         ids=[f"{v}-{c}" for v, c, *_ in MATRIX])
async def test_scope_matrix(chat, province, viewer, command, present, absent):
    await visited(chat, province)
    reply = await chat(viewer).text(command)
    assert all(p in reply for p in present), reply
    assert not any(a in reply for a in absent), reply


@pytest.mark.parametrize("viewer, sees", [("C3", True), ("C5", False), ("C7", True), ("C1", False)],
                         ids=["sender", "other-county", "office", "cadre"])
async def test_notice_status_is_seen_in_the_notices_scope_only(chat, province, viewer, sees):
    await chat("C3").text("通知 周五前上报示例县走访情况")
    await chat("C3").text("确认")
    reply = await chat(viewer).text("通知情况")
    assert ("周五前上报示例县走访情况" in reply) is sees, reply


# ---- unit tasks ----

def deadline_rows(app, deadline="plan-report"):
    return {r[0]: (r[1], r[2]) for r in app.db.execute(
        "SELECT cadre_id, status, last_error FROM deliveries WHERE series = ?", (f"deadline:{deadline}",))}


async def test_a_task_reported_done_stops_that_units_reminders_and_only_those(chat, province):
    plan(province, province.clock.now(), kinds=("deadline",))  # 2010-05-12: plan-report (due 05-15) to counties
    assert {c: s for c, (s, _) in deadline_rows(province).items()} == {"C3": "pending", "C5": "pending"}
    reply = await chat("C3").text("上报 实施方案", documents=(IncomingDocument(b"%PDF-1.4 plan", "实施方案.pdf"),),
                                  refused_media=MediaRefusal.NOT_AN_IMAGE, refused_what="实施方案.pdf")
    assert "已记录：示例县委完成“将实施方案上报" in reply and "实施方案.pdf" in reply
    assert deadline_rows(province) == {"C3": ("expired", "单位已上报完成"), "C5": ("pending", None)}
    province.clock.set(local("2010-05-14T09:00"))  # the 1-day reminder
    plan(province, province.clock.now(), kinds=("deadline",))
    keys = province.db.execute("SELECT cadre_id FROM deliveries WHERE reminder_key = 'deadline:plan-report:1d'")
    assert [r[0] for r in keys] == ["C5"]
    stored = province.db.execute("SELECT reported_by, evidence_kind, evidence_path FROM unit_task_completions")
    [(by, kind, path)] = stored.fetchall()
    assert (by, kind) == ("C3", "document") and (province.photos_dir / path).read_bytes() == b"%PDF-1.4 plan"


async def test_a_task_command_then_a_photo_records_the_meeting(chat, province):
    assert "请发送" in await chat("C5").text("已召开动员大会")
    reply = await chat("C5").photo(jpeg((120, 120, 0)))
    assert "已记录：另一县委完成“制定实施方案，全部召开动员大会”" in reply[0].text
    done = province.db.execute("SELECT unit_id, deadline_id, evidence_kind FROM unit_task_completions").fetchall()
    assert done == [("U03", "county-plan-meeting", "photo")]
    assert "制定实施方案，全部召开动员大会（5月10日前）：已完成 1/3" in await chat("C7").text("任务")
    assert province.db.execute("SELECT COUNT(*) FROM visits").fetchone()[0] == 0  # not taken for a visit


async def test_the_task_board_lists_tasks_units_report_not_a_phase_ending(chat, province):
    board = await chat("C7").text("任务")
    assert "将实施方案上报州委创先争优活动办公室（5月15日前）：已完成 0/3" in board
    grassroots = next(line for line in board.splitlines() if "召开动员会议" in line)  # the branches report it, the
    assert "示例县委" not in grassroots and "另一县委" not in grassroots  # counties only supervise it
    assert "阶段" not in board and "基本结束" not in board
    assert "第一阶段是广泛发动" in await chat("C3").text("已完成第一阶段")  # no task to report: a question answered
    assert province.db.execute("SELECT COUNT(*) FROM unit_task_completions").fetchone()[0] == 0


@pytest.mark.parametrize("what", [dict(refused_media=MediaRefusal.UNSUPPORTED, refused_what="voice"),
                                  dict(documents=(IncomingDocument(b"MZ\x90", "setup.exe"),),
                                       refused_media=MediaRefusal.NOT_AN_IMAGE, refused_what="setup.exe")],
                         ids=["voice", "program"])
async def test_evidence_that_is_not_a_document_or_an_image_gets_a_clear_message(chat, province, what):
    assert "请发送" in await chat("C3").text("上报 实施方案")
    reply = await chat("C3").text("", **what)
    assert "不能作为证明材料" in reply and "PDF、Word" in reply
    assert province.db.execute("SELECT COUNT(*) FROM unit_task_completions").fetchone()[0] == 0
    assert "已取消" in await chat("C3").text("取消")


async def test_escalation_goes_once_to_the_administrators_above_then_into_the_digest(chat, province):
    province.clock.set(local("2010-05-11T09:00"))  # county-plan-meeting was due 05-10
    await chat("C3").text("已召开动员大会")
    await chat("C3").photo(jpeg((1, 2, 3)))
    plan(province, province.clock.now(), kinds=("escalation",))
    plan(province, province.clock.now() + timedelta(hours=1), kinds=("escalation",))
    rows = province.db.execute("SELECT cadre_id, text FROM deliveries WHERE kind = 'escalation'").fetchall()
    assert [r[0] for r in rows] == ["C7"]  # the office; a county's own administrator is not above it
    assert "另一县委" in rows[0][1] and "州直示例党工委" in rows[0][1] and "示例县委" not in rows[0][1]


# ---- notices ----

async def test_a_notice_reaches_its_scope_once_and_receipts_add_up(chat, province):
    draft = await chat("C3").text("通知 周五前上报走访情况")
    assert "2 名干部（不含您本人）" in draft and "确认发送" in draft
    assert "正在发给 2 名干部" in await chat("C3").text("好")
    sender = MessageRecorder()
    province.senders["console"] = sender
    plan(province, province.clock.now(), kinds=("notice",))
    plan(province, province.clock.now(), kinds=("notice",))  # planning twice adds nobody
    await dispatch(province, province.clock.now())
    await dispatch(province, province.clock.now())  # nothing is sent twice
    assert sorted(chat_id for chat_id, _ in sender.calls) == ["C1", "C2"]
    [button] = sender.messages[0][1].choices
    assert button.label == "收到"
    assert "已确认收到" in await chat("C1").text(choice=button.value)
    assert "已确认收到" in await chat("C2").text("收到")
    assert "您没有需要确认的通知" in await chat("C2").text("收到")
    status = await chat("C3").text("通知情况")
    assert "共 2 人：已送达 2（已读 2，未读 0），待发送 0，未送达 0" in status


async def test_an_unread_notice_is_reminded_once_after_a_day(chat, province):
    province.db.execute("UPDATE bindings SET active = 0 WHERE cadre_id = 'C2'")  # C2 cannot be reached
    await chat("C3").text("通知 周五前上报走访情况")
    await chat("C3").text("确认")
    province.senders["console"] = sender = RecordingSender()
    plan(province, province.clock.now(), kinds=("notice",))
    await dispatch(province, province.clock.now())
    assert "共 2 人：已送达 1（已读 0，未读 1），待发送 0，未送达 1（未绑定 1）" in await chat("C3").text("通知情况")
    province.clock.set(province.clock.now() + timedelta(hours=25))
    for _ in range(2):
        plan(province, province.clock.now(), kinds=("notice-unread",))
        await dispatch(province, province.clock.now())
    reminders = [text for chat_id, text in sender.calls if text.startswith("提醒：您还没有确认这条通知")]
    assert len(reminders) == 1 and sender.texts_to("C1")[-1] == reminders[0]


async def test_an_urgent_notice_goes_in_quiet_hours_and_a_plain_one_waits(chat, province):
    province.clock.set(local("2010-05-12T22:30"))
    province.senders["console"] = sender = RecordingSender()
    for text in ("紧急通知 今晚防汛值班", "通知 明天开会"):
        await chat("C3").text(text)
        await chat("C3").text("确认")
    plan(province, province.clock.now(), kinds=("notice",))
    await dispatch(province, province.clock.now())
    assert sorted(text.split("：")[1].split("\n")[0] for _, text in sender.calls) == ["今晚防汛值班"] * 2


@pytest.mark.parametrize("text", ["通知", "通知   ", "通知 " + "通" * 1001], ids=["empty", "blank", "oversized"])
async def test_an_empty_or_oversized_notice_is_refused_before_anything_is_written(chat, province, text):
    reply = await chat("C3").text(text)
    assert "通知内容是空的" in reply or "通知太长（1001 字）" in reply
    assert province.db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0
    assert "已确认收到" not in await chat("C3").text("确认")


async def test_a_cancelled_notice_reaches_nobody(chat, province):
    await chat("C3").text("通知 周五前上报走访情况")
    assert "已取消，通知没有发送" in await chat("C3").text("不")
    plan(province, province.clock.now(), kinds=("notice",))
    assert province.db.execute("SELECT COUNT(*) FROM deliveries WHERE kind = 'notice'").fetchone()[0] == 0


@pytest.mark.parametrize("command", ["通知 明天开会", "审核走访", "任务", "通知情况", "导出", "上报 实施方案"])
async def test_a_cadre_using_an_admin_command_is_told_it_is_for_administrators(chat, province, command):
    assert await chat("C1").text(command) == ADMINS_ONLY
    assert province.db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0


# ---- review ----

def review_rows(app):
    return app.db.execute("SELECT cadre_id, text FROM deliveries WHERE kind = 'review' ORDER BY id").fetchall()


async def test_review_states_flow_to_the_cadre_and_a_new_photo_supplements(chat, province):
    await visited(chat, province)
    listing = await chat("C3").send("审核走访")
    assert any(o.file and o.file.exists() for o in listing)  # the photo itself is sent
    needs_more = next(c for o in listing for c in o.choices if c.label == "1 需补充")
    assert "请写出需要补充什么" in await chat("C3").text(choice=needs_more.value)
    assert "已通知干部" in await chat("C3").text("照片看不清户主")
    [(cadre, told)] = review_rows(province)
    assert cadre == "C1" and "需要补充：照片看不清户主" in told
    assert province.db.execute("SELECT last_visit_at FROM pairings WHERE household_id = 'H1'").fetchone()[0] is None
    province.clock.set(province.clock.now() + timedelta(days=1))
    await chat("C1").photo(jpeg((90, 90, 90)))
    offer = await chat("C1").text("1")  # 示例户一 again: the bot offers to supplement the visit sent back
    assert "被要求补充照片" in offer
    assert "已补充到那次走访" in await chat("C1").text("是")
    assert province.db.execute("SELECT review_state, COUNT(*) FROM visit_sessions s JOIN visits v "
                               "ON v.session_id = s.id WHERE s.household_id = 'H1'").fetchone() == ("待审核", 2)
    assert "合格" in await chat("C3").text("合格 1")
    assert "已审核为“合格”" in review_rows(province)[-1][1]


async def test_review_of_a_visit_outside_the_scope_is_refused(chat, province):
    await visited(chat, province)
    other = province.db.execute("SELECT id FROM visit_sessions WHERE cadre_id = 'C6'").fetchone()[0]
    assert "不在您管理的范围内" in await chat("C3").text(choice=f"review:{other}:ok")
    assert province.db.execute("SELECT review_state FROM visit_sessions WHERE id = ?", (other,)).fetchone()[0] == "待审核"
    assert review_rows(province) == []


async def test_a_near_duplicate_flag_names_another_countys_household_to_nobody_outside_it(chat, province):
    await visited(chat, province)
    mine = province.db.execute("SELECT s.id, p.sha256 FROM visit_sessions s JOIN visits v ON v.session_id = s.id "
                               "JOIN photos p ON p.visit_id = v.id WHERE s.cadre_id = 'C1'").fetchone()
    other = province.db.execute("SELECT id FROM visit_sessions WHERE cadre_id = 'C6'").fetchone()[0]
    province.db.execute("INSERT INTO photo_flags (sha256, flag, value, other_session_id, detail, flagged_at) "
                        "VALUES (?, 'near_duplicate', 3, ?, '与另县户五的照片相同', '2010-05-12T01:00:00+00:00')",
                        (mine[1], other))
    county = await chat("C3").text("审核走访")
    assert "与另一次走访（不在您的范围内）的照片几乎相同" in county and "另县户五" not in county
    assert "对 另县户五 的走访照片几乎相同" in await chat("C7").text("审核走访")


async def test_the_weekly_digest_lists_the_units_still_missing_an_overdue_task(chat, province):
    province.clock.set(local("2010-05-17T09:30"))  # a Monday after county-plan-meeting (05-10) was due
    await chat("C5").text("已召开动员大会")
    await chat("C5").photo(jpeg((4, 5, 6)))
    plan(province, province.clock.now(), kinds=("digest",))
    texts = dict(province.db.execute("SELECT cadre_id, text FROM deliveries WHERE kind = 'digest'").fetchall())
    meeting = next(line for line in texts["C7"].splitlines() if "全部召开动员大会（5月10日前）" in line)
    assert "示例县委" in meeting and "另一县委" not in meeting  # done: no longer listed
    county = texts["C5"].split("逾期未完成的任务：")[1]
    assert "另一村党支部" in county and "示例" not in county  # its own branch, nothing of the other county
