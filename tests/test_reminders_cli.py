"""`campaign-bot reminders preview|send|status` through the real CLI, and the scheduler's jobs."""

from __future__ import annotations

import asyncio

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from click.testing import CliRunner

from bot.campaign import DEFAULT_CAMPAIGN_FILE
from bot.channels.console import bind_console
from bot.cli import cli
from bot.db import open_db
from schedules import JOB_IDS, register_jobs
from tests.conftest import insert_roster

BAD_DEADLINES = '''
[[deadlines]]
id = "bad-date"
task = "上报第一季度活动简报"
due = "2010-05-32"
due_text = "5月32日前"
binds = ["县市委"]
ref = "四(一)"

[[deadlines]]
id = "nobody"
task = "州直干部自查"
due = "2010-05-14"
due_text = "5月14日前"
binds = ["州直党(工)委"]
roles = ["干部"]
ref = "二(四)"
'''


@pytest.fixture
def config(tmp_path):
    """A config on a fresh database with the small roster, C1–C3 bound on the console, C2 then unbound."""
    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    for cadre in ("C1", "C3"):
        bind_console(_App(db), cadre)
    db.close()
    campaign = tmp_path / "campaign.toml"
    campaign.write_text(DEFAULT_CAMPAIGN_FILE.read_text(encoding="utf-8") + BAD_DEADLINES, encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n[campaign]\nfile = "{campaign}"\n', encoding="utf-8")
    return path


class _App:
    """Just enough of BotApp for bind_console."""

    def __init__(self, db):
        from bot.clock import Clock

        self.db, self.clock = db, Clock()


def run(*args):
    result = CliRunner().invoke(cli, ["reminders", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def delivery_count(config) -> int:
    db = open_db(config.parent / "bot.db")
    try:
        return db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0]
    finally:
        db.close()


def test_preview_lists_due_reminders_and_problems_without_writing(config):
    out = run("preview", "--now", "2010-05-12T09:00", "--config", str(config))
    assert "■ 截止提醒（提前3天）：2 人\n  【截止提醒】制定实施方案，召开动员会议" in out
    assert "→ 测试干部甲（C1，console:C1）" in out and "还有3天" in out
    assert "未绑定，暂不能发送" in out and "测试干部乙（C2）" in out
    assert "bad-date" in out and "YYYY-MM-DD" in out
    assert "nobody（州直干部自查）没有对应的干部" in out
    assert delivery_count(config) == 0


def test_preview_in_quiet_hours_says_when(config):
    out = run("preview", "--now", "2010-05-12T22:00", "--config", str(config))
    assert "免打扰时段" in out and "2010-05-13 08:00" in out


def test_send_twice_sends_nothing_new_and_status_counts(config):
    first = run("send", "--now", "2010-05-12T09:00", "--config", str(config))
    assert first.count("[→ C1] 【截止提醒】") == 1 and "[→ C1] 【走访提醒】" in first
    assert "[→ C3] 【每周汇总】" in first and "[→ C2]" not in first
    again = run("send", "--now", "2010-05-12T09:00", "--config", str(config))
    assert "[→" not in again and "没有到期的提醒" in again
    status = run("status", "--config", str(config))
    assert status.splitlines()[0].startswith("已发送 5  待发送 2")
    assert "待发送：未绑定 —— 2 条" in status


async def test_register_jobs_twice_keeps_one_of_each(roster):
    scheduler = AsyncIOScheduler(timezone=roster.tz)
    register_jobs(scheduler, roster)
    register_jobs(scheduler, roster)
    scheduler.start(paused=True)
    try:
        assert sorted(job.id for job in scheduler.get_jobs()) == sorted(JOB_IDS)
        assert all(job.coalesce for job in scheduler.get_jobs())
        assert {job.id: job.max_instances for job in scheduler.get_jobs()} == {
            "reminders-plan-deadlines": 1, "reminders-scan-visits": 1, "reminders-weekly-digest": 1,
            "reminders-dispatch": 2, "notices-unread-reminders": 1, "tasks-escalations": 1}
    finally:
        scheduler.shutdown(wait=False)


async def test_a_dispatch_tick_during_a_running_dispatch_sends_nothing(roster, capsys):
    from bot.channels.console import ConsoleSender
    from schedules.jobs import ReminderJobs

    roster.senders["console"] = ConsoleSender()
    jobs = ReminderJobs(roster)
    await jobs.plan_deadlines()
    jobs._dispatching = True  # the previous tick is still sending
    await jobs.dispatch()
    assert roster.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").fetchone()[0] == 0
    jobs._dispatching = False
    await jobs.dispatch()
    assert roster.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").fetchone()[0] == 4


async def test_jobs_plan_and_send_at_start_up(roster, capsys):
    from bot.channels.console import ConsoleSender

    roster.senders["console"] = ConsoleSender()
    scheduler = AsyncIOScheduler(timezone=roster.tz)
    register_jobs(scheduler, roster)
    scheduler.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            sent = roster.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND kind = 'deadline'")
            if sent.fetchone()[0] == 4:
                break
    finally:
        scheduler.shutdown(wait=False)
    assert "[→ C1] 【截止提醒】" in capsys.readouterr().out
    assert roster.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent' AND kind = 'deadline'"
                             ).fetchone()[0] == 4


def test_disabled_reminders_register_nothing(roster):
    import dataclasses

    from bot.config import ReminderSettings

    roster.settings = dataclasses.replace(roster.settings, reminders=ReminderSettings(enabled=False))
    scheduler = AsyncIOScheduler(timezone=roster.tz)
    assert register_jobs(scheduler, roster) is None and scheduler.get_jobs() == []


@pytest.mark.parametrize("key, label", [
    ("deadline:county-plan-meeting:7d", "截止提醒（提前7天）"),
    ("deadline:campaign-end:0d", "截止提醒（当天）"),
    ("visit:2010-W18", "走访提醒（2010年第18周）"),
    ("digest:2010-W20", "每周汇总（2010年第20周）"),
])
def test_preview_names_reminders_in_words(key, label):
    from bot.cli.reminders import reminder_label

    assert reminder_label(key) == label


async def test_send_from_the_command_line_goes_through_telegram_without_polling(tmp_path, fake_bot_api):
    from bot.store.bindings import bind_chat
    from tests.conftest import local

    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    bind_chat(db, "telegram", "5001", "5001", "C1", local("2010-05-01T09:00"))
    db.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n[telegram]\nenabled = true\n'
                      f'token = "{fake_bot_api.token}"\nbase_url = "{fake_bot_api.base_url}"\n'
                      f'base_file_url = "{fake_bot_api.base_file_url}"\n', encoding="utf-8")
    args = ["reminders", "send", "--now", "2010-05-12T09:00", "--config", str(config)]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    texts = [c.params["text"] for c in fake_bot_api.calls_to("sendMessage") if c.chat_id == "5001"]
    assert len(texts) == len(set(texts)) >= 1 and any(t.startswith("【截止提醒】制定实施方案") for t in texts)
    assert fake_bot_api.calls_to("getUpdates") == []  # sending only: no polling started
